import { EventEnvelopeSchema, type EventEnvelope } from "../kernel/envelope.js";
import { activityKey, activityPk } from "../store/keys.js";
import type { Scope } from "../kernel/tenancy.js";
import { TransactionCancelledError, type Page, type Store } from "../store/store.js";

/**
 * The project activity log: every delivered domain event, recorded once. It is the first rule target
 * and the model for every consumer: EventBridge delivers at least once, so the write is conditional on
 * the event id and a redelivery changes nothing.
 */
export async function recordActivity(
  store: Store,
  event: EventEnvelope,
  retentionSeconds: number,
): Promise<"recorded" | "duplicate"> {
  const expiresAt = Math.floor(Date.parse(event.occurredAt) / 1000) + retentionSeconds;
  try {
    await store.transact([
      {
        op: "put",
        item: { ...activityKey(event, event.id), kind: "activity", event, expiresAt },
        condition: { kind: "notExists" },
      },
    ]);
    return "recorded";
  } catch (error) {
    if (error instanceof TransactionCancelledError && !error.contention) return "duplicate";
    throw error;
  }
}

export async function listActivity(
  store: Store,
  scope: Scope,
  page: { limit?: number; cursor?: string },
): Promise<Page<EventEnvelope>> {
  const result = await store.query({
    pk: activityPk(scope),
    limit: page.limit ?? 50,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    consistent: true,
  });
  return {
    items: result.items.map((item) => EventEnvelopeSchema.parse(item.event)),
    ...(result.nextCursor && { nextCursor: result.nextCursor }),
  };
}

/** One recorded event by id (for webhook replay); undefined once it left the retention window. */
export async function listActivityEvent(
  store: Store,
  scope: Scope,
  eventId: string,
): Promise<EventEnvelope | undefined> {
  const item = await store.get(activityKey(scope, eventId), { consistent: true });
  return item ? EventEnvelopeSchema.parse(item.event) : undefined;
}
