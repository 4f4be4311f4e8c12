import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import {
  BASE_ENV,
  ENV,
  FUNCTION_ENV,
  FUNCTIONS,
  type EnvName,
  type FunctionEntry,
} from "../../shared/kernel/config.js";
import { LAMBDA_BUNDLING, localEngineAliases } from "./bundling.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FUNCTIONS_DIR = fileURLToPath(new URL("../../functions/", import.meta.url));

/** A function the stack deploys: an entry under functions/ that FUNCTION_ENV declares the variables of. */
export type { FunctionEntry };

/** A value for every `BASE_ENV` variable (the ones every function gets). */
export type BaseEnvironment = { readonly [K in (typeof BASE_ENV)[number]]: string };

/** A value for every variable `E` reads beyond `BASE_ENV` (its `FUNCTION_ENV` entry). */
export type ExtraEnvironment<E extends FunctionEntry> = { readonly [K in (typeof FUNCTION_ENV)[E][number]]: string };

/**
 * What function `E` is given: `BASE_ENV` plus its `FUNCTION_ENV` entry, and nothing else. Typed from
 * the shared constants, so an entry missing from FUNCTION_ENV, or a variable added to it, is a compile
 * error where the function is created until the stack provides a value.
 */
export type FunctionEnvironment<E extends FunctionEntry> = BaseEnvironment & ExtraEnvironment<E>;

export interface NodeFunctionProps<E extends FunctionEntry> {
  /** Entry file under functions/, without extension (it must `export const handler`). */
  entry: E;
  description: string;
  /** Only the variables of `entry` are set, even if the object carries more. */
  environment: NoInfer<FunctionEnvironment<E>>;
  /** Where an asynchronous invocation lands after its retries (functions with `asyncInvoke` in FUNCTIONS). */
  onFailure?: sqs.IQueue;
  /** @default one month */
  logRetention?: logs.RetentionDays;
  /** Import specifiers the bundle resolves to other files (e.g. the user's functions module). */
  aliases?: Record<string, string>;
  /** A fixed name, when the function must know its own ARN without referencing itself. @default generated */
  functionName?: string;
  /**
   * Files copied next to the bundle (`index.mjs`) after bundling, by their name there: absolute source
   * paths on the machine that synthesizes. The asset's hash covers them. @default none
   */
  assetFiles?: Record<string, string>;
}

/**
 * Every Lambda of the stack, with one set of defaults: Node 24 on arm64, minified ESM with source maps,
 * active tracing, its own log group with retention, and a role that holds only what is granted to it
 * (no AWS managed policy: the log-writing permission is scoped to the function's own log group).
 *
 * Bundled with LAMBDA_BUNDLING (./bundling.ts), which the cold-start bench shares: the AWS SDK v3 comes
 * from the runtime, and zod without its locales.
 */
