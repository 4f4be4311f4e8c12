import { FUNCTIONS, type FunctionEntry } from "../shared/kernel/config.js";
import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";

/**
 * Invokes a Lambda handler in-process the way the Lambda runtime would: a Context with a request id and
 * a deadline, and a timeout that fails the invocation like "Task timed out".
 */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

export interface FunctionConfig {
  functionName: string;
  timeoutSeconds: number;
}

export function lambdaContext(config: FunctionConfig): Context {
  const deadline = Date.now() + config.timeoutSeconds * 1000;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: config.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${config.functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export async function invokeLambda<E, R>(handler: LambdaHandler<E, R>, event: E, config: FunctionConfig): Promise<R> {
  const context = lambdaContext(config);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${config.functionName}: Task timed out after ${config.timeoutSeconds} seconds`)),
      config.timeoutSeconds * 1000,
    );
  });
  try {
    return await Promise.race([handler(event, context), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A function's invocation settings from the catalog the stack reads too (timeout, async retries). */
export function functionConfig(entry: FunctionEntry, functionName: string = entry): FunctionConfig {
  return { functionName, timeoutSeconds: FUNCTIONS[entry].timeoutSeconds };
}

/** Lambda's retries of an asynchronous invocation whose handler threw, as the stack configures them. */
export function asyncRetryAttempts(entry: FunctionEntry): number {
  const settings = FUNCTIONS[entry] as { asyncInvoke?: { retryAttempts: number } };
  if (!settings.asyncInvoke) throw new Error(`${entry} is not invoked asynchronously`);
  return settings.asyncInvoke.retryAttempts;
}

export function isFunctionEntry(name: string): name is FunctionEntry {
  return Object.hasOwn(FUNCTIONS, name);
}
