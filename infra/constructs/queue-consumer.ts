import { Duration } from "aws-cdk-lib";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { QUEUES } from "../../shared/events/rules.js";
import { createNodeFunction, type FunctionEnvironment } from "./node-function.js";

/** The classic SQS limit, which the local emulator enforces too (local/sqs/model.ts). */
export const MAX_MESSAGE_BYTES = 262_144;

/** The `QUEUES` entries with a consumer function under functions/. */
export type ConsumedQueue = {
  [K in keyof typeof QUEUES]: (typeof QUEUES)[K] extends { entry: string } ? K : never;
}[keyof typeof QUEUES];
type ConsumerEntryOf<Q extends ConsumedQueue> = (typeof QUEUES)[Q]["entry"];

export interface QueueConsumerProps<Q extends ConsumedQueue> {
  /** The `QUEUES` entry: batch size, visibility timeout, receives before dead-lettering, the function. */
  queue: Q;
  /**
   * Construct ids in `scope`, so that a queue that already exists keeps its logical ids (a renamed queue
   * is a new queue: the messages waiting in the old one, such as delayed retries, would be lost).
   */
  ids: { queue: string; deadLetters: string; function: string };
  description: string;
  /** The function's variables; given the queue, for a consumer that puts messages back on it. */
  environment: (queue: sqs.IQueue) => NoInfer<FunctionEnvironment<ConsumerEntryOf<Q>>>;
}

export interface QueueConsumer {
  queue: sqs.Queue;
  /** Messages received `maxReceiveCount` times without success: inspect, then redrive (npm run redrive). */
  deadLetters: sqs.Queue;
  fn: NodejsFunction;
}

/**
 * A `QUEUES` entry with a consumer function: the queue (SSE, TLS only, within the emulator's message size),
 * its dead-letter queue (after `maxReceiveCount` receives, kept 14 days), the function from the catalog,
 * and an event source with the entry's batch size that reports partial batch failures, so one failed
 * record is retried alone. The event source grants the function what it consumes with
 * (`grantConsumeMessages`: receive, delete, change visibility, get the queue's URL and attributes);
 * anything else (the table, putting messages) is the caller's to grant.
 */
export function createQueueConsumer<Q extends ConsumedQueue>(
  scope: Construct,
  props: QueueConsumerProps<Q>,
): QueueConsumer {
  const definition: {
    entry: ConsumerEntryOf<Q>;
    batchSize: number;
    visibilityTimeoutSeconds: number;
    maxReceiveCount: number;
  } = QUEUES[props.queue];

  // The redrive target of the queue below, which cdk-nag recognises (no AwsSolutions-SQS3 finding here).
  const deadLetters = new sqs.Queue(scope, props.ids.deadLetters, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, props.ids.queue, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: definition.maxReceiveCount },
  });

  const fn = createNodeFunction<ConsumerEntryOf<Q>>(scope, props.ids.function, {
    entry: definition.entry,
    description: props.description,
    environment: props.environment(queue),
  });
  fn.addEventSource(new SqsEventSource(queue, { batchSize: definition.batchSize, reportBatchItemFailures: true }));
  return { queue, deadLetters, fn };
}
