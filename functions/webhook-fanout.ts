import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { deliveryQueueFromEnv } from "../shared/adapters/aws/sqs-delivery-queue.js";
import { onDomainEvent } from "../shared/adapters/lambda/domain-event.js";
import { fanOut } from "../shared/consumers/webhooks/service.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps = { store: storeFromEnv(), queue: deliveryQueueFromEnv(), clock: systemClock };

/** Rule target: one delivery message per matching endpoint of the event's project. */
export const handler = onDomainEvent("webhook-fanout", async (envelope) => ({ queued: await fanOut(deps, envelope) }));
