import type { Scope } from "../kernel/tenancy.js";

/**
 * The one module that knows key formats. Nothing else concatenates PK/SK strings.
 *
 * Every project-owned key starts with its tenant and project, `T#{tenantId}#P#{projectId}#…`, taken from
 * the authenticated scope: the tenant comes first, so no project id or path id can name a key of another
 * tenant. Items of one aggregate share a partition, so one Query reads a gathering with its members,
 * invitations and recent events:
 *   PK = T#{tenantId}#P#{projectId}#G#{gatheringId}   SK = #ROOT            the root (carries `version`)
 *                                                     SK = M#{participantId} a member
 *                                                     SK = E#{version:012}   an event (outbox + event log)
 * Uniqueness markers live in their own partitions and are written in the same transaction.
 */
export interface ItemKey {
  PK: string;
  SK: string;
}

/** `apiKey`: a key's audit log (its management events), in the key's project (`*` for a tenant-wide key). */
export type AggregateType = "gathering" | "session" | "apiKey";

const AGGREGATE_TAG: Record<AggregateType, string> = { gathering: "G", session: "S", apiKey: "K" };
const VERSION_DIGITS = 12;
export const ROOT_SK = "#ROOT";

/** The prefix of every key a project owns. */
function owned(scope: Scope): string {
  return `T#${scope.tenantId}#P#${scope.projectId}`;
}

export function aggregatePk(type: AggregateType, scope: Scope, id: string): string {
  return `${owned(scope)}#${AGGREGATE_TAG[type]}#${id}`;
}

export function aggregateRootKey(type: AggregateType, scope: Scope, id: string): ItemKey {
  return { PK: aggregatePk(type, scope, id), SK: ROOT_SK };
}

export function eventSk(version: number): string {
  return `E#${String(version).padStart(VERSION_DIGITS, "0")}`;
}

/** The SK bounds of events with a version strictly greater than `after`. */
export function eventRangeAfter(after: number): { from: string; to: string } {
  return { from: eventSk(after + 1), to: `E#${"9".repeat(VERSION_DIGITS)}` };
}

export function memberKey(scope: Scope, gatheringId: string, participantId: string): ItemKey {
  return { PK: aggregatePk("gathering", scope, gatheringId), SK: `${MEMBER_SK_PREFIX}${participantId}` };
}

/** Listing index: a project's gatherings, newest id last (ids are ULIDs, so creation order). */
export function gatheringListKeys(scope: Scope, gatheringId: string): { GSI1PK: string; GSI1SK: string } {
  return { GSI1PK: `${owned(scope)}#GATHERINGS`, GSI1SK: gatheringId };
}

/**
 * Join codes are unique across the whole deployment, so the marker is not project-scoped; it records its
 * gathering's tenant and project, and a join checks both against the caller's scope.
 */
export function joinCodeKey(normalizedCode: string): ItemKey {
  return { PK: `JOINCODE#${normalizedCode}`, SK: "#" };
}

/** An API key is looked up by the SHA-256 of its secret; the secret itself is never stored. */
export function apiKeyKey(secretHash: string): ItemKey {
  return { PK: `APIKEY#${secretHash}`, SK: "#" };
}

/** A consumer's receipt of one event, so redelivered events act once. */
export function activityKey(scope: Scope, eventId: string): ItemKey {
  return { PK: activityPk(scope), SK: eventId };
}

export function activityPk(scope: Scope): string {
  return `${owned(scope)}#ACTIVITY`;
}

export const MEMBER_SK_PREFIX = "M#";

/** An idempotency record: one per (tenant, project, Idempotency-Key). */
export function idempotencyKey(scope: Scope, key: string): ItemKey {
  return { PK: `${owned(scope)}#IDEM#${key}`, SK: "#" };
}

export const INVITATION_SK_PREFIX = "I#";

export function invitationKey(scope: Scope, gatheringId: string, invitationId: string): ItemKey {
  return { PK: aggregatePk("gathering", scope, gatheringId), SK: `${INVITATION_SK_PREFIX}${invitationId}` };
}

export function participantKey(scope: Scope, participantId: string): ItemKey {
  return { PK: `${owned(scope)}#PT#${participantId}`, SK: "#" };
}

/** A generated key (e.g. for signing RSVP links), created on first use and kept in the table. */
export function signingKeyKey(purpose: string): ItemKey {
  return { PK: `KEY#${purpose}`, SK: "#" };
}

/** A project's webhook endpoints share a partition: fan-out reads them with one Query. */
export function webhookKey(scope: Scope, webhookId: string): ItemKey {
  return { PK: webhooksPk(scope), SK: webhookId };
}

export function webhooksPk(scope: Scope): string {
  return `${owned(scope)}#WEBHOOKS`;
}

