import type { APIGatewayProxyEvent } from "aws-lambda";
import { storeFromEnv } from "../shared/adapters/aws/environment.js";
import { toApiRequest } from "../shared/adapters/lambda/http.js";
import type { HttpResponsePrelude } from "../shared/adapters/lambda/streaming.js";
import { PROBLEM_CONTENT_TYPE } from "../shared/app/http/gateway-responses.js";
import { toProblem } from "../shared/app/http/problem.js";
import { retryAfterHeader } from "../shared/kernel/errors.js";
import { streamEvents } from "../shared/app/live/event-stream.js";
import { prepareEventStream } from "../shared/app/live/sse-request.js";
import { numberEnv } from "../shared/kernel/config.js";
import { createLogger } from "../shared/kernel/logger.js";

const logger = createLogger({ function: "sse" });
const store = storeFromEnv();
const pollMs = numberEnv("SSE_POLL_INTERVAL_MS", 50);
const heartbeatMs = numberEnv("SSE_HEARTBEAT_SECONDS", 10) * 1000;
// API Gateway ends a streamed response at 15 minutes; close cleanly before that and let the client resume.
const maxDurationMs = numberEnv("SSE_MAX_DURATION_SECONDS", 14 * 60) * 1000;

/** SSE over API Gateway REST response streaming: the aggregate's committed events after a version. */
export const handler = awslambda.streamifyResponse<APIGatewayProxyEvent>(async (event, responseStream, context) => {
  let prepared;
  try {
    prepared = await prepareEventStream(toApiRequest(event), store);
  } catch (error) {
    const problem = toProblem(error, event.path);
    if (problem.status >= 500) logger.error("stream failed to open", { error });
    const prelude: HttpResponsePrelude = {
      statusCode: problem.status,
      headers: { "Content-Type": PROBLEM_CONTENT_TYPE, ...retryAfterHeader(error) },
    };
    const out = awslambda.HttpResponseStream.from(responseStream, { ...prelude });
    out.end(JSON.stringify({ ...problem, requestId: event.requestContext.requestId }));
    return;
  }
  const prelude: HttpResponsePrelude = {
    statusCode: 200,
    headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" },
  };
  const out = awslambda.HttpResponseStream.from(responseStream, { ...prelude });
  let closed = false;
  out.on("close", () => (closed = true));
  out.on("error", () => (closed = true));
  try {
    const end = await streamEvents({
      store,
      ...prepared,
      write: (chunk) => void out.write(chunk),
      isClosed: () => closed,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: () => Date.now(),
      pollMs,
      heartbeatMs,
      maxDurationMs: Math.min(maxDurationMs, context.getRemainingTimeInMillis() - 5_000),
      retryMs: 1_000,
    });
    logger.debug("stream ended", { end, resource: `${prepared.aggregate.type}:${prepared.aggregate.id}` });
  } catch (error) {
    logger.error("stream failed", { error });
  } finally {
    if (!closed) out.end();
  }
});
