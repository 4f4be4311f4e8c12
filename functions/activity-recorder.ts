import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { eventRetentionSecondsFromEnv } from "../shared/adapters/aws/settings.js";
import { onDomainEvent } from "../shared/adapters/lambda/domain-event.js";
import { recordActivity } from "../shared/consumers/activity.js";

const store = storeFromEnv();
const retentionSeconds = eventRetentionSecondsFromEnv();

/** Rule target: records each event once; a redelivery (EventBridge is at-least-once) is a no-op. */
export const handler = onDomainEvent("activity-recorder", async (envelope) => ({
  outcome: await recordActivity(store, envelope, retentionSeconds),
}));
