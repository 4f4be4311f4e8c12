import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { EventBridgeBus } from "../shared/adapters/aws/eventbridge-bus.js";
import { onTrigger } from "../shared/adapters/lambda/kit.js";
import { eventsOfStreamRecords } from "../shared/adapters/lambda/stream-records.js";
import { publishEvents } from "../shared/events/publisher.js";
import { ENV, requiredEnv } from "../shared/kernel/config.js";

const bus = new EventBridgeBus(requiredEnv(ENV.eventBusName));

/**
 * DynamoDB stream batch → EventBridge. Records that cannot be published are batch item failures, so the
 * stream retries them and, past the retry limit, sends them to the on-failure queue.
 */
export const handler = onTrigger<DynamoDBStreamEvent, DynamoDBBatchResponse>("stream-publisher", async (event, t) => {
  const { events, malformed } = eventsOfStreamRecords(event.Records);
  if (malformed.length > 0) t.logger.error("malformed event items", { sequences: malformed });
  const failures = [...malformed, ...(await publishEvents(bus, events))];
  t.logger.info("published", { count: events.length - failures.length + malformed.length, failed: failures.length });
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
});
