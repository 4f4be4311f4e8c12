import { enginesFromEnv } from "../shared/adapters/aws/engines.js";
import { pluginBackoffFromEnv, storeFromEnv } from "../shared/adapters/aws/environment.js";
import { onPluginBatch } from "../shared/adapters/lambda/plugin.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps = { store: storeFromEnv(), clock: systemClock, engines: enginesFromEnv() };

/** The `profanity` plugin: batches of its queue's session events → annotations (shared/domain/plugins/runner.ts). */
export const handler = onPluginBatch("profanity", deps, pluginBackoffFromEnv());
