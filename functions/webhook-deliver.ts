import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { deliveryQueueFromEnv, storeFromEnv, webhookConfigFromEnv } from "../shared/adapters/aws/environment.js";
import { systemClock } from "../shared/kernel/clock.js";
import { createLogger } from "../shared/kernel/logger.js";
import { attemptDelivery, type DeliveryMessage } from "../shared/consumers/webhooks/service.js";

const logger = createLogger({ function: "webhook-deliver" });
const deps = {
  store: storeFromEnv(),
  clock: systemClock,
  queue: deliveryQueueFromEnv(),
  config: webhookConfigFromEnv(),
};

/**
 * The delivery queue's consumer: one attempt per message, recorded; retries are new (delayed) messages.
 * Only infrastructure failures fail a record (it is retried by the queue and, past its limit, dead-lettered).
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failures: string[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        const message = JSON.parse(record.body) as DeliveryMessage;
        const result = await attemptDelivery(deps, message);
        if (typeof result === "object") {
          logger.info("delivery attempt", {
            webhookId: message.webhookId,
            eventId: message.event.id,
            attempt: message.attempt,
            ok: result.ok,
            status: result.status,
          });
        }
      } catch (error) {
        logger.error("delivery failed", { messageId: record.messageId, error });
        failures.push(record.messageId);
      }
    }),
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
};
