import * as userModule from "cortex-user-functions";
import { inProcessProject, type Project } from "../sdk/src/index.js";
import { apiDepsFromEnv } from "../shared/adapters/aws/api-deps.js";
import { onDomainEvent } from "../shared/adapters/lambda/domain-event.js";
import { domainLogger } from "../shared/adapters/lambda/kit.js";
import { bindUserFunctions, userFunctionRunner, userModuleExports } from "../shared/app/user-function-host.js";
import type { UserFunction } from "../shared/app/user-function-host.js";
import { ENV, requiredEnv } from "../shared/kernel/config.js";

/**
 * One deployed user function: the stack bundles the user's module (aliased as `cortex-user-functions`)
 * and tells each Lambda which export it runs. esbuild gives a CommonJS module a `default` beside its names.
 */
const exportName = requiredEnv(ENV.userFunctionExport);
const module = userModuleExports(userModule as unknown as Record<string, unknown>);
bindUserFunctions(module, "cortex-user-functions");
const fn = module[exportName] as UserFunction<Project>;
const run = userFunctionRunner(fn, exportName, apiDepsFromEnv(), inProcessProject);

export const handler = onDomainEvent(exportName, (envelope, { logger }) => run(envelope, domainLogger(logger)));
