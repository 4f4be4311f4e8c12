import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import type { Logger } from "@aws-lambda-powertools/logger";
import { PROBLEM_CONTENT_TYPE } from "../../app/http/gateway-responses.js";
import { toProblem } from "../../app/http/problem.js";
import { streamEvents } from "../../app/live/event-stream.js";
import { prepareEventStream } from "../../app/live/sse-request.js";
import { retryAfterHeader } from "../../kernel/errors.js";
import type { Store } from "../../store/store.js";
import { corsRequestOf, toApiRequest } from "./http.js";
import { allowedOriginsFromEnv, corsHeaders, type CorsRequest } from "../../app/http/cors.js";
import type { HttpResponsePrelude } from "./streaming.js";

export interface SseSettings {
  pollMs: number;
  heartbeatMs: number;
  /** API Gateway ends a streamed response at 15 minutes; close cleanly before that and let the client resume. */
  maxDurationMs: number;
}

type ResponseStream = Parameters<typeof awslambda.HttpResponseStream.from>[0];

/**
 * One SSE request over API Gateway REST response streaming: everything that can go wrong before the
 * stream opens is a plain problem+json response; then the aggregate's committed events after a version.
 */
export async function serveEventStream(
  event: APIGatewayProxyEvent,
  responseStream: ResponseStream,
  context: Context,
  deps: {
    store: Store;
    logger: Logger;
    settings: SseSettings;
    /** The origins allowed to read the stream (CORS); default: the deployment's list. */
    corsOrigins?: (request: CorsRequest) => Promise<readonly string[]>;
  },
): Promise<void> {
  const { store, logger, settings } = deps;
  const corsRequest = corsRequestOf(event);
  const cors = corsRequest.origin
    ? corsHeaders(
        corsRequest.origin,
        await (deps.corsOrigins ?? (async () => allowedOriginsFromEnv()))(corsRequest).catch(() => []),
      )
    : {};
  let prepared;
  try {
    prepared = await prepareEventStream(toApiRequest(event), store);
  } catch (error) {
    const problem = toProblem(error, event.path);
    if (problem.status >= 500) logger.error("stream failed to open", { error });
    const prelude: HttpResponsePrelude = {
      statusCode: problem.status,
      headers: { "Content-Type": PROBLEM_CONTENT_TYPE, ...retryAfterHeader(error), ...cors },
    };
    const out = awslambda.HttpResponseStream.from(responseStream, { ...prelude });
    out.end(JSON.stringify({ ...problem, requestId: event.requestContext.requestId }));
    return;
  }
  const prelude: HttpResponsePrelude = {
    statusCode: 200,
    headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no", ...cors },
  };
  const out = awslambda.HttpResponseStream.from(responseStream, { ...prelude });
  let closed = false;
  out.on("close", () => (closed = true));
  out.on("error", () => (closed = true));
  logger.appendKeys({ resource: `${prepared.aggregate.type}:${prepared.aggregate.id}` });
  try {
    const end = await streamEvents({
      store,
      ...prepared,
      write: (chunk) => void out.write(chunk),
      isClosed: () => closed,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: () => Date.now(),
      pollMs: settings.pollMs,
      heartbeatMs: settings.heartbeatMs,
      maxDurationMs: Math.min(settings.maxDurationMs, context.getRemainingTimeInMillis() - 5_000),
      retryMs: 1_000,
    });
    logger.debug("stream ended", { end });
  } catch (error) {
    logger.error("stream failed", { error });
  } finally {
    if (!closed) out.end();
  }
}
