import type { ApiDeps } from "../../app/http/api.js";
import { systemClock } from "../../kernel/clock.js";
import { storeFromEnv } from "./dynamodb-store.js";
import { eventRetentionSecondsFromEnv, webhookConfigFromEnv } from "./settings.js";
import { debugAudioFromEnv } from "./s3-debug-audio.js";
import { deliveryQueueFromEnv } from "./sqs-delivery-queue.js";

/**
 * What the API operations need (the HTTP function, and the in-process API of user functions). The debug
 * audio store imports its S3 client on first use (./s3-debug-audio.ts); the others load with the module.
 */
export function apiDepsFromEnv(): ApiDeps {
  return {
    store: storeFromEnv(),
    clock: systemClock,
    eventRetentionSeconds: eventRetentionSecondsFromEnv(),
    webhooks: { queue: deliveryQueueFromEnv(), config: webhookConfigFromEnv() },
    audio: debugAudioFromEnv(),
  };
}
