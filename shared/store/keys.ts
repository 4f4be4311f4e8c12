/**
 * The one module that knows key formats. Nothing else concatenates PK/SK strings.
 *
 * Items of one aggregate share a partition, so one Query reads a gathering with its members, invitations
 * and recent events:
 *   PK = P#{projectId}#G#{gatheringId}   SK = #ROOT            the aggregate root (carries `version`)
 *                                        SK = M#{participantId} a member
 *                                        SK = E#{version:012}   an event (outbox + event log)
 * Uniqueness markers live in their own partitions and are written in the same transaction.
 */
export interface ItemKey {
  PK: string;
  SK: string;
}

export type AggregateType = "gathering" | "session";

const AGGREGATE_TAG: Record<AggregateType, string> = { gathering: "G", session: "S" };
const VERSION_DIGITS = 12;
export const ROOT_SK = "#ROOT";

export function aggregatePk(type: AggregateType, projectId: string, id: string): string {
  return `P#${projectId}#${AGGREGATE_TAG[type]}#${id}`;
}

export function aggregateRootKey(type: AggregateType, projectId: string, id: string): ItemKey {
  return { PK: aggregatePk(type, projectId, id), SK: ROOT_SK };
}

export function eventSk(version: number): string {
  return `E#${String(version).padStart(VERSION_DIGITS, "0")}`;
}

/** The SK bounds of events with a version strictly greater than `after`. */
export function eventRangeAfter(after: number): { from: string; to: string } {
  return { from: eventSk(after + 1), to: `E#${"9".repeat(VERSION_DIGITS)}` };
}

export function memberKey(projectId: string, gatheringId: string, participantId: string): ItemKey {
  return { PK: aggregatePk("gathering", projectId, gatheringId), SK: `${MEMBER_SK_PREFIX}${participantId}` };
}

/** Listing index: a project's gatherings, newest id last (ids are ULIDs, so creation order). */
export function gatheringListKeys(projectId: string, gatheringId: string): { GSI1PK: string; GSI1SK: string } {
  return { GSI1PK: `P#${projectId}#GATHERINGS`, GSI1SK: gatheringId };
}

/** Join codes are unique across the whole deployment, so the marker is not project-scoped. */
export function joinCodeKey(normalizedCode: string): ItemKey {
  return { PK: `JOINCODE#${normalizedCode}`, SK: "#" };
}

/** An API key is looked up by the SHA-256 of its secret; the secret itself is never stored. */
export function apiKeyKey(secretHash: string): ItemKey {
  return { PK: `APIKEY#${secretHash}`, SK: "#" };
}

/** A consumer's receipt of one event, so redelivered events act once. */
export function activityKey(projectId: string, eventId: string): ItemKey {
  return { PK: `P#${projectId}#ACTIVITY`, SK: eventId };
}

export function activityPk(projectId: string): string {
  return `P#${projectId}#ACTIVITY`;
}

export const MEMBER_SK_PREFIX = "M#";

/** An idempotency record: one per (project, Idempotency-Key). */
export function idempotencyKey(projectId: string, key: string): ItemKey {
  return { PK: `P#${projectId}#IDEM#${key}`, SK: "#" };
}

export const INVITATION_SK_PREFIX = "I#";

export function invitationKey(projectId: string, gatheringId: string, invitationId: string): ItemKey {
  return { PK: aggregatePk("gathering", projectId, gatheringId), SK: `${INVITATION_SK_PREFIX}${invitationId}` };
}

export function participantKey(projectId: string, participantId: string): ItemKey {
  return { PK: `P#${projectId}#PT#${participantId}`, SK: "#" };
}

/** A generated key (e.g. for signing RSVP links), created on first use and kept in the table. */
export function signingKeyKey(purpose: string): ItemKey {
  return { PK: `KEY#${purpose}`, SK: "#" };
}

/** A project's webhook endpoints share a partition: fan-out reads them with one Query. */
export function webhookKey(projectId: string, webhookId: string): ItemKey {
  return { PK: `P#${projectId}#WEBHOOKS`, SK: webhookId };
}

export function webhooksPk(projectId: string): string {
  return `P#${projectId}#WEBHOOKS`;
}

/** Delivery attempts: by endpoint (table), by event (GSI1), newest last by id. */
export function webhookAttemptKeys(projectId: string, webhookId: string, eventId: string, attemptId: string) {
  return {
    PK: webhookAttemptsPk(projectId, webhookId),
    SK: attemptId,
    GSI1PK: eventAttemptsPk(projectId, eventId),
    GSI1SK: attemptId,
  };
}

export function webhookAttemptsPk(projectId: string, webhookId: string): string {
  return `P#${projectId}#WHA#${webhookId}`;
}

export function eventAttemptsPk(projectId: string, eventId: string): string {
  return `P#${projectId}#EVA#${eventId}`;
}

/** Marks that an event was handed to an endpoint's delivery queue (fan-out dedupe). */
export function webhookFanoutKey(projectId: string, webhookId: string, eventId: string): ItemKey {
  return { PK: `P#${projectId}#WHF#${webhookId}`, SK: eventId };
}
