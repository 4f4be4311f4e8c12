import middy from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { problemResponses } from "../../shared/adapters/lambda/http.js";
import { createLogger } from "../../shared/kernel/logger.js";

/** A handler that outlives its function's time, through middy as the API function runs it. */
function slowHandler(remainingMs: number) {
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(problemResponses(createLogger({ function: "test" })))
    .handler(async () => {
      await new Promise((r) => setTimeout(r, remainingMs * 20));
      return { statusCode: 200, body: "late" };
    });
  const event = { path: "/v1/projects/p/gatherings", requestContext: { requestId: "r1" } } as APIGatewayProxyEvent;
  const context = { getRemainingTimeInMillis: () => remainingMs } as Context;
  return handler(event, context);
}

describe("a request that runs out of its function's time", () => {
  it("answers 503 problem+json with Retry-After (retry it), not 500 internal_error", async () => {
    const response = await slowHandler(40);
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ "Content-Type": "application/problem+json", "Retry-After": "1" });
    expect(JSON.parse(response.body)).toMatchObject({
      status: 503,
      code: "service_unavailable",
      detail: expect.stringMatching(/ran out of time/),
    });
  });

  it("leaves any other error a 500", async () => {
    const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
      .use(problemResponses(createLogger({ function: "test" })))
      .handler(async () => {
        const error = new Error("not middy's");
        error.name = "TimeoutError"; // e.g. an SDK call's own timeout
        throw error;
      });
    const event = { path: "/x", requestContext: { requestId: "r2" } } as APIGatewayProxyEvent;
    const response = await handler(event, { getRemainingTimeInMillis: () => 10_000 } as Context);
    expect(response.statusCode).toBe(500);
  });
});
