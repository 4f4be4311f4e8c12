import { ComprehendSentimentEngine } from "../shared/adapters/aws/comprehend-sentiment.js";
import { enginesFromEnv } from "../shared/adapters/aws/engines.js";
import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { pluginBackoffFromEnv } from "../shared/adapters/aws/sqs-backoff.js";
import { onPluginBatch } from "../shared/adapters/lambda/plugin.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps = {
  store: storeFromEnv(),
  clock: systemClock,
  engines: enginesFromEnv({ sentiment: () => new ComprehendSentimentEngine() }),
};

/** The `sentiment` plugin: batches of its queue's session events → annotations (shared/domain/plugins/runner.ts). */
export const handler = onPluginBatch("sentiment", deps, pluginBackoffFromEnv());
