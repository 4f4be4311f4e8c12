import { z } from "zod";

/** Every event on every channel (EventBridge detail, SSE data, webhook body, function argument). */
export const ActorSchema = z.object({
  type: z.enum(["apiKey", "participant", "system", "schedule", "function", "bot"]),
  id: z.string(),
});
export type Actor = z.infer<typeof ActorSchema>;

export const EventEnvelopeSchema = z.object({
  id: z.string().describe("Unique event id (evt_…); stable across redeliveries — dedupe on it"),
  type: z.string().describe("Event name from the catalog, e.g. gathering.created"),
  version: z.number().int().positive().describe("The aggregate version this event produced (gapless)"),
  projectId: z.string(),
  tenantId: z.string(),
  resource: z.string().describe("The aggregate, as type:id, e.g. gathering:gth_…"),
  occurredAt: z.iso.datetime(),
  actor: ActorSchema.optional(),
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
