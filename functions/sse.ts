import type { APIGatewayProxyEvent } from "aws-lambda";
import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { toolsFor } from "../shared/adapters/lambda/kit.js";
import { serveEventStream } from "../shared/adapters/lambda/sse.js";
import { numberEnv } from "../shared/kernel/config.js";
import { originsWithProjectSettings } from "../shared/app/http/cors.js";
import { getSettings } from "../shared/domain/sessions/settings.js";

const store = storeFromEnv();
const { logger } = toolsFor("sse");
const corsOrigins = originsWithProjectSettings(async (project) => (await getSettings(store, project)).allowedOrigins);
const settings = {
  pollMs: numberEnv("SSE_POLL_INTERVAL_MS", 50),
  heartbeatMs: numberEnv("SSE_HEARTBEAT_SECONDS", 10) * 1000,
  maxDurationMs: numberEnv("SSE_MAX_DURATION_SECONDS", 14 * 60) * 1000,
};

/** SSE over API Gateway REST response streaming (middy does not wrap streamed responses). */
export const handler = awslambda.streamifyResponse<APIGatewayProxyEvent>(async (event, responseStream, context) => {
  logger.addContext(context);
  logger.appendKeys({ apiRequestId: event.requestContext.requestId });
  await serveEventStream(event, responseStream, context, { store, logger, settings, corsOrigins });
});
