import { ComprehendProfanityEngine } from "../shared/adapters/aws/comprehend-toxicity.js";
import { enginesFromEnv } from "../shared/adapters/aws/engines.js";
import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { pluginBackoffFromEnv } from "../shared/adapters/aws/sqs-backoff.js";
import { onPluginBatch } from "../shared/adapters/lambda/plugin.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps = {
  store: storeFromEnv(),
  clock: systemClock,
  engines: enginesFromEnv({ profanity: () => new ComprehendProfanityEngine() }),
};

/** The `profanity` plugin: batches of its queue's session events → annotations (shared/domain/plugins/runner.ts). */
export const handler = onPluginBatch("profanity", deps, pluginBackoffFromEnv());
