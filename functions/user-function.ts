import * as userModule from "cortex-user-functions";
import { inProcessProject, type Project } from "../sdk/src/index.js";
import {
  deliveryQueueFromEnv,
  eventRetentionSecondsFromEnv,
  storeFromEnv,
  webhookConfigFromEnv,
} from "../shared/adapters/aws/environment.js";
import {
  bindUserFunctions,
  createUserFunctionHandler,
  userModuleExports,
  type UserFunction,
} from "../shared/app/user-function-host.js";
import { ENV, requiredEnv } from "../shared/kernel/config.js";
import { systemClock } from "../shared/kernel/clock.js";

/**
 * One deployed user function: the stack bundles the user's module (aliased as `cortex-user-functions`)
 * and tells each Lambda which export it runs.
 */
const exportName = requiredEnv(ENV.userFunctionExport);
// esbuild gives a CommonJS module (`exports.onX = …`) a `default` beside its named exports.
const module = userModuleExports(userModule as unknown as Record<string, unknown>);
bindUserFunctions(module, "cortex-user-functions");

export const handler = createUserFunctionHandler(
  module[exportName] as UserFunction<Project>,
  exportName,
  {
    store: storeFromEnv(),
    clock: systemClock,
    eventRetentionSeconds: eventRetentionSecondsFromEnv(),
    webhooks: { queue: deliveryQueueFromEnv(), config: webhookConfigFromEnv() },
  },
  inProcessProject,
);
