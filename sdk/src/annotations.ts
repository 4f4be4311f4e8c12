import type { EventEnvelope, MessageAnnotation, SessionAnnotation } from "./types.js";

/**
 * Live views of a session's annotations: the folds that keep a listing in step with the session's event
 * log. Each reproduces what a fresh read of the listing returns, order and `current` flags included.
 */

/** The event type a message-annotations view folds in. */
export const MESSAGE_ANNOTATION_EVENT_TYPES = ["message.annotation.created"] as const;

/** The event type a session-annotations view folds in. */
export const SESSION_ANNOTATION_EVENT_TYPES = ["session.annotation.created"] as const;

/** The largest page the message-annotations listing serves: a view reads them whole. */
export const MESSAGE_ANNOTATION_PAGE_LIMIT = 1000;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The listing's order, the API's own (its sort key `{messageId}#{pluginId}`), ties broken by id. */
export function compareMessageAnnotations(a: MessageAnnotation, b: MessageAnnotation): number {
  return byString(`${a.messageId}#${a.pluginId}`, `${b.messageId}#${b.pluginId}`) || byString(a.id, b.id);
}

/** The listing's order, the API's own: oldest first, by `createdAt`, then by id. */
export function compareSessionAnnotations(
  a: Pick<SessionAnnotation, "createdAt" | "id">,
  b: Pick<SessionAnnotation, "createdAt" | "id">,
): number {
  return byString(a.createdAt, b.createdAt) || byString(a.id, b.id);
}

/**
 * Folds a `message.annotation.created` event in, by annotation id: the listing may already hold an
 * annotation whose event comes later (it is listed once written, and given its place in the log just
 * after), so the event replaces it.
 */
export function applyMessageAnnotationEvent(annotations: Map<string, MessageAnnotation>, event: EventEnvelope): void {
  if (event.type !== "message.annotation.created") return;
  const annotation = (event.data as { annotation?: MessageAnnotation }).annotation;
  if (annotation && typeof annotation.id === "string") annotations.set(annotation.id, annotation);
}

/**
 * Folds a `session.annotation.created` event in, by annotation id, then marks the newest annotation of
 * each type current and every other one not — as the listing does, whatever order the events come in.
 */
export function applySessionAnnotationEvent(annotations: Map<string, SessionAnnotation>, event: EventEnvelope): void {
  if (event.type !== "session.annotation.created") return;
  const annotation = (event.data as { annotation?: SessionAnnotation }).annotation;
  if (!annotation || typeof annotation.id !== "string") return;
  annotations.set(annotation.id, annotation);
  markCurrent(annotations);
}

/** Sets `current` on the newest annotation (by `createdAt`, then id) of each type, and clears it on the rest. */
export function markCurrent(annotations: Map<string, SessionAnnotation>): void {
  const newest = new Map<string, SessionAnnotation>();
  for (const annotation of annotations.values()) {
    const seen = newest.get(annotation.type);
    if (!seen || compareSessionAnnotations(annotation, seen) > 0) newest.set(annotation.type, annotation);
  }
  for (const [id, annotation] of annotations) {
    const current = newest.get(annotation.type) === annotation;
    if (annotation.current !== current) annotations.set(id, { ...annotation, current });
  }
}
