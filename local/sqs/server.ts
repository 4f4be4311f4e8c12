/**
 * A local Amazon SQS for standard queues: enough of the real SQS API that `@aws-sdk/client-sqs` works
 * unchanged against it (point the client at `endpoint`, e.g. through `AWS_ENDPOINT_URL_SQS`, and use
 * `queueUrl(name)` as the QueueUrl), plus the consumer side of Lambda's SQS event-source mapping (see
 * consumer.ts). Messages are items in a DynamoDB table (DynamoDB Local; see store.ts), so they survive a
 * restart. Queues are defined by the options (as the CDK stack defines them); there is no CreateQueue.
 *
 * Protocol: AWS JSON 1.0 as the SDK sends it — `POST /`, `X-Amz-Target: AmazonSQS.<Operation>`,
 * `Content-Type: application/x-amz-json-1.0`, `x-amzn-query-mode: true`; PascalCase members, blobs in
 * base64. Errors as in errors.ts. The SDK sends each request to the origin of its QueueUrl when that
 * differs from its endpoint, so queue URLs use the endpoint's own origin: `{endpoint}/{account}/{name}`.
 *
 * Operations:
 *   SendMessage, SendMessageBatch    MessageBody, DelaySeconds 0–900, MessageAttributes, AWSTraceHeader;
 *                                    256 KiB per message and per batch, ≤ 10 entries, per-entry results
 *   ReceiveMessage                   MaxNumberOfMessages, VisibilityTimeout, WaitTimeSeconds (long poll),
 *                                    AttributeNames/MessageSystemAttributeNames, MessageAttributeNames
 *   DeleteMessage, ChangeMessageVisibility   by receipt handle
 *   GetQueueUrl, ListQueues, GetQueueAttributes (Approximate… counts, QueueArn, RedrivePolicy, …)
 * Redrive: a message received more than maxReceiveCount times moves to the dead-letter queue on its next
 * receive, by ReceiveMessage or the event-source mapping alike.
 * Not emulated: FIFO queues, message retention (messages never expire), queue-level DelaySeconds, KMS,
 * tags, permissions, purge.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { closeServer, listenOnLoopback, readJsonBody, sendJson } from "../http.js";
import { sleep } from "../sleep.js";
import { EventSourceMapping, type Logger, type SqsConsumer } from "./consumer.js";
import { invalidParameter, queueDoesNotExist, sqsError, SqsApiError } from "./errors.js";
import {
  isObject,
  MAX_MESSAGE_BYTES,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  MAX_WAIT_TIME_SECONDS,
  newReceiptHandle,
  optionalInteger,
  parseReceiptHandle,
  validateBatchEntries,
  validateMessage,
  validateQueueConfigs,
  type MessageAttributes,
  type QueueConfig,
  type ValidatedMessage,
} from "./model.js";
import { MessageTable, queueKey, type MessageItem } from "./store.js";

export type { SqsConsumer } from "./consumer.js";

export interface LocalSqsQueue {
  /** The queue name, e.g. "cortex-webhook-deliveries". */
  name: string;
  /** The consumer (Lambda event-source mapping): called with SQS-shaped batches; may return { batchItemFailures }. */
  consumer?: SqsConsumer;
  /** Messages per invocation, 1–10. Default 10. */
  batchSize?: number;
  /** Default 30 (as SQS). */
  visibilityTimeoutSeconds?: number;
  /** Redrive: after this many receives the next receive moves the message to deadLetterQueue. */
  maxReceiveCount?: number;
  /** The name of another queue in this list. */
  deadLetterQueue?: string;
}

