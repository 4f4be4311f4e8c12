import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { EventBridgeBus } from "../shared/adapters/aws/eventbridge-bus.js";
import { EventEnvelopeSchema, type EventEnvelope } from "../shared/kernel/envelope.js";
import { publishEvents } from "../shared/events/publisher.js";
import { ENV, requiredEnv } from "../shared/kernel/config.js";
import { createLogger } from "../shared/kernel/logger.js";
import { EVENT_ITEM_KIND } from "../shared/store/table.js";

const logger = createLogger({ function: "stream-publisher" });
const bus = new EventBridgeBus(requiredEnv(ENV.eventBusName));

/**
 * DynamoDB stream batch → EventBridge. Only inserted event items are published (the event-source filter
 * already drops the rest; the check here keeps the function correct without it). Records that cannot be
 * published are reported as batch item failures, so the stream retries them and, past the retry limit,
 * sends them to the on-failure queue — an event is never dropped silently.
 */
export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const toPublish: Array<{ key: string; event: EventEnvelope }> = [];
  const failures: string[] = [];
  for (const record of event.Records) {
    const sequence = record.dynamodb?.SequenceNumber;
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== "INSERT" || !image || !sequence) continue;
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.kind !== EVENT_ITEM_KIND) continue;
    const parsed = EventEnvelopeSchema.safeParse(item.event);
    if (parsed.success) toPublish.push({ key: sequence, event: parsed.data });
    else {
      logger.error("malformed event item", { sequence, issues: parsed.error.issues.length });
      failures.push(sequence);
    }
  }
  failures.push(...(await publishEvents(bus, toPublish)));
  if (failures.length > 0) logger.warn("records not published", { count: failures.length });
  logger.debug("published", { count: toPublish.length - failures.length });
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
};
