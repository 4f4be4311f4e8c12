import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import {
  bindUserFunctions,
  importUserModule,
  DEFAULT_USER_FUNCTIONS_PATH,
  userFunctionRule,
  type UserFunctionBinding,
} from "../../shared/app/user-function-host.js";
import type { Data } from "./data.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import type { Sessions } from "./sessions.js";
import { createNodeFunction, ruleTargetRetries, type FunctionEnvironment } from "./node-function.js";
import type { Webhooks } from "./webhooks.js";

export interface UserFunctionsModule {
  /** Absolute path of the module the functions are bundled from. */
  path: string;
  bindings: UserFunctionBinding[];
}

/**
 * Reads the user's functions module at synth time and checks its exports (an export that names no event
 * fails the synth, as it fails `npm start`). No module at the default path means no user functions.
 */
export async function loadUserFunctionsModule(path?: string): Promise<UserFunctionsModule | undefined> {
  const absolute = resolve(path ?? DEFAULT_USER_FUNCTIONS_PATH);
  if (!existsSync(absolute)) {
    if (path) throw new Error(`user functions module not found: ${path}`);
    return undefined;
  }
  const mod = await importUserModule(absolute);
  const bindings = bindUserFunctions(mod.exports, path ?? DEFAULT_USER_FUNCTIONS_PATH);
  return { path: mod.commonJsInEsm ? asCommonJsPackage(absolute) : absolute, bindings };
}

/**
 * esbuild, like Node, reads a `.js` file in an ESM package as ESM, where `exports.onX = …` would fail at
 * run time. The bundle is made from a copy in a folder of its own marked CommonJS. A module that requires
 * its own neighbours can't be moved; for that one the message says what Node would say: use `.cjs`.
 */
function asCommonJsPackage(absolute: string): string {
  if (/require\(\s*["']\.{1,2}\//.test(readFileSync(absolute, "utf8"))) {
    throw new Error(
      `${absolute} is CommonJS in a package whose default is ESM and requires files beside it: rename it to .cjs`,
    );
  }
  const folder = mkdtempSync(join(tmpdir(), "cortex-user-functions-"));
  writeFileSync(join(folder, "package.json"), JSON.stringify({ type: "commonjs" }));
  const copy = join(folder, basename(absolute));
  copyFileSync(absolute, copy);
  return copy;
}

export interface UserFunctionsProps {
  module: UserFunctionsModule;
  bus: events.IEventBus;
  data: Data;
  webhooks: Webhooks;
  environment: Omit<FunctionEnvironment<"user-function">, "userFunctionExport">;
  /** ctx.client may delete sessions (their debug audio) and read recordings, like the API. */
  sessions: Sessions;
}

/**
 * One Lambda per export of the user's module, each with a rule on its event (the same pattern the local
 * runtime evaluates), EventBridge retries, Lambda's async retries, and a dead-letter queue.
 */
export class UserFunctions extends Construct {
  readonly functions: Readonly<Record<string, NodejsFunction>>;
  readonly rules: Readonly<Record<string, events.Rule>>;
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: UserFunctionsProps) {
    super(scope, id);
    this.failures = deadLetterQueue(this, "Failures", "events a user function failed on after its retries");
    const functions: Record<string, NodejsFunction> = {};
    const rules: Record<string, events.Rule> = {};
    for (const binding of props.module.bindings) {
      const fn = createNodeFunction(this, binding.exportName, {
        entry: "user-function",
        description: `User function ${binding.exportName} (${binding.eventType})`,
        environment: { ...props.environment, userFunctionExport: binding.exportName },
        aliases: { "cortex-user-functions": props.module.path },
        onFailure: this.failures,
      });
      // ctx.client acts through the API's operations in-process: the same access the API function has.
      props.data.grantReadWrite(fn);
      props.webhooks.grantEnqueue(fn);
      props.sessions.grantDebugAudio(fn);
      const rule = userFunctionRule(binding);
      rules[binding.exportName] = new events.Rule(this, `Rule-${binding.exportName}`, {
        eventBus: props.bus,
        description: rule.description,
        eventPattern: rule.pattern as events.EventPattern,
        targets: [
          new targets.LambdaFunction(fn, { ...ruleTargetRetries("user-function"), deadLetterQueue: this.failures }),
        ],
      });
      functions[binding.exportName] = fn;
    }
    this.functions = functions;
    this.rules = rules;
  }
}
