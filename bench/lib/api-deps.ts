import type { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import type { ApiDeps } from "../../shared/app/http/api.js";
import { systemClock } from "../../shared/kernel/clock.js";

/**
 * What the API operations need when a suite runs them in-process over a (metered) store: webhook
 * deliveries are dropped and debug audio is refused, since the operations measured use neither.
 */
export function inProcessApiDeps(store: DynamoDbStore, suite: string): ApiDeps {
  const noAudio = () => Promise.reject(new Error(`no debug audio in the ${suite} bench`));
  return {
    store,
    clock: systemClock,
    eventRetentionSeconds: 7 * 86_400,
    webhooks: {
      queue: { send: async () => undefined },
      config: { allowPrivate: false, allowHttp: false, retryScale: 1, timeoutMs: 15_000 },
    },
    audio: { put: noAudio, downloadUrl: noAudio, deletePrefix: async () => 0 },
  };
}
