import type { Scope } from "../../kernel/tenancy.js";
import { newId } from "../../kernel/ids.js";
import {
  aggregatePk,
  MESSAGE_ANNOTATION_SK_PREFIX,
  messageAnnotationKey,
  SESSION_ANNOTATION_SK_PREFIX,
  sessionAnnotationKey,
} from "../../store/keys.js";
import { TransactionCancelledError, type Item, type Page, type Store } from "../../store/store.js";
import { ANNOTATION_ITEM_KIND } from "../../store/table.js";
import { loadSession } from "../sessions/service.js";
import {
  MessageAnnotationSchema,
  pluginInstanceId,
  SessionAnnotationSchema,
  type AnnotationTrigger,
  type AnnotationType,
  type MessageAnnotation,
  type PluginId,
  type SessionAnnotation,
} from "./model.js";

/**
 * Annotation items. A plugin only inserts its annotation (under a key that makes it unique per plugin,
 * message or session, and trigger); the message sequencer gives it its place in the session's log and
 * publishes `message.annotation.created` / `session.annotation.created` — so plugins never contend on
 * the session's version with a meeting's messages, and a watcher's snapshot + events has no gap.
 */

/** The trigger part of a session annotation's key: one per session end, one per action request. */
export function triggerKey(trigger: AnnotationTrigger): string {
  if (trigger.kind === "action") return `action#${trigger.requestId ?? ""}`;
  return trigger.kind;
}

export interface NewAnnotation {
  pluginId: PluginId;
  type: AnnotationType;
  data: Record<string, unknown>;
  trigger: AnnotationTrigger;
}

/** Builds a message annotation (not yet written). */
export function messageAnnotation(
  scope: Scope,
  sessionId: string,
  messageId: string,
  annotation: NewAnnotation,
  at: Date,
): MessageAnnotation {
  return {
    id: newId("annotation", at.getTime()),
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    sessionId,
    messageId,
    pluginId: annotation.pluginId,
    pluginInstanceId: pluginInstanceId(scope.projectId, annotation.pluginId),
    type: annotation.type,
    data: annotation.data,
    trigger: annotation.trigger,
    createdAt: at.toISOString(),
  };
}

/** Builds a session annotation (not yet written); `current` is decided when it is read or published. */
export function sessionAnnotation(
  scope: Scope,
  sessionId: string,
  annotation: NewAnnotation,
  at: Date,
): Omit<SessionAnnotation, "current"> {
  return {
    id: newId("annotation", at.getTime()),
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    sessionId,
    pluginId: annotation.pluginId,
    pluginInstanceId: pluginInstanceId(scope.projectId, annotation.pluginId),
    type: annotation.type,
    data: annotation.data,
    trigger: annotation.trigger,
    createdAt: at.toISOString(),
  };
}

export function messageAnnotationItem(annotation: MessageAnnotation): Item {
  const key = messageAnnotationKey(annotation, annotation.sessionId, annotation.messageId, annotation.pluginId);
  return { ...key, kind: ANNOTATION_ITEM_KIND, target: "message", ...annotation };
}

export function sessionAnnotationItem(annotation: Omit<SessionAnnotation, "current">): Item {
  const key = sessionAnnotationKey(
    annotation,
    annotation.sessionId,
    annotation.pluginId,
    triggerKey(annotation.trigger),
  );
  const { current: _current, ...rest } = annotation as SessionAnnotation;
  return { ...key, kind: ANNOTATION_ITEM_KIND, target: "session", ...rest };
}

/** Whether an annotation item is about a message (else the session). */
export function isMessageAnnotationItem(item: Item): boolean {
  return item.target === "message";
}

const ITEM_ONLY = ["PK", "SK", "kind", "target", "expiresAt"] as const;

function strip(item: Item): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...item };
  for (const key of ITEM_ONLY) delete copy[key];
  return copy;
}

export function messageAnnotationFromItem(item: Item): MessageAnnotation {
  return MessageAnnotationSchema.parse(strip(item));
}

export function sessionAnnotationFromItem(item: Item, current: boolean): SessionAnnotation {
  return SessionAnnotationSchema.parse({ ...strip(item), current });
}

/**
 * Inserts an annotation unless this plugin already annotated the same target for the same trigger
 * (a redelivery): true when written, false when it was already there.
 */
export async function insertAnnotation(store: Store, item: Item): Promise<boolean> {
  try {
    await store.transact([{ op: "put", item, condition: { kind: "notExists" } }]);
    return true;
  } catch (error) {
    if (error instanceof TransactionCancelledError && !error.contention && error.failed.includes(0)) return false;
    throw error;
  }
}

/** The newest first: by creation time, then id (ids sort by time too). */
const newestFirst = (a: { createdAt: string; id: string }, b: { createdAt: string; id: string }) =>
  a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;

/**
 * Marks the newest annotation of each type current; the others are the history it superseded. Returns
 * them oldest first (the order they were made).
 */
export function withCurrent(annotations: ReadonlyArray<Omit<SessionAnnotation, "current">>): SessionAnnotation[] {
  const sorted = [...annotations].sort(newestFirst);
  const seen = new Set<string>();
  const marked = sorted.map((annotation) => {
    const current = !seen.has(annotation.type);
    seen.add(annotation.type);
    return { ...annotation, current };
  });
  return marked.reverse();
}

/** Every session-level annotation of a session (a handful: one per plugin per end or action), oldest first. */
export async function listSessionAnnotations(
  store: Store,
  scope: Scope,
  sessionId: string,
  options: { type?: AnnotationType } = {},
): Promise<SessionAnnotation[]> {
  await loadSession(store, scope, sessionId);
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query({
      pk: aggregatePk("session", scope, sessionId),
      beginsWith: SESSION_ANNOTATION_SK_PREFIX,
      consistent: true,
      limit: 100,
      ...(cursor !== undefined && { cursor }),
    });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  const all = withCurrent(items.map((item) => sessionAnnotationFromItem(item, false)));
  return options.type ? all.filter((a) => a.type === options.type) : all;
}

/** A page of the session's message annotations, by message id then plugin. */
export async function listMessageAnnotations(
  store: Store,
  scope: Scope,
  sessionId: string,
  page: { limit?: number; cursor?: string; messageId?: string },
): Promise<Page<MessageAnnotation>> {
  await loadSession(store, scope, sessionId);
  const result = await store.query({
    pk: aggregatePk("session", scope, sessionId),
    beginsWith: `${MESSAGE_ANNOTATION_SK_PREFIX}${page.messageId !== undefined ? `${page.messageId}#` : ""}`,
    consistent: true,
    limit: page.limit ?? 100,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
  });
  return {
    items: result.items.map(messageAnnotationFromItem),
    ...(result.nextCursor && { nextCursor: result.nextCursor }),
  };
}
