import { readdirSync, readFileSync } from "node:fs";
import type { APIGatewayProxyEvent, SQSEvent } from "aws-lambda";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { lambdaContext } from "../../local/lambda.js";
import { onHttp } from "../../shared/adapters/lambda/http.js";
import { onDomainEvent } from "../../shared/adapters/lambda/domain-event.js";
import { onSqsBatch } from "../../shared/adapters/lambda/kit.js";
import { FUNCTIONS } from "../../shared/kernel/config.js";

/** The handler kit: what every entry point in functions/ gets from its one-line wrapper. */
let lines: Array<Record<string, any>>;
beforeEach(() => {
  lines = [];
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split("\n")) if (line.startsWith("{")) lines.push(JSON.parse(line));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture);
  vi.spyOn(process.stderr, "write").mockImplementation(capture);
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
});
afterEach(() => vi.restoreAllMocks());

const context = (name: string) => lambdaContext({ functionName: name, timeoutSeconds: 10 });
const envelope = {
  id: "evt_01aaaaaaaaaaaaaaaaaaaaaaaa",
  type: "gathering.member.ready",
  version: 3,
  projectId: "proj_1",
  tenantId: "t1",
  resource: "gathering:gth_01aaaaaaaaaaaaaaaaaaaaaaaa",
  occurredAt: "2026-11-28T00:00:00.000Z",
  data: {},
};

describe("the handler kit", () => {
  it("a domain-event handler's log lines carry the Lambda request id, cold start and the event's correlation keys", async () => {
    const handler = onDomainEvent("probe-consumer", async (_envelope, { logger }) => {
      logger.info("inside");
      return { outcome: "recorded" };
    });
    const ctx = context("probe-consumer");
    await handler({ detail: envelope } as never, ctx);
    const inside = lines.find((l) => l.message === "inside");
    expect(inside).toMatchObject({
      function_request_id: ctx.awsRequestId,
      cold_start: expect.any(Boolean),
      function: "probe-consumer",
      eventId: envelope.id,
      type: envelope.type,
      projectId: envelope.projectId,
      resource: envelope.resource,
    });
    expect(lines.find((l) => l.message === "handled")).toMatchObject({ outcome: "recorded", eventId: envelope.id });
  });

  it("a malformed envelope fails the invocation (to be retried), logged with its stack", async () => {
    const handler = onDomainEvent("probe-consumer", async () => undefined);
    await expect(handler({ detail: { not: "an envelope" } } as never, context("probe-consumer"))).rejects.toThrow();
    const failed = lines.find((l) => l.message === "invocation failed");
    expect(failed?.error?.stack).toMatch(/ZodError|\n\s+at /);
  });

  it("an HTTP handler that fails answers 500 problem+json and logs the error with its stack and the request ids", async () => {
    const handler = onHttp("probe-api", async () => {
      throw new Error("store exploded");
    });
    const ctx = context("probe-api");
    const event = { path: "/v1/x", requestContext: { requestId: "api-req-1" } } as unknown as APIGatewayProxyEvent;
    const response = await handler(event, ctx);
    expect(response.statusCode).toBe(500);
    expect(response.headers?.["Content-Type"]).toBe("application/problem+json");
    expect(response.body).not.toContain("store exploded");
    const logged = lines.find((l) => l.level === "ERROR");
    expect(logged).toMatchObject({ function_request_id: ctx.awsRequestId, apiRequestId: "api-req-1" });
    expect(logged?.error?.stack).toContain("store exploded");
  });

  it("an SQS batch reports exactly the records that failed", async () => {
    const handler = onSqsBatch("probe-queue", async (record) => {
      if (record.body === "bad") throw new Error("no");
    });
    const event = {
      Records: [
        { messageId: "m1", body: "ok" },
        { messageId: "m2", body: "bad" },
        { messageId: "m3", body: "ok" },
      ],
    } as unknown as SQSEvent;
    expect(await handler(event, context("probe-queue"))).toEqual({ batchItemFailures: [{ itemIdentifier: "m2" }] });
  });

  it("every Lambda entry point is a thin wrapper of at most 25 lines", () => {
    const dir = new URL("../../functions/", import.meta.url);
    const sizes = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => [f, readFileSync(new URL(f, dir), "utf8").trimEnd().split("\n").length] as const);
    // One module per function of the catalog, and nothing else.
    expect(sizes.map(([f]) => f.replace(/\.ts$/, "")).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    expect(sizes.filter(([, n]) => n > 25)).toEqual([]);
  });
});
