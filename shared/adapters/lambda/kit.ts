import { Logger } from "@aws-lambda-powertools/logger";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { Logger as DomainLogger } from "../../kernel/logger.js";

/**
 * The handler kit: one wrapper per trigger, so an entry point in `functions/` is a domain call and nothing
 * else. Every wrapper is a middy stack with Powertools' logger (the Lambda request id, cold start and
 * function name on every line; errors with their stack) and metrics (EMF: a count and a latency per
 * invocation, errors counted apart), plus what its trigger needs: the event envelope parsed and its
 * correlation keys (`eventId`, `type`, `projectId`, `resource`) on every line, partial batch failures,
 * problem+json for HTTP.
 */
export interface Tools {
  logger: Logger;
  metrics: Metrics;
}

export function toolsFor(name: string): Tools {
  return {
    logger: new Logger({ serviceName: "cortex", persistentKeys: { function: name } }),
    metrics: new Metrics({ namespace: "Cortex", serviceName: "cortex", defaultDimensions: { function: name } }),
  };
}

/** The Powertools logger behind the domain's small Logger port (for domain code that takes one). */
export function domainLogger(logger: Logger): DomainLogger {
  return {
    debug: (m, f) => logger.debug(m, f ?? {}),
    info: (m, f) => logger.info(m, f ?? {}),
    warn: (m, f) => logger.warn(m, f ?? {}),
    error: (m, f) => logger.error(m, f ?? {}),
    child: (keys) => domainLogger(logger.createChild({ persistentKeys: keys })),
  };
}

/**
 * Counts the invocation, its latency and (when it throws a failure) its error, logged with its stack, then
 * rethrows. Some throws are answers, not failures (a client's 4xx, an authorizer's "Unauthorized").
 */
export async function measured<T>(tools: Tools, run: () => Promise<T>, isFailure = (_: unknown) => true): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } catch (error) {
    if (isFailure(error)) {
      tools.metrics.addMetric("errors", MetricUnit.Count, 1);
      tools.logger.error("invocation failed", { error });
    }
    throw error;
  } finally {
    tools.metrics.addMetric("invocations", MetricUnit.Count, 1);
    tools.metrics.addMetric("latency", MetricUnit.Milliseconds, performance.now() - started);
  }
}

/** The middy stack every wrapper starts from: Powertools logger context and metrics flushing. */
export function stack<E, R>(tools: Tools) {
  return middy<E, R, Error, Context>()
    .use(injectLambdaContext(tools.logger, { resetKeys: true }))
    .use(logMetrics(tools.metrics));
}

/** A direct invocation with a payload (EventBridge Scheduler's target). */
export function onInvoke<P>(name: string, fn: (payload: P, tools: Tools) => Promise<Record<string, unknown> | void>) {
  const tools = toolsFor(name);
  return stack<P, void>(tools).handler(async (payload) => {
    const outcome = await measured(tools, () => fn(payload, tools));
    tools.logger.info("handled", outcome ?? {});
  });
}

/**
 * An SQS consumer with partial batch failures: each record is handled on its own; a record that throws is
 * reported (and retried by the queue, then dead-lettered), the others are deleted.
 */
export function onSqsBatch(name: string, fn: (record: SQSRecord, tools: Tools) => Promise<void>) {
  const tools = toolsFor(name);
  return stack<SQSEvent, SQSBatchResponse>(tools).handler(async (event) => {
    const results = await Promise.allSettled(event.Records.map((record) => measured(tools, () => fn(record, tools))));
    const failed = event.Records.filter((_, i) => results[i]!.status === "rejected");
    if (failed.length > 0) tools.logger.warn("records failed", { count: failed.length });
    return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
  });
}

/** Any other trigger (a stream batch, an authorizer): the same logger and metrics around the function. */
export function onTrigger<E, R>(
  name: string,
  fn: (event: E, tools: Tools) => Promise<R>,
  options: { isFailure?: (error: unknown) => boolean } = {},
) {
  const tools = toolsFor(name);
  return stack<E, R>(tools).handler((event) => measured(tools, () => fn(event, tools), options.isFailure));
}