/** Delivery attempts: by endpoint (table), by event (GSI1), newest last by id. */
export function webhookAttemptKeys(scope: Scope, webhookId: string, eventId: string, attemptId: string) {
  return {
    PK: webhookAttemptsPk(scope, webhookId),
    SK: attemptId,
    GSI1PK: eventAttemptsPk(scope, eventId),
    GSI1SK: attemptId,
  };
}

export function webhookAttemptsPk(scope: Scope, webhookId: string): string {
  return `${owned(scope)}#WHA#${webhookId}`;
}

export function eventAttemptsPk(scope: Scope, eventId: string): string {
  return `${owned(scope)}#EVA#${eventId}`;
}

/** Marks that an event was handed to an endpoint's delivery queue (fan-out dedupe). */
export function webhookFanoutKey(scope: Scope, webhookId: string, eventId: string): ItemKey {
  return { PK: `${owned(scope)}#WHF#${webhookId}`, SK: eventId };
}

/** Listing index: a project's sessions, newest id last (ULIDs). */
export function sessionListKeys(scope: Scope, sessionId: string): { GSI1PK: string; GSI1SK: string } {
  return { GSI1PK: `${owned(scope)}#SESSIONS`, GSI1SK: sessionId };
}

/**
 * A session's transcript lives in its partition, ordered by time then id, so one Query pages it in
 * chronological order:      SK = MSG#{timestamp}#{messageId}   a message
 *                           SK = MID#{messageId}               its id marker (a retry finds the message)
 *                           SK = A#{peerId}                    an attendee
 * A message is written without touching the root (no hot item); the sequencer gives it its version.
 */
export const MESSAGE_SK_PREFIX = "MSG#";
export const ATTENDEE_SK_PREFIX = "A#";

export function messageKey(scope: Scope, sessionId: string, timestamp: string, messageId: string): ItemKey {
  return { PK: aggregatePk("session", scope, sessionId), SK: `${MESSAGE_SK_PREFIX}${timestamp}#${messageId}` };
}

export function messageMarkerKey(scope: Scope, sessionId: string, messageId: string): ItemKey {
  return { PK: aggregatePk("session", scope, sessionId), SK: `MID#${messageId}` };
}

export function attendeeKey(scope: Scope, sessionId: string, peerId: string): ItemKey {
  return { PK: aggregatePk("session", scope, sessionId), SK: `${ATTENDEE_SK_PREFIX}${peerId}` };
}

/**
 * Annotations live in their session's partition (deleted with it), keyed by what makes them unique, so a
 * plugin's conditional put is its idempotency (one per plugin, message or session, and trigger):
 *                           SK = MAN#{messageId}#{pluginId}          a message annotation
 *                           SK = SAN#{pluginId}#{triggerKey}         a session annotation
 */
export const MESSAGE_ANNOTATION_SK_PREFIX = "MAN#";
export const SESSION_ANNOTATION_SK_PREFIX = "SAN#";

export function messageAnnotationKey(scope: Scope, sessionId: string, messageId: string, pluginId: string): ItemKey {
  return {
    PK: aggregatePk("session", scope, sessionId),
    SK: `${MESSAGE_ANNOTATION_SK_PREFIX}${messageId}#${pluginId}`,
  };
}

export function sessionAnnotationKey(scope: Scope, sessionId: string, pluginId: string, triggerKey: string): ItemKey {
  return {
    PK: aggregatePk("session", scope, sessionId),
    SK: `${SESSION_ANNOTATION_SK_PREFIX}${pluginId}#${triggerKey}`,
  };
}

/**
 * A session's summary email to one recipient (an invitation of its gathering): claimed by one sender, then
 * sent or failed — the once-per-(session, recipient) guard. In the session's partition, purged with it:
 *                           SK = SUMMAIL#{recipientId}
 */
export function summaryDeliveryKey(scope: Scope, sessionId: string, recipientId: string): ItemKey {
  return { PK: aggregatePk("session", scope, sessionId), SK: `SUMMAIL#${recipientId}` };
}

/** A project's instance of a plugin (enabled, configuration); absent: the catalog's defaults. */
export const PLUGIN_SETTINGS_SK_PREFIX = "PLUGIN#";

export function pluginSettingsKey(scope: Scope, pluginId: string): ItemKey {
  return { PK: `${owned(scope)}#SETTINGS`, SK: `${PLUGIN_SETTINGS_SK_PREFIX}${pluginId}` };
}

/** A project's settings (debug audio, …). */
export function projectSettingsKey(scope: Scope): ItemKey {
  return { PK: `${owned(scope)}#SETTINGS`, SK: "#" };
}

/** Where a message's debug WAV is stored in the debug-audio bucket (a session's audio shares a prefix). */
export function debugAudioObjectKey(scope: Scope, sessionId: string, messageId = ""): string {
  const prefix = `${encodeURIComponent(scope.tenantId)}/${encodeURIComponent(scope.projectId)}/${sessionId}/`;
  return messageId === "" ? prefix : `${prefix}${messageId}.wav`;
}