export interface LocalSqsOptions {
  /** A client pointing at DynamoDB Local. */
  dynamodb: DynamoDBClient;
  /** The messages' own table; created if missing (PK/SK string keys, on-demand). */
  tableName: string;
  queues: LocalSqsQueue[];
  /** How often a consumer's queue is polled when it is idle. Default 100 ms. */
  pollMs?: number;
  /** Clock (epoch ms) for delays, visibility timeouts and timestamps (tests). Default: the system clock. */
  now?: () => number;
  log?: Logger;
  /** Listening port on 127.0.0.1. Default 0 (an ephemeral port). */
  port?: number;
  /** Used in ARNs and queue URLs. Defaults: us-east-1, 000000000000. */
  region?: string;
  accountId?: string;
}

export interface LocalSqs {
  /** `http://127.0.0.1:<port>`: the SQSClient `endpoint` (or AWS_ENDPOINT_URL_SQS). */
  endpoint: string;
  /** `{endpoint}/{accountId}/{name}`; throws for a queue that is not defined. */
  queueUrl(name: string): string;
  /** `arn:aws:sqs:{region}:{accountId}:{name}`. */
  queueArn(name: string): string;
  /**
   * Resolves when no consumer batch is in flight and no queue with a consumer holds a message that is
   * visible now. Messages still delayed or waiting out a visibility timeout do not count.
   */
  drain(): Promise<void>;
  /** Stops the consumers (waiting for batches in flight) and closes the server. */
  stop(): Promise<void>;
}

const DEFAULT_POLL_MS = 100;
const DEFAULT_BATCH_SIZE = 10;
const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** Attribute names GetQueueAttributes accepts; those not emulated are accepted and left out of the answer. */
const QUEUE_ATTRIBUTE_NAMES = new Set([
  "All",
  "Policy",
  "VisibilityTimeout",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "QueueArn",
  "ApproximateNumberOfMessagesDelayed",
  "DelaySeconds",
  "ReceiveMessageWaitTimeSeconds",
  "RedrivePolicy",
  "FifoQueue",
  "ContentBasedDeduplication",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "DeduplicationScope",
  "FifoThroughputLimit",
  "RedriveAllowPolicy",
  "SqsManagedSseEnabled",
]);

const MESSAGE_SYSTEM_ATTRIBUTE_NAMES = new Set([
  "All",
  "SenderId",
  "SentTimestamp",
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SequenceNumber",
  "MessageDeduplicationId",
  "MessageGroupId",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
]);

interface Queue extends QueueConfig {
  arn: string;
  consumer?: SqsConsumer;
}

type Body = Record<string, unknown>;

