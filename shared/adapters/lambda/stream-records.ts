import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { EventEnvelopeSchema, type EventEnvelope } from "../../kernel/envelope.js";
import { ANNOTATION_ITEM_KIND, EVENT_ITEM_KIND, MESSAGE_ITEM_KIND } from "../../store/table.js";

/**
 * A DynamoDB stream batch → the inserted items of one kind, each read by `read` (undefined: malformed).
 * Only inserts of that kind count (the event-source filter already drops the rest; checking here keeps
 * the consumer correct without it). A malformed item is reported by its sequence number, so it becomes a
 * batch item failure, never a silent drop.
 */
function insertedOfKind<T>(
  records: DynamoDBRecord[],
  kinds: readonly string[],
  read: (item: Record<string, unknown>) => T | undefined,
): { items: Array<{ key: string; value: T }>; malformed: string[] } {
  const items: Array<{ key: string; value: T }> = [];
  const malformed: string[] = [];
  for (const record of records) {
    const sequence = record.dynamodb?.SequenceNumber;
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== "INSERT" || !image || !sequence) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (!kinds.includes(String(item.kind))) continue;
    const value = read(item);
    if (value === undefined) malformed.push(sequence);
    else items.push({ key: sequence, value });
  }
  return { items, malformed };
}

/** The committed events of a batch (the stream publisher's input), in stream order. */
export function eventsOfStreamRecords(records: DynamoDBRecord[]): {
  events: Array<{ key: string; event: EventEnvelope }>;
  malformed: string[];
} {
  const { items, malformed } = insertedOfKind(records, [EVENT_ITEM_KIND], (item) => {
    const parsed = EventEnvelopeSchema.safeParse(item.event);
    return parsed.success ? parsed.data : undefined;
  });
  return { events: items.map(({ key, value }) => ({ key, event: value })), malformed };
}

/** The inserted messages and annotations of a batch (the sequencer's input), in stream order. */
export function messagesOfStreamRecords(records: DynamoDBRecord[]): {
  messages: Array<{ key: string; item: Record<string, unknown> }>;
  malformed: string[];
} {
  const { items, malformed } = insertedOfKind(records, [MESSAGE_ITEM_KIND, ANNOTATION_ITEM_KIND], (item) =>
    typeof item.PK === "string" &&
    typeof item.SK === "string" &&
    typeof item.sessionId === "string" &&
    typeof item.tenantId === "string" &&
    typeof item.projectId === "string"
      ? item
      : undefined,
  );
  return { messages: items.map(({ key, value }) => ({ key, item: value })), malformed };
}
