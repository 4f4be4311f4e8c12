import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { ENV } from "../../shared/platform/config.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FUNCTIONS_DIR = fileURLToPath(new URL("../../functions/", import.meta.url));

/**
 * A value for every variable in `ENV`. Typed from `ENV`, so a variable added there is a compile error
 * here until the stack provides it.
 */
export type FunctionEnvironment = { readonly [K in keyof typeof ENV]: string };

export interface NodeFunctionProps {
  /** Entry file under functions/, without extension (it must `export const handler`). */
  entry: string;
  description: string;
  environment: FunctionEnvironment;
  /** @default 10 seconds */
  timeout?: Duration;
  /** @default 256 MB */
  memorySize?: number;
  /** @default one month */
  logRetention?: logs.RetentionDays;
}

/**
 * ESM output still meets CommonJS dependencies that call `require` for Node built-ins; esbuild's shim
 * needs a real `require` in scope. The alias keeps the banner's names clear of the bundle's.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __cortexCreateRequire } from 'node:module'; const require = __cortexCreateRequire(import.meta.url);";

/**
 * Every Lambda of the stack, with one set of defaults: Node 24 on arm64, minified ESM with source maps,
 * active tracing, its own log group with retention, and a role that holds only what is granted to it
 * (no AWS managed policy: the log-writing permission is scoped to the function's own log group).
 *
 * The AWS SDK v3 is bundled rather than taken from the runtime: the bundle then runs the exact client
 * versions the tests ran against (the runtime's copy moves on its own schedule), and esbuild tree-shakes
 * the ESM clients, which keeps cold starts short.
 */
export function createNodeFunction(scope: Construct, id: string, props: NodeFunctionProps): NodejsFunction {
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
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 256,
    timeout: props.timeout ?? Duration.seconds(10),
    role,
    logGroup,
    tracing: lambda.Tracing.ACTIVE,
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}package-lock.json`,
    environment: {
      ...environmentVariables(props.environment),
      NODE_OPTIONS: "--enable-source-maps",
    },
    bundling: {
      format: OutputFormat.ESM,
      target: "node24",
      mainFields: ["module", "main"],
      banner: ESM_REQUIRE_BANNER,
      minify: true,
      sourceMap: true,
      sourceMapMode: SourceMapMode.DEFAULT,
      sourcesContent: false,
      bundleAwsSDK: true,
      logLevel: LogLevel.WARNING,
    },
  });

  Validations.of(role).acknowledge({
    id: "AwsSolutions-IAM5[Resource::*]",
    reason:
      "'*' only for actions without resource-level permissions: xray:PutTraceSegments and " +
      "xray:PutTelemetryRecords (active tracing) and, on the stream publisher, dynamodb:ListStreams (added by " +
      "the DynamoDB event source). test/infra asserts that no other action is granted on '*'.",
  });
  return fn;
}

function environmentVariables(environment: FunctionEnvironment): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(ENV) as (keyof typeof ENV)[]).map((key) => [ENV[key], environment[key]] as const),
  );
}
