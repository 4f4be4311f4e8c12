import middy from "@middy/core";
import type { EventBridgeEvent } from "aws-lambda";
import { eventRetentionSecondsFromEnv, storeFromEnv } from "../shared/adapters/aws/environment.js";
import { recordActivity } from "../shared/consumers/activity.js";
import { EventEnvelopeSchema } from "../shared/kernel/envelope.js";
import { createLogger } from "../shared/kernel/logger.js";

const logger = createLogger({ function: "activity-recorder" });
const store = storeFromEnv();
const retentionSeconds = eventRetentionSecondsFromEnv();

/** Rule target: records each event once; a redelivery (EventBridge is at-least-once) is a no-op. */
export const handler = middy<EventBridgeEvent<string, unknown>, void>().handler(async (event) => {
  const envelope = EventEnvelopeSchema.parse(event.detail);
  const outcome = await recordActivity(store, envelope, retentionSeconds);
  logger.info("activity", { eventId: envelope.id, type: envelope.type, projectId: envelope.projectId, outcome });
});
