/**
 * The local stand-in for Lambda's SQS event-source mapping: polls one queue, receives up to `batchSize`
 * messages (each receive starts its visibility timeout and counts towards the redrive policy), invokes
 * the consumer with an `SQSEvent` shaped as Lambda builds it, then deletes what was processed:
 *
 * - the consumer resolves with nothing, or with an empty/null `batchItemFailures`: the whole batch;
 * - it reports `batchItemFailures` (ReportBatchItemFailures): all but the failed messages, which become
 *   visible again when their visibility timeout ends (or when the consumer changed it);
 * - it throws, or reports an invalid failure (an empty or unknown `itemIdentifier`): nothing — the
 *   whole batch is retried after the visibility timeout, as Lambda treats it as a complete failure.
 *
 * Differences from AWS: one batch at a time per queue (Lambda scales pollers and concurrent
 * invocations), no batching window, and the queue is polled every `pollMs` instead of long-polled.
 */
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";
import { sleep } from "../sleep.js";
import type { MessageAttributes } from "./model.js";
import type { MessageItem } from "./store.js";

export type SqsConsumer = (event: SQSEvent) => Promise<SQSBatchResponse | void>;
export type Logger = (message: string, fields?: Record<string, unknown>) => void;

export interface EventSourceMappingOptions {
  queueName: string;
  queueArn: string;
  region: string;
  senderId: string;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  pollMs: number;
  consumer: SqsConsumer;
  /** Receives up to `max` messages (redriving those past maxReceiveCount). */
  receive: (max: number, visibilityTimeoutSeconds: number) => Promise<MessageItem[]>;
  /** Deletes a received message by its receipt handle. */
  remove: (message: MessageItem) => Promise<void>;
  log: Logger;
}

/** A message as a Lambda SQS record (message attributes in Lambda's camelCase shape). */
export function toSqsRecord(
  message: MessageItem,
  source: { queueArn: string; region: string; senderId: string },
): SQSRecord {
  const attributes = message.messageAttributes
    ? (JSON.parse(message.messageAttributes) as MessageAttributes)
    : undefined;
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && { binaryValue: value.BinaryValue }),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle!,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: source.senderId,
      ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
      ...(message.traceHeader !== undefined && { AWSTraceHeader: message.traceHeader }),
      ...(message.deadLetterSourceArn !== undefined && { DeadLetterQueueSourceArn: message.deadLetterSourceArn }),
    },
    messageAttributes,
    md5OfBody: message.md5OfBody,
    ...(message.md5OfMessageAttributes !== undefined && { md5OfMessageAttributes: message.md5OfMessageAttributes }),
    eventSource: "aws:sqs",
    eventSourceARN: source.queueArn,
    awsRegion: source.region,
  };
}

/**
 * Which messages of a batch to keep (not delete) given the consumer's response, by Lambda's rules for
 * ReportBatchItemFailures: `"all"` when the response counts as a complete failure.
 */
export function failedMessageIds(response: unknown, batch: readonly MessageItem[]): Set<string> | "all" {
  if (response === undefined || response === null) return new Set();
  if (typeof response !== "object" || Array.isArray(response)) return "all";
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return "all";
  const ids = new Set(batch.map((m) => m.messageId));
  const failed = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id =
      typeof failure === "object" && failure !== null
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== "string" || id === "" || !ids.has(id)) return "all";
    failed.add(id);
  }
  return failed;
}

export class EventSourceMapping {
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  /** True from the start of a poll until its batch is settled. */
  busy = false;
  /** Counts polls that received messages (drain() compares it before and after a check). */
  batches = 0;

  constructor(private readonly options: EventSourceMappingOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    const { pollMs, log, queueName } = this.options;
    while (!this.stopping.signal.aborted) {
      let received = 0;
      try {
        received = await this.poll();
      } catch (error) {
        log("local sqs: polling failed", { queue: queueName, error: String(error) });
      }
      // A full batch suggests more are waiting: poll again at once, as Lambda's pollers do.
      if (received < this.options.batchSize && !(await sleep(pollMs, this.stopping.signal))) break;
    }
  }

  /** One receive and, if it got messages, one invocation. Returns how many messages it received. */
  private async poll(): Promise<number> {
    if (this.stopping.signal.aborted) return 0;
    const { queueName, log } = this.options;
    this.busy = true;
    try {
      const batch = await this.options.receive(this.options.batchSize, this.options.visibilityTimeoutSeconds);
      if (batch.length === 0) return 0;
      this.batches++;
      const event: SQSEvent = { Records: batch.map((m) => toSqsRecord(m, this.options)) };
      let failed: Set<string> | "all";
      try {
        failed = failedMessageIds(await this.options.consumer(event), batch);
        if (failed === "all") {
          log("local sqs: invalid batchItemFailures; the whole batch will be retried", { queue: queueName });
        }
      } catch (error) {
        log("local sqs: consumer failed; the batch will be retried after the visibility timeout", {
          queue: queueName,
          messages: batch.length,
          error: error instanceof Error ? error.message : String(error),
        });
        failed = "all";
      }
      if (failed !== "all") {
        const done = batch.filter((m) => !failed.has(m.messageId));
        await Promise.all(done.map((m) => this.options.remove(m)));
        if (failed.size > 0) {
          log("local sqs: batch item failures will be retried after the visibility timeout", {
            queue: queueName,
            failed: [...failed],
          });
        }
      }
      return batch.length;
    } finally {
      this.busy = false;
    }
  }

  /** Stops polling, waiting for a batch in flight to finish. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }
}
