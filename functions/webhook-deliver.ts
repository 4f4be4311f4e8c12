import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { webhookConfigFromEnv } from "../shared/adapters/aws/settings.js";
import { deliveryQueueFromEnv } from "../shared/adapters/aws/sqs-delivery-queue.js";
import { onSqsBatch } from "../shared/adapters/lambda/kit.js";
import { attemptDelivery, DeliveryMessageSchema } from "../shared/consumers/webhooks/service.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps = {
  store: storeFromEnv(),
  clock: systemClock,
  queue: deliveryQueueFromEnv(),
  config: webhookConfigFromEnv(),
};

/** The delivery queue's consumer: one attempt per message, recorded; retries are new (delayed) messages. Only
 * infrastructure failures fail a record (it is retried by the queue and, past its limit, dead-lettered). */
export const handler = onSqsBatch("webhook-deliver", async (record, { logger }) => {
  const message = DeliveryMessageSchema.parse(JSON.parse(record.body));
  const result = await attemptDelivery(deps, message);
  if (typeof result === "object") {
    const { webhookId, attempt, event } = message;
    logger.info("delivery attempt", { webhookId, eventId: event.id, attempt, ok: result.ok, status: result.status });
  }
});
