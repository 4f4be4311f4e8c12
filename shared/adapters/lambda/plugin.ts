import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { EventEnvelopeSchema } from "../../kernel/envelope.js";
import type { PluginId } from "../../domain/plugins/model.js";
import { runPlugin, type PluginDeps, type PluginRecord } from "../../domain/plugins/runner.js";
import { onTrigger } from "./kit.js";
import type { SqsBackoff } from "../aws/sqs-backoff.js";

/**
 * A plugin's queue consumer (its own function): the SQS batch → its events (the message body is the
 * envelope, as the rule's input path puts it) → `runPlugin`. A body that is not an envelope, and every
 * record the plugin could not annotate, is a batch item failure: the queue redelivers it and, past its
 * receive limit, dead-letters it — one poisoned message never blocks the others.
 */
export function onPluginBatch(pluginId: PluginId, deps: PluginDeps, backoff?: SqsBackoff) {
  return onTrigger<SQSEvent, SQSBatchResponse>(`plugin-${pluginId}`, async (event, { logger }) => {
    const records: PluginRecord[] = [];
    const malformed: string[] = [];
    for (const record of event.Records) {
      let body: unknown;
      try {
        body = JSON.parse(record.body);
      } catch {
        body = undefined;
      }
      const parsed = EventEnvelopeSchema.safeParse(body);
      if (parsed.success) records.push({ key: record.messageId, envelope: parsed.data });
      else malformed.push(record.messageId);
    }
    if (malformed.length > 0) logger.error("queue messages that are not event envelopes", { count: malformed.length });
    const result = await runPlugin(deps, pluginId, records);
    for (const error of result.errors) logger.warn("a record will be retried", { error });
    logger.info("annotated", { ...result.counts, failed: result.failed.length });
    const failed = [...new Set([...malformed, ...result.failed])];
    if (backoff && failed.length > 0) {
      const retried = new Set(failed);
      await backoff.retryLater(event.Records.filter((r) => retried.has(r.messageId)));
    }
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  });
}
