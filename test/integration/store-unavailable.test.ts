import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { ServiceUnavailableError } from "../../shared/kernel/errors.js";
import { problemResponses } from "../../shared/adapters/lambda/http.js";
import { createLogger } from "../../shared/kernel/logger.js";
import { storeClient } from "../support/dynamodb.js";

/** A 127.0.0.1 port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function unreachableStore(): Promise<DynamoDbStore> {
  return new DynamoDbStore({ tableName: "cortex", client: storeClient(`http://127.0.0.1:${await closedPort()}`) });
}

describe("the DynamoDB store when DynamoDB cannot be reached", () => {
  it("rejects reads and writes with ServiceUnavailableError (503, Retry-After), not an unknown error", async () => {
    const store = await unreachableStore();
    const key = { PK: "GATHERING#x", SK: "#" };
    for (const attempt of [
      () => store.get(key),
      () => store.query({ pk: "GATHERING#x" }),
      () => store.transact([{ op: "put", item: { ...key, a: 1 } }]),
      () =>
        store.transact([
          { op: "check", key, condition: { kind: "exists" } },
          { op: "delete", key },
        ]),
    ]) {
      const error: unknown = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ status: 503, code: "service_unavailable" });
    }
  });

  it("answers the API request with 503 problem+json and a Retry-After header", async () => {
    const store = await unreachableStore();
    const error = await store.get({ PK: "GATHERING#x", SK: "#" }).catch((e: unknown) => e);
    const request = {
      error,
      event: { path: "/v1/projects/p/gatherings/g", requestContext: { requestId: "r1" } },
      response: undefined,
    } as never as Parameters<NonNullable<ReturnType<typeof problemResponses>["onError"]>>[0];
    await problemResponses(createLogger({ function: "test" })).onError!(request);
    const response = (request as { response: { statusCode: number; headers: Record<string, string>; body: string } })
      .response;
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ "Content-Type": "application/problem+json", "Retry-After": "1" });
    expect(JSON.parse(response.body)).toMatchObject({ status: 503, code: "service_unavailable" });
  });

  it("leaves an error about the request itself (a table that does not exist) as it was", async () => {
    const store = new DynamoDbStore({ tableName: "no-such-table", client: storeClient() });
    const error = await store.get({ PK: "a", SK: "b" }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect((error as Error).name).toBe("ResourceNotFoundException");
  });
});
