import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { EventEnvelopeSchema, type EventEnvelope } from "../../kernel/envelope.js";
import { EVENT_ITEM_KIND, MESSAGE_ITEM_KIND } from "../../store/table.js";

/**
 * A DynamoDB stream batch → the committed events in it. Only inserted event items count (the event-source
 * filter already drops the rest; checking here keeps the publisher correct without it). An event item that
 * does not parse is reported by its sequence number, so it becomes a batch item failure, never a silent drop.
 */
export function eventsOfStreamRecords(records: DynamoDBRecord[]): {
  events: Array<{ key: string; event: EventEnvelope }>;
  malformed: string[];
} {
  const events: Array<{ key: string; event: EventEnvelope }> = [];
  const malformed: string[] = [];
  for (const record of records) {
    const sequence = record.dynamodb?.SequenceNumber;
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== "INSERT" || !image || !sequence) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.kind !== EVENT_ITEM_KIND) continue;
    const parsed = EventEnvelopeSchema.safeParse(item.event);
    if (parsed.success) events.push({ key: sequence, event: parsed.data });
    else malformed.push(sequence);
  }
  return { events, malformed };
}

/** A DynamoDB stream batch → the inserted message items in it (the sequencer's input), in stream order. */
export function messagesOfStreamRecords(records: DynamoDBRecord[]): {
  messages: Array<{ key: string; item: Record<string, unknown> }>;
  malformed: string[];
} {
  const messages: Array<{ key: string; item: Record<string, unknown> }> = [];
  const malformed: string[] = [];
  for (const record of records) {
    const sequence = record.dynamodb?.SequenceNumber;
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== "INSERT" || !image || !sequence) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.kind !== MESSAGE_ITEM_KIND) continue;
    if (typeof item.PK === "string" && typeof item.SK === "string") messages.push({ key: sequence, item });
    else malformed.push(sequence);
  }
  return { messages, malformed };
}
