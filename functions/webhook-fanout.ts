import middy from "@middy/core";
import type { EventBridgeEvent } from "aws-lambda";
import { deliveryQueueFromEnv, storeFromEnv } from "../shared/adapters/aws/environment.js";
import { EventEnvelopeSchema } from "../shared/kernel/envelope.js";
import { systemClock } from "../shared/kernel/clock.js";
import { createLogger } from "../shared/kernel/logger.js";
import { fanOut } from "../shared/consumers/webhooks/service.js";

const logger = createLogger({ function: "webhook-fanout" });
const deps = { store: storeFromEnv(), queue: deliveryQueueFromEnv(), clock: systemClock };

/** Rule target: one delivery message per matching endpoint of the event's project. */
export const handler = middy<EventBridgeEvent<string, unknown>, void>().handler(async (event) => {
  const envelope = EventEnvelopeSchema.parse(event.detail);
  const queued = await fanOut(deps, envelope);
  if (queued > 0) logger.info("fanned out", { eventId: envelope.id, type: envelope.type, queued });
});
