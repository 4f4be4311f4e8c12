import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { eventRetentionSecondsFromEnv } from "../shared/adapters/aws/settings.js";
import { onTrigger } from "../shared/adapters/lambda/kit.js";
import { messagesOfStreamRecords } from "../shared/adapters/lambda/stream-records.js";
import { sequenceMessages } from "../shared/domain/sessions/sequencer.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps = { store: storeFromEnv(), clock: systemClock, eventRetentionSeconds: eventRetentionSecondsFromEnv() };

/**
 * DynamoDB stream batch of inserted messages → their `message.created` events, one commit per session
 * (shared/domain/sessions/sequencer.ts). A session that cannot be sequenced fails its records, so the
 * stream retries them in order; sequencing is idempotent.
 */
export const handler = onTrigger<DynamoDBStreamEvent, DynamoDBBatchResponse>("message-sequencer", async (event, t) => {
  const { messages, malformed } = messagesOfStreamRecords(event.Records);
  if (malformed.length > 0) t.logger.error("malformed message items", { sequences: malformed });
  const result = await sequenceMessages(deps, messages);
  for (const error of result.errors) t.logger.warn("a session's messages will be retried", { error });
  t.logger.info("sequenced", { ...result.counts, failed: result.failed.length });
  const failures = [...malformed, ...result.failed];
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
});
