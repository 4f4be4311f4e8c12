import middy from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import {
  deliveryQueueFromEnv,
  eventRetentionSecondsFromEnv,
  storeFromEnv,
  webhookConfigFromEnv,
} from "../shared/adapters/aws/environment.js";
import { problemResponses, toApiRequest, toProxyResult } from "../shared/adapters/lambda/http.js";
import { handleApiRequest, type ApiDeps } from "../shared/app/http/api.js";
import { systemClock } from "../shared/kernel/clock.js";
import { createLogger } from "../shared/kernel/logger.js";

const logger = createLogger({ function: "http-api" });
const deps: ApiDeps = {
  store: storeFromEnv(),
  clock: systemClock,
  eventRetentionSeconds: eventRetentionSecondsFromEnv(),
  webhooks: { queue: deliveryQueueFromEnv(), config: webhookConfigFromEnv() },
};

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(problemResponses(logger))
  .handler(async (event) => toProxyResult(await handleApiRequest(toApiRequest(event), deps)));