export function createNodeFunction<E extends FunctionEntry>(
  scope: Construct,
  id: string,
  props: NodeFunctionProps<E>,
): NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    // Operational logs only (the audit trail lives in the table): they go with the stack.
    removalPolicy: RemovalPolicy.DESTROY,
  });

  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    description: `Execution role of ${props.entry}`,
  });
  logGroup.grantWrite(role);

  const fn = new NodejsFunction(scope, id, {
    entry: `${FUNCTIONS_DIR}${props.entry}.ts`,
    handler: "handler",
    description: props.description,
    ...(props.functionName && { functionName: props.functionName }),
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    // Timeout and memory come from the function catalog, which the local runtime reads too.
    memorySize: FUNCTIONS[props.entry].memoryMb,
    timeout: Duration.seconds(FUNCTIONS[props.entry].timeoutSeconds),
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}package-lock.json`,
    environment: {
      ...environmentVariables(props.entry, props.environment),
      NODE_OPTIONS: "--enable-source-maps",
    },
    bundling: {
      format: OutputFormat.ESM,
      target: LAMBDA_BUNDLING.target,
      mainFields: [...LAMBDA_BUNDLING.mainFields],
      banner: LAMBDA_BUNDLING.banner,
      minify: LAMBDA_BUNDLING.minify,
      sourceMap: LAMBDA_BUNDLING.sourcemap,
      sourceMapMode: SourceMapMode.DEFAULT,
      sourcesContent: LAMBDA_BUNDLING.sourcesContent,
      // The runtime's SDK: CDK marks @aws-sdk/* external (LAMBDA_BUNDLING.external).
      bundleAwsSDK: false,
      externalModules: [...LAMBDA_BUNDLING.external],
      logLevel: LogLevel.WARNING,
      esbuildArgs: Object.fromEntries(
        Object.entries({
          ...localEngineAliases(ownSettings(props.entry, props.environment)),
          ...props.aliases,
        }).map(([from, to]) => [`--alias:${from}`, to]),
      ),
      ...(props.assetFiles && { commandHooks: copyAfterBundling(props.assetFiles) }),
    },
  });

  Validations.of(role).acknowledge({
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "'*' only for actions without resource-level permissions: xray:PutTraceSegments and " +
      "xray:PutTelemetryRecords (active tracing) and, on the stream publisher and the message sequencer, " +
      "dynamodb:ListStreams (added by the DynamoDB event source). test/infra asserts that no other action is " +
      "granted on '*'.",
  });
  // Asynchronously invoked (rule or schedule targets): a handler error is retried by Lambda, then kept.
  const asyncInvoke = (FUNCTIONS[props.entry] as { asyncInvoke?: { retryAttempts: number; maxEventAgeHours: number } })
    .asyncInvoke;
  if (asyncInvoke) {
    if (!props.onFailure) throw new Error(`${props.entry} is invoked asynchronously: give it an onFailure queue`);
    fn.configureAsyncInvoke({
      retryAttempts: asyncInvoke.retryAttempts,
      maxEventAge: Duration.hours(asyncInvoke.maxEventAgeHours),
      onFailure: new destinations.SqsDestination(props.onFailure),
    });
  }
  return fn;
}

/** NodejsFunction's hooks that copy `files` (name in the asset → source path) into the bundle's folder. */
function copyAfterBundling(files: Record<string, string>) {
  for (const name of Object.keys(files)) {
    if (!/^[\w.-]+$/.test(name) || name === "index.mjs") throw new Error(`not a file name for the asset: ${name}`);
  }
  const quote = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) =>
      Object.entries(files).map(([name, source]) => `cp ${quote(source)} ${quote(`${outputDir}/${name}`)}`),
  };
}

/** EventBridge's delivery retries for a rule target (FUNCTIONS), over a day. */
export function ruleTargetRetries(entry: FunctionEntry): { retryAttempts: number; maxEventAge: Duration } {
  const settings = FUNCTIONS[entry] as { deliveryRetryAttempts?: number };
  if (settings.deliveryRetryAttempts === undefined) throw new Error(`${entry} is not a rule target`);
  return { retryAttempts: settings.deliveryRetryAttempts, maxEventAge: Duration.hours(24) };
}

function environmentVariables<E extends FunctionEntry>(
  entry: E,
  environment: FunctionEnvironment<E>,
): Record<string, string> {
  const names: readonly EnvName[] = [...BASE_ENV, ...FUNCTION_ENV[entry]];
  const values: Partial<Record<EnvName, string>> = environment;
  return Object.fromEntries(
    names.map((name) => {
      const value = values[name];
      // Unreachable when the caller type-checks; guards against casts.
      if (value === undefined) throw new Error(`${entry}: no value for ${name} (${ENV[name]})`);
      return [ENV[name], value] as const;
    }),
  );
}

/** The settings of `entry` only (BASE_ENV and its FUNCTION_ENV entry), by name, from what it was given. */
function ownSettings<E extends FunctionEntry>(entry: E, environment: FunctionEnvironment<E>): Record<string, string> {
  const values: Partial<Record<EnvName, string>> = environment;
  return Object.fromEntries(
    [...BASE_ENV, ...FUNCTION_ENV[entry]].flatMap((name) => (values[name] === undefined ? [] : [[name, values[name]]])),
  );
}
