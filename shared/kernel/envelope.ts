import * as z from "./zod.js";

/** Every event on every channel (EventBridge detail, SSE data, webhook body, function argument). */
export const ActorSchema = z.object({
  type: z.enum(["apiKey", "participant", "system", "schedule", "function", "bot"]),
  id: z.string(),
});
export type Actor = z.infer<typeof ActorSchema>;

export const EventEnvelopeSchema = z.object({
  id: z.withDescription(z.string(), "Unique event id (evt_…); stable across redeliveries — dedupe on it"),
  type: z.withDescription(z.string(), "Event name from the catalog, e.g. gathering.created"),
  version: z.withDescription(
    z.number().check(z.int(), z.positive()),
    "The aggregate version this event produced (gapless)",
  ),
  projectId: z.string(),
  tenantId: z.string(),
  resource: z.withDescription(z.string(), "The aggregate, as type:id, e.g. gathering:gth_…"),
  occurredAt: z.iso.datetime(),
  actor: z.optional(ActorSchema),
  data: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;

/** The EventBridge `source` of every event this backend publishes. */
export const EVENT_SOURCE = "cortex";

/** `gathering:gth_…` → `gth_…`: the id of the aggregate an event is about (its `resource`). */
export function aggregateIdOf(envelope: Pick<EventEnvelope, "resource">, type: "gathering" | "session"): string {
  const prefix = `${type}:`;
  if (!envelope.resource.startsWith(prefix)) throw new Error(`event resource ${envelope.resource} is not a ${type}`);
  return envelope.resource.slice(prefix.length);
}