export async function startLocalSqs(options: LocalSqsOptions): Promise<LocalSqs> {
  const now = options.now ?? (() => Date.now());
  const log = options.log ?? (() => undefined);
  const region = options.region ?? "us-east-1";
  const accountId = options.accountId ?? "000000000000";
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const configs: QueueConfig[] = options.queues.map((q) => ({
    name: q.name,
    batchSize: q.batchSize ?? DEFAULT_BATCH_SIZE,
    visibilityTimeoutSeconds: q.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS,
    ...(q.maxReceiveCount !== undefined && { maxReceiveCount: q.maxReceiveCount }),
    ...(q.deadLetterQueue !== undefined && { deadLetterQueue: q.deadLetterQueue }),
  }));
  validateQueueConfigs(configs);

  const table = new MessageTable(options.dynamodb, options.tableName);
  await table.ensureTable();

  const stopping = new AbortController();
  /** Set once the server listens (queue URLs carry its origin). */
  let endpoint = "";
  const queueArn = (name: string) => `arn:aws:sqs:${region}:${accountId}:${name}`;
  const queueUrlOf = (name: string) => `${endpoint}/${accountId}/${name}`;
  const queues = new Map<string, Queue>(
    configs.map((config, i) => [
      config.name,
      {
        ...config,
        arn: queueArn(config.name),
        ...(options.queues[i]!.consumer && { consumer: options.queues[i]!.consumer }),
      },
    ]),
  );

  /** The queue a QueueUrl names: its path is /{account}/{name}; the host is not checked (as on AWS). */
  function queueFromUrl(value: unknown): Queue {
    if (typeof value !== "string" || value === "") {
      throw sqsError("MissingParameter", "The request must contain the parameter QueueUrl.");
    }
    let path: string[];
    try {
      path = new URL(value).pathname.split("/").filter((p) => p.length > 0);
    } catch {
      throw queueDoesNotExist();
    }
    const queue = path.length === 2 && path[0] === accountId ? queues.get(decodeURIComponent(path[1]!)) : undefined;
    if (!queue) throw queueDoesNotExist();
    return queue;
  }

  // ---- receiving (shared by ReceiveMessage and the event-source mappings) ----

  async function receive(queue: Queue, max: number, visibilityTimeoutSeconds: number): Promise<MessageItem[]> {
    const nowMs = now();
    const received: MessageItem[] = [];
    for (const item of await table.listVisible(queue.name, nowMs)) {
      if (received.length >= max) break;
      if (queue.maxReceiveCount !== undefined && item.receiveCount >= queue.maxReceiveCount) {
        if (await table.moveToDeadLetterQueue(item, queue.deadLetterQueue!, queue.arn, nowMs)) {
          log("local sqs: message moved to the dead-letter queue", {
            queue: queue.name,
            deadLetterQueue: queue.deadLetterQueue,
            messageId: item.messageId,
            receiveCount: item.receiveCount,
          });
        }
        continue;
      }
      const handle = newReceiptHandle(queue.name, item.messageId);
      const claimed = await table.claim(item, handle, nowMs + visibilityTimeoutSeconds * 1000, nowMs);
      if (claimed) received.push(claimed);
    }
    return received;
  }

  // ---- operations ----

  function newItem(queue: Queue, message: ValidatedMessage, nowMs: number): MessageItem {
    const messageId = randomUUID();
    return {
      PK: queueKey(queue.name),
      SK: messageId,
      queue: queue.name,
      messageId,
      body: message.body,
      md5OfBody: message.md5OfBody,
      ...(message.messageAttributes && {
        messageAttributes: JSON.stringify(message.messageAttributes),
        md5OfMessageAttributes: message.md5OfMessageAttributes,
      }),
      ...(message.traceHeader !== undefined && { traceHeader: message.traceHeader }),
      sentAt: nowMs,
      visibleAt: nowMs + message.delaySeconds * 1000,
      receiveCount: 0,
    };
  }

  const sentResult = (item: MessageItem) => ({
    MessageId: item.messageId,
    MD5OfMessageBody: item.md5OfBody,
    ...(item.md5OfMessageAttributes !== undefined && { MD5OfMessageAttributes: item.md5OfMessageAttributes }),
  });

  async function sendMessage(input: Body): Promise<Body> {
    const queue = queueFromUrl(input.QueueUrl);
    const item = newItem(queue, validateMessage(input), now());
    await table.put(item);
    log("local sqs: message sent", { queue: queue.name, messageId: item.messageId });
    return sentResult(item);
  }

  /** A batch entry's size before validation (body plus attributes), for the batch size limit. */
  function rawSize(entry: Body): number {
    let size = typeof entry.MessageBody === "string" ? Buffer.byteLength(entry.MessageBody) : 0;
    if (isObject(entry.MessageAttributes)) {
      for (const [name, attribute] of Object.entries(entry.MessageAttributes)) {
        size += Buffer.byteLength(name);
        if (!isObject(attribute)) continue;
        if (typeof attribute.DataType === "string") size += Buffer.byteLength(attribute.DataType);
        if (typeof attribute.StringValue === "string") size += Buffer.byteLength(attribute.StringValue);
        if (typeof attribute.BinaryValue === "string") size += Buffer.from(attribute.BinaryValue, "base64").length;
      }
    }
    return size;
  }

  async function sendMessageBatch(input: Body): Promise<Body> {
    const queue = queueFromUrl(input.QueueUrl);
    const entries = validateBatchEntries(input.Entries);
    const total = entries.reduce((sum, entry) => sum + rawSize(entry), 0);
    if (total > MAX_MESSAGE_BYTES) {
      throw sqsError(
        "BatchRequestTooLong",
        `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
      );
    }
    const nowMs = now();
    const successful: Body[] = [];
    const failed: Body[] = [];
    const items: MessageItem[] = [];
    for (const entry of entries) {
      try {
        const item = newItem(queue, validateMessage(entry), nowMs);
        items.push(item);
        successful.push({ Id: entry.Id, ...sentResult(item) });
      } catch (error) {
        if (!(error instanceof SqsApiError)) throw error;
        failed.push({ Id: entry.Id, SenderFault: true, Code: error.code, Message: error.message });
      }
    }
    await Promise.all(items.map((item) => table.put(item)));
    log("local sqs: message batch sent", { queue: queue.name, sent: items.length, failed: failed.length });
    return { Successful: successful, Failed: failed };
  }

  function stringList(input: Body, member: string): string[] {
    const value = input[member];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      throw invalidParameter(`Value for parameter ${member} is invalid. Reason: Must be a list of strings.`);
    }
    return value as string[];
  }

  function selectMessageAttributes(item: MessageItem, wanted: string[]): MessageAttributes | undefined {
    if (!item.messageAttributes || wanted.length === 0) return undefined;
    const all = JSON.parse(item.messageAttributes) as MessageAttributes;
    const picked: MessageAttributes = {};
    for (const [name, value] of Object.entries(all)) {
      const match = wanted.some(
        (w) => w === "All" || w === ".*" || w === name || (w.endsWith(".*") && name.startsWith(w.slice(0, -1))),
      );
      if (match) picked[name] = value;
    }
    return Object.keys(picked).length > 0 ? picked : undefined;
  }

  function systemAttributes(item: MessageItem, wanted: Set<string>): Record<string, string> {
    const all: Record<string, string | undefined> = {
      SenderId: accountId,
      SentTimestamp: String(item.sentAt),
      ApproximateReceiveCount: String(item.receiveCount),
      ApproximateFirstReceiveTimestamp: String(item.firstReceivedAt ?? item.sentAt),
      AWSTraceHeader: item.traceHeader,
      DeadLetterQueueSourceArn: item.deadLetterSourceArn,
    };
    const picked: Record<string, string> = {};
    for (const [name, value] of Object.entries(all)) {
      if (value !== undefined && (wanted.has("All") || wanted.has(name))) picked[name] = value;
    }
    return picked;
  }

  async function receiveMessage(input: Body): Promise<Body> {
    const queue = queueFromUrl(input.QueueUrl);
    const max = optionalInteger(input, "MaxNumberOfMessages", 1, 10) ?? 1;
    const visibility =
      optionalInteger(input, "VisibilityTimeout", 0, MAX_VISIBILITY_TIMEOUT_SECONDS) ?? queue.visibilityTimeoutSeconds;
    const wait = optionalInteger(input, "WaitTimeSeconds", 0, MAX_WAIT_TIME_SECONDS) ?? 0;
    const wantedSystem = new Set([
      ...stringList(input, "AttributeNames"),
      ...stringList(input, "MessageSystemAttributeNames"),
    ]);
    for (const name of wantedSystem) {
      if (!MESSAGE_SYSTEM_ATTRIBUTE_NAMES.has(name))
        throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
    }
    const wantedAttributes = stringList(input, "MessageAttributeNames");

    // Long polling on the real clock (an injected test clock may stand still).
    const deadline = Date.now() + wait * 1000;
    let messages = await receive(queue, max, visibility);
    while (messages.length === 0 && Date.now() < deadline) {
      if (!(await sleep(Math.min(pollMs, deadline - Date.now()), stopping.signal))) break;
      messages = await receive(queue, max, visibility);
    }
    if (messages.length === 0) return {};
    return {
      Messages: messages.map((item) => {
        const attributes = systemAttributes(item, wantedSystem);
        const messageAttributes = selectMessageAttributes(item, wantedAttributes);
        return {
          MessageId: item.messageId,
          ReceiptHandle: item.receiptHandle,
          MD5OfBody: item.md5OfBody,
          Body: item.body,
          ...(Object.keys(attributes).length > 0 && { Attributes: attributes }),
          ...(messageAttributes && {
            MessageAttributes: messageAttributes,
            MD5OfMessageAttributes: item.md5OfMessageAttributes,
          }),
        };
      }),
    };
  }

  function receiptHandleOf(queue: Queue, value: unknown): { messageId: string; handle: string } {
    if (value === undefined || value === null) {
      throw sqsError("MissingParameter", "The request must contain the parameter ReceiptHandle.");
    }
    const parsed = parseReceiptHandle(value);
    if (parsed.queue !== queue.name) {
      throw sqsError(
        "ReceiptHandleIsInvalid",
        `The input receipt handle "${String(value)}" is not a valid receipt handle.`,
      );
    }
    return { messageId: parsed.messageId, handle: value as string };
  }

  async function deleteMessage(input: Body): Promise<Body> {
    const queue = queueFromUrl(input.QueueUrl);
    const { messageId, handle } = receiptHandleOf(queue, input.ReceiptHandle);
    // A handle of an earlier receive, or of a message already deleted, deletes nothing and is no error.
    if (await table.deleteReceived(queue.name, messageId, handle)) {
      log("local sqs: message deleted", { queue: queue.name, messageId });
    }
    return {};
  }

  async function changeMessageVisibility(input: Body): Promise<Body> {
    const queue = queueFromUrl(input.QueueUrl);
    const { messageId, handle } = receiptHandleOf(queue, input.ReceiptHandle);
    const timeout = optionalInteger(input, "VisibilityTimeout", 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
    if (timeout === undefined)
      throw sqsError("MissingParameter", "The request must contain the parameter VisibilityTimeout.");
    const nowMs = now();
    if (await table.changeVisibility(queue.name, messageId, handle, nowMs + timeout * 1000, nowMs)) return {};
    const item = await table.get(queue.name, messageId);
    if (item && item.receiptHandle === handle) {
      throw sqsError("MessageNotInflight", "The message referred to isn't in flight.");
    }
    throw invalidParameter(
      `Value ${handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
    );
  }

  function getQueueUrl(input: Body): Body {
    const name = input.QueueName;
    if (typeof name !== "string" || name === "") {
      throw sqsError("MissingParameter", "The request must contain the parameter QueueName.");
    }
    const owner = input.QueueOwnerAWSAccountId;
    const queue = owner === undefined || owner === null || owner === accountId ? queues.get(name) : undefined;
    if (!queue) throw queueDoesNotExist();
    return { QueueUrl: queueUrlOf(queue.name) };
  }

  function listQueues(input: Body): Body {
    const prefix = typeof input.QueueNamePrefix === "string" ? input.QueueNamePrefix : "";
    const max = optionalInteger(input, "MaxResults", 1, 1000);
    const after = typeof input.NextToken === "string" ? Buffer.from(input.NextToken, "base64url").toString("utf8") : "";
    const names = [...queues.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
    const page = max === undefined ? names : names.slice(0, max);
    return {
      ...(page.length > 0 && { QueueUrls: page.map(queueUrlOf) }),
      ...(max !== undefined &&
        names.length > max && { NextToken: Buffer.from(page[page.length - 1]!, "utf8").toString("base64url") }),
    };
  }

  async function getQueueAttributes(input: Body): Promise<Body> {
    const queue = queueFromUrl(input.QueueUrl);
    const wanted = new Set(stringList(input, "AttributeNames"));
    for (const name of wanted) {
      if (!QUEUE_ATTRIBUTE_NAMES.has(name)) throw sqsError("InvalidAttributeName", `Unknown Attribute ${name}.`);
    }
    if (wanted.size === 0) return {};
    const want = (name: string) => wanted.has("All") || wanted.has(name);
    const attributes: Record<string, string> = {};
    if (
      want("ApproximateNumberOfMessages") ||
      want("ApproximateNumberOfMessagesNotVisible") ||
      want("ApproximateNumberOfMessagesDelayed")
    ) {
      const nowMs = now();
      let visible = 0;
      let inFlight = 0;
      let delayed = 0;
      for (const state of await table.listStates(queue.name)) {
        if (state.visibleAt <= nowMs) visible++;
        else if (state.receiveCount > 0) inFlight++;
        else delayed++;
      }
      if (want("ApproximateNumberOfMessages")) attributes.ApproximateNumberOfMessages = String(visible);
      if (want("ApproximateNumberOfMessagesNotVisible")) {
        attributes.ApproximateNumberOfMessagesNotVisible = String(inFlight);
      }
      if (want("ApproximateNumberOfMessagesDelayed")) attributes.ApproximateNumberOfMessagesDelayed = String(delayed);
    }
    if (want("QueueArn")) attributes.QueueArn = queue.arn;
    if (want("VisibilityTimeout")) attributes.VisibilityTimeout = String(queue.visibilityTimeoutSeconds);
    if (want("DelaySeconds")) attributes.DelaySeconds = "0";
    if (want("MaximumMessageSize")) attributes.MaximumMessageSize = String(MAX_MESSAGE_BYTES);
    if (want("ReceiveMessageWaitTimeSeconds")) attributes.ReceiveMessageWaitTimeSeconds = "0";
    if (want("RedrivePolicy") && queue.deadLetterQueue !== undefined) {
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: queueArn(queue.deadLetterQueue),
        maxReceiveCount: queue.maxReceiveCount,
      });
    }
    return { Attributes: attributes };
  }

  /**
   * Dead-letter queue redrive, as `StartMessageMoveTask`: moves the messages of a dead-letter queue back to
   * the queue each came from (or to DestinationArn). AWS runs the task in the background; here it is done
   * before the answer.
   */
  async function startMessageMoveTask(input: Body): Promise<Body> {
    const byArn = (arn: unknown, parameter: string) => {
      if (typeof arn !== "string" || arn === "") {
        throw sqsError("MissingParameter", `The request must contain the parameter ${parameter}.`);
      }
      const queue = [...queues.values()].find((q) => q.arn === arn);
      if (!queue) throw sqsError("InvalidParameterValue", `Value ${arn} for parameter ${parameter} is invalid.`);
      return queue;
    };
    const source = byArn(input.SourceArn, "SourceArn");
    if (![...queues.values()].some((q) => q.deadLetterQueue === source.name)) {
      throw sqsError("InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue.");
    }
    const destination = input.DestinationArn === undefined ? undefined : byArn(input.DestinationArn, "DestinationArn");
    const nowMs = now();
    let moved = 0;
    for (const item of await table.listAll(source.name)) {
      const target = destination ?? [...queues.values()].find((q) => q.arn === item.deadLetterSourceArn);
      if (!target) continue; // not moved here by a redrive policy: stays
      if (await table.moveBack(item, target.name, nowMs)) moved++;
    }
    log("local sqs: dead-letter queue redriven", { queue: source.name, moved });
    return { TaskHandle: Buffer.from(JSON.stringify({ source: source.arn, at: nowMs })).toString("base64url") };
  }

  const operations: Record<string, (input: Body) => Body | Promise<Body>> = {
    SendMessage: sendMessage,
    SendMessageBatch: sendMessageBatch,
    ReceiveMessage: receiveMessage,
    DeleteMessage: deleteMessage,
    ChangeMessageVisibility: changeMessageVisibility,
    GetQueueUrl: getQueueUrl,
    ListQueues: listQueues,
    GetQueueAttributes: getQueueAttributes,
    StartMessageMoveTask: startMessageMoveTask,
  };

  // ---- HTTP ----

  async function readBody(req: IncomingMessage): Promise<Body> {
    const notAnObject = () => invalidParameter("The request body is not a JSON object.");
    const parsed = await readJsonBody(req, {
      maxBytes: MAX_REQUEST_BYTES,
      onTooLarge: () => invalidParameter("The request body is too large."),
      onInvalid: notAnObject,
    });
    if (!isObject(parsed)) throw notAnObject();
    return parsed;
  }

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    sendJson(res, status, body, { "content-type": "application/x-amz-json-1.0", ...headers });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers["x-amz-target"];
    const operation = typeof target === "string" && target.startsWith("AmazonSQS.") ? target.slice(10) : undefined;
    try {
      const run =
        operation !== undefined && req.method === "POST" && Object.hasOwn(operations, operation)
          ? operations[operation]
          : undefined;
      if (!run) {
        req.resume(); // drain the unread body
        // Also what a Query-protocol request (form-encoded, from an SDK older than SQS's JSON protocol) gets.
        throw sqsError(
          "UnsupportedOperation",
          `The local SQS implements ${Object.keys(operations).join(", ")} over AWS JSON 1.0 (got ${req.method} ${String(target)}).`,
        );
      }
      send(res, 200, await run(await readBody(req)));
    } catch (error) {
      const apiError =
        error instanceof SqsApiError
          ? error
          : (log("local sqs: internal error", { operation, error: String(error) }),
            sqsError("InternalError", "Internal error in the local SQS."));
      send(
        res,
        apiError.status,
        { __type: apiError.type, message: apiError.message },
        {
          "x-amzn-query-error": apiError.queryError,
        },
      );
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  endpoint = `http://127.0.0.1:${await listenOnLoopback(server, options.port ?? 0)}`;

  // ---- event-source mappings ----

  const mappings: Array<{ queue: Queue; mapping: EventSourceMapping }> = [];
  for (const queue of queues.values()) {
    if (!queue.consumer) continue;
    const mapping = new EventSourceMapping({
      queueName: queue.name,
      queueArn: queue.arn,
      region,
      senderId: accountId,
      batchSize: queue.batchSize,
      visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
      pollMs,
      consumer: queue.consumer,
      receive: (max, visibility) => receive(queue, max, visibility),
      remove: async (message) => {
        await table.deleteReceived(queue.name, message.messageId, message.receiptHandle!);
      },
      log,
    });
    mappings.push({ queue, mapping });
    mapping.start();
  }

  let stopped: Promise<void> | undefined;

  async function drain(): Promise<void> {
    while (!stopping.signal.aborted) {
      const before = mappings.map(({ mapping }) => mapping.batches);
      if (!mappings.some(({ mapping }) => mapping.busy)) {
        const nowMs = now();
        let visible = false;
        for (const { queue } of mappings) {
          if (await table.hasVisible(queue.name, nowMs)) {
            visible = true;
            break;
          }
        }
        // A poll that started after the first check has set `busy` or counted a batch by now.
        const settled = mappings.every(({ mapping }, i) => !mapping.busy && mapping.batches === before[i]);
        if (!visible && settled) return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(10, Math.min(pollMs, 50))));
    }
  }

  return {
    endpoint,
    queueUrl: (name) => {
      const queue = queues.get(name);
      if (!queue) throw new Error(`local sqs: no queue ${name}`);
      return queueUrlOf(queue.name);
    },
    queueArn,
    drain,
    stop: () =>
      (stopped ??= (async () => {
        stopping.abort();
        await closeServer(server, async () => {
          await Promise.all(mappings.map(({ mapping }) => mapping.stop()));
        });
      })()),
  };
}
