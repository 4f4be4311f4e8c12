import type { EventBridgeEvent } from "aws-lambda";
import { EventEnvelopeSchema, type EventEnvelope } from "../../kernel/envelope.js";
import { measured, stack, toolsFor, type Tools } from "./kit.js";

// Apart from the base kit: the envelope schema brings zod, which functions that never parse an event
// (the authorizer) should not carry.
/** The keys that tie a log line to the event it is about. */
export function correlationKeys(envelope: EventEnvelope): Record<string, string> {
  return { eventId: envelope.id, type: envelope.type, projectId: envelope.projectId, resource: envelope.resource };
}

/** An EventBridge rule target: the envelope parsed (a malformed one fails, and is retried / dead-lettered). */
export function onDomainEvent(
  name: string,
  fn: (envelope: EventEnvelope, tools: Tools) => Promise<Record<string, unknown> | void>,
) {
  const tools = toolsFor(name);
  return stack<EventBridgeEvent<string, unknown>, void>(tools).handler(async (event) => {
    const outcome = await measured(tools, () => {
      const envelope = EventEnvelopeSchema.parse(event.detail);
      tools.logger.appendKeys(correlationKeys(envelope));
      return fn(envelope, tools);
    });
    tools.logger.info("handled", outcome ?? {});
  });
}
