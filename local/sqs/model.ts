/**
 * The SQS shapes the emulator accepts, validated the way the service validates them (message body
 * characters and size, DelaySeconds range, message attribute names, types and values, batch entry ids),
 * so a producer that works here is not rejected on AWS for a reason the emulator let through. Also the
 * checksums SQS returns (MD5 of the body, MD5 of the message attributes) and the opaque receipt handles.
 */
import { createHash, randomUUID } from "node:crypto";
import { invalidParameter, sqsError } from "./errors.js";

/**
 * The message size limit, body plus attributes. AWS raised the service maximum to 1 MiB (1,048,576 bytes;
 * the new default of MaximumMessageSize) in 2025; these queues keep the classic 256 KiB, which also keeps
 * a message within DynamoDB's 400 KB item limit. Deploy the real queues with `maxMessageSizeBytes: 262144`.
 */
export const MAX_MESSAGE_BYTES = 262_144;
export const MAX_DELAY_SECONDS = 900;
export const MAX_BATCH_ENTRIES = 10;
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
export const MAX_WAIT_TIME_SECONDS = 20;
export const MAX_MESSAGE_ATTRIBUTES = 10;

/** A message attribute as the JSON protocol carries it (BinaryValue is base64). */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
}
export type MessageAttributes = Record<string, MessageAttributeValue>;

export interface ValidatedMessage {
  body: string;
  md5OfBody: string;
  delaySeconds: number;
  messageAttributes?: MessageAttributes;
  md5OfMessageAttributes?: string;
  /** MessageSystemAttributes.AWSTraceHeader, the only system attribute a producer may set. */
  traceHeader?: string;
  /** Body plus attributes, as SQS counts a message's size. */
  sizeBytes: number;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const md5Hex = (data: string | Uint8Array) => createHash("md5").update(data).digest("hex");

/** XML 1.0's character set, which SQS enforces on bodies and attribute values. */
const INVALID_CHARACTER = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function checkCharacters(value: string, what: string): void {
  const bad = INVALID_CHARACTER.exec(value);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase();
    throw sqsError(
      "InvalidMessageContents",
      `Invalid binary character '#x${code}' was found in ${what}, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
    );
  }
}

/** Required in the model, so the SDK always sends it; a raw client might not. */
function requiredString(input: Record<string, unknown>, member: string): string {
  const value = input[member];
  if (value === undefined || value === null) {
    throw sqsError("MissingParameter", `The request must contain the parameter ${member}.`);
  }
  if (typeof value !== "string")
    throw invalidParameter(`Value for parameter ${member} is invalid. Reason: Must be a string.`);
  return value;
}

/** An optional integer member within [min, max]. */
export function optionalInteger(
  input: Record<string, unknown>,
  member: string,
  min: number,
  max: number,
  reason = `Must be between ${min} and ${max}, if provided.`,
): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Value ${String(value)} for parameter ${member} is invalid. Reason: ${reason}`);
  }
  return value;
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$/;

function validateAttributeName(name: string): void {
  const lower = name.toLowerCase();
  if (
    !ATTRIBUTE_NAME.test(name) ||
    name.startsWith(".") ||
    name.endsWith(".") ||
    name.includes("..") ||
    lower.startsWith("aws.") ||
    lower.startsWith("amazon.")
  ) {
    throw invalidParameter(
      `Message (user) attribute name '${name}' is invalid. The attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters, must not start or end with a period, must not contain successive periods, and must not start with 'AWS.' or 'Amazon.'.`,
    );
  }
}

function validateMessageAttributes(value: unknown): MessageAttributes | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidParameter("MessageAttributes must be a map of name to attribute value.");
  const names = Object.keys(value);
  if (names.length === 0) return undefined;
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  const attributes: MessageAttributes = {};
  for (const name of names) {
    validateAttributeName(name);
    const attribute = value[name];
    if (!isObject(attribute)) throw invalidParameter(`Message (user) attribute '${name}' must be a structure.`);
    const dataType = attribute.DataType;
    if (typeof dataType !== "string" || dataType === "") {
      throw invalidParameter(`The message attribute '${name}' must contain a non-empty message attribute type.`);
    }
    if (!DATA_TYPE.test(dataType) || dataType.length > 256) {
      throw invalidParameter(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    if (attribute.StringListValues !== undefined || attribute.BinaryListValues !== undefined) {
      throw invalidParameter(`Message (user) attribute '${name}': list values are not supported.`);
    }
    if (dataType.startsWith("Binary")) {
      const binary = attribute.BinaryValue;
      if (typeof binary !== "string" || binary === "") {
        throw invalidParameter(`The message attribute '${name}' must contain a non-empty message attribute value.`);
      }
      attributes[name] = { DataType: dataType, BinaryValue: binary };
    } else {
      const text = attribute.StringValue;
      if (typeof text !== "string" || text === "") {
        throw invalidParameter(`The message attribute '${name}' must contain a non-empty message attribute value.`);
      }
      checkCharacters(text, `the value of message attribute '${name}'`);
      if (dataType.startsWith("Number") && !Number.isFinite(Number(text))) {
        throw invalidParameter(`Can't cast the value of message (user) attribute '${name}' to a number.`);
      }
      attributes[name] = { DataType: dataType, StringValue: text };
    }
  }
  return attributes;
}

function attributeValueBytes(attribute: MessageAttributeValue): Buffer {
  return attribute.BinaryValue !== undefined
    ? Buffer.from(attribute.BinaryValue, "base64")
    : Buffer.from(attribute.StringValue ?? "", "utf8");
}

/**
 * MD5OfMessageAttributes as SQS computes it: for each attribute in name order, the name, the data type
 * and the value, each prefixed by its 4-byte big-endian length, with a transport byte (1 string, 2
 * binary) before the value.
 */
export function md5OfMessageAttributes(attributes: MessageAttributes): string {
  const parts: Buffer[] = [];
  const lengthPrefixed = (bytes: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const attribute = attributes[name]!;
    lengthPrefixed(Buffer.from(name, "utf8"));
    lengthPrefixed(Buffer.from(attribute.DataType, "utf8"));
    parts.push(Buffer.from([attribute.BinaryValue !== undefined ? 2 : 1]));
    lengthPrefixed(attributeValueBytes(attribute));
  }
  return md5Hex(Buffer.concat(parts));
}

function attributesSize(attributes: MessageAttributes | undefined): number {
  let size = 0;
  for (const [name, attribute] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType) + attributeValueBytes(attribute).length;
  }
  return size;
}

function validateSystemAttributes(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidParameter("MessageSystemAttributes must be a map.");
  let traceHeader: string | undefined;
  for (const [name, attribute] of Object.entries(value)) {
    if (name !== "AWSTraceHeader") {
      throw invalidParameter(`Message system attribute name '${name}' is invalid.`);
    }
    if (!isObject(attribute) || attribute.DataType !== "String" || typeof attribute.StringValue !== "string") {
      throw invalidParameter("Message system attribute 'AWSTraceHeader' must be a String with a value.");
    }
    traceHeader = attribute.StringValue;
  }
  return traceHeader;
}

/** One SendMessage request, or one SendMessageBatch entry. */
export function validateMessage(input: Record<string, unknown>): ValidatedMessage {
  const body = requiredString(input, "MessageBody");
  if (body.length === 0) {
    throw invalidParameter("The request must contain a non-empty message body.");
  }
  checkCharacters(body, "the message body");
  const delaySeconds =
    optionalInteger(
      input,
      "DelaySeconds",
      0,
      MAX_DELAY_SECONDS,
      `DelaySeconds must be >= 0 and <= ${MAX_DELAY_SECONDS}.`,
    ) ?? 0;
  if (input.MessageDeduplicationId !== undefined && input.MessageDeduplicationId !== null) {
    throw invalidParameter(
      "The request include parameter that is not valid for this queue type. Reason: MessageDeduplicationId is only valid for FIFO queues.",
    );
  }
  // MessageGroupId is accepted on standard queues (fair queues) and has no effect locally.
  const messageAttributes = validateMessageAttributes(input.MessageAttributes);
  const traceHeader = validateSystemAttributes(input.MessageSystemAttributes);
  const sizeBytes = Buffer.byteLength(body, "utf8") + attributesSize(messageAttributes);
  if (sizeBytes > MAX_MESSAGE_BYTES) {
    throw invalidParameter(
      `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
    );
  }
  return {
    body,
    md5OfBody: md5Hex(body),
    delaySeconds,
    ...(messageAttributes && {
      messageAttributes,
      md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
    }),
    ...(traceHeader !== undefined && { traceHeader }),
    sizeBytes,
  };
}

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** The checks SendMessageBatch makes on the whole request before looking at any entry. */
export function validateBatchEntries(entries: unknown): Array<Record<string, unknown> & { Id: string }> {
  if (entries === undefined || entries === null || (Array.isArray(entries) && entries.length === 0)) {
    throw sqsError("EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request.");
  }
  if (!Array.isArray(entries)) throw invalidParameter("Entries must be a list.");
  if (entries.length > MAX_BATCH_ENTRIES) {
    throw sqsError(
      "TooManyEntriesInBatchRequest",
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
    );
  }
  const seen = new Set<string>();
  for (const entry of entries as unknown[]) {
    const id = isObject(entry) ? entry.Id : undefined;
    if (typeof id !== "string" || !BATCH_ENTRY_ID.test(id)) {
      throw sqsError(
        "InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
      );
    }
    if (seen.has(id)) throw sqsError("BatchEntryIdsNotDistinct", `Id ${id} repeated.`);
    seen.add(id);
  }
  return entries as Array<Record<string, unknown> & { Id: string }>;
}

/**
 * Receipt handles are opaque to callers; ours name the queue and message they belong to, plus a nonce
 * that changes with every receive (the handle of an earlier receive no longer matches the message).
 */
export function newReceiptHandle(queue: string, messageId: string): string {
  return Buffer.from(JSON.stringify({ q: queue, m: messageId, n: randomUUID() }), "utf8").toString("base64url");
}

export function parseReceiptHandle(handle: unknown): { queue: string; messageId: string } {
  if (typeof handle === "string" && handle.length > 0) {
    try {
      const parsed = JSON.parse(Buffer.from(handle, "base64url").toString("utf8")) as unknown;
      if (isObject(parsed) && typeof parsed.q === "string" && typeof parsed.m === "string") {
        return { queue: parsed.q, messageId: parsed.m };
      }
    } catch {
      // fall through
    }
  }
  throw sqsError(
    "ReceiptHandleIsInvalid",
    `The input receipt handle "${String(handle)}" is not a valid receipt handle.`,
  );
}

/** Queue names as SQS allows them for standard queues. */
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export interface QueueConfig {
  name: string;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  maxReceiveCount?: number;
  deadLetterQueue?: string;
}

/** Checks the emulator's queue definitions (a programming error, not an API error). */
export function validateQueueConfigs(queues: readonly QueueConfig[]): void {
  const names = new Set<string>();
  for (const queue of queues) {
    if (queue.name.endsWith(".fifo")) throw new Error(`queue ${queue.name}: FIFO queues are not supported locally`);
    if (!QUEUE_NAME.test(queue.name)) throw new Error(`queue ${queue.name}: not a valid SQS queue name`);
    if (names.has(queue.name)) throw new Error(`queue ${queue.name} is defined twice`);
    names.add(queue.name);
    if (!Number.isInteger(queue.batchSize) || queue.batchSize < 1 || queue.batchSize > MAX_BATCH_ENTRIES) {
      throw new Error(`queue ${queue.name}: batchSize must be an integer from 1 to ${MAX_BATCH_ENTRIES}`);
    }
    const vt = queue.visibilityTimeoutSeconds;
    if (!Number.isInteger(vt) || vt < 0 || vt > MAX_VISIBILITY_TIMEOUT_SECONDS) {
      throw new Error(`queue ${queue.name}: visibilityTimeoutSeconds must be an integer from 0 to 43200`);
    }
    if ((queue.maxReceiveCount === undefined) !== (queue.deadLetterQueue === undefined)) {
      throw new Error(`queue ${queue.name}: a redrive policy needs both maxReceiveCount and deadLetterQueue`);
    }
    const max = queue.maxReceiveCount;
    if (max !== undefined && (!Number.isInteger(max) || max < 1 || max > 1000)) {
      throw new Error(`queue ${queue.name}: maxReceiveCount must be an integer from 1 to 1000`);
    }
  }
  for (const queue of queues) {
    const dlq = queue.deadLetterQueue;
    if (dlq === undefined) continue;
    if (dlq === queue.name) throw new Error(`queue ${queue.name}: cannot be its own dead-letter queue`);
    if (!names.has(dlq)) throw new Error(`queue ${queue.name}: dead-letter queue ${dlq} is not defined`);
  }
}
