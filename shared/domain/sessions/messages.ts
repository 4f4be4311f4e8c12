import { createHash } from "node:crypto";
import { ConflictError, GoneError, NotFoundError, ValidationError } from "../../kernel/errors.js";
import { newId } from "../../kernel/ids.js";
import type { Scope } from "../../kernel/tenancy.js";
import { aggregatePk, debugAudioObjectKey, messageKey, messageMarkerKey, MESSAGE_SK_PREFIX } from "../../store/keys.js";
import { TransactionCancelledError, type Item, type Page, type Store } from "../../store/store.js";
import { MESSAGE_ITEM_KIND } from "../../store/table.js";
import { DEBUG_AUDIO_URL_SECONDS, isWav, type DebugAudioStore } from "./audio.js";
import {
  DEBUG_AUDIO_RETENTION_SECONDS,
  MAX_DEBUG_AUDIO_BYTES,
  MessageSchema,
  type Message,
  type PostMessageBody,
  type Session,
} from "./model.js";
import { loadSession, type SessionDeps } from "./service.js";
import { getSettings } from "./settings.js";

/**
 * The transcript. A message is two items in the session's partition — the message, keyed by time then id,
 * and a marker keyed by id — written together under "must not exist": no read-modify-write of the root,
 * so concurrent speakers never contend, and a retry with the same id finds the first write. The message
 * sequencer (sequencer.ts) then gives each message its version in the session's event log.
 */

/** A message's timestamp may run this far ahead of the server's clock (bot clocks drift). */
const FUTURE_SLACK_MS = 5 * 60 * 1000;

/** Pure: the stored form of a timestamp (UTC, milliseconds), so keys sort chronologically. */
export function canonicalTimestamp(value: string): string {
  return new Date(value).toISOString();
}

export function messageFromItem(item: Item): Message {
  return MessageSchema.parse(item);
}

/** The message item (its `version` is added by the sequencer). */
export function messageItem(scope: Scope, message: Message): Item {
  return {
    ...messageKey(scope, message.sessionId, message.timestamp, message.id),
    kind: MESSAGE_ITEM_KIND,
    ...message,
  };
}

function markerItem(scope: Scope, message: Message): Item {
  return { ...messageMarkerKey(scope, message.sessionId, message.id), kind: "messageId", timestamp: message.timestamp };
}

/** The two writes of a new message (used by the bot API and by attendance's system messages). */
export function messageWrites(scope: Scope, message: Message) {
  return [
    { item: markerItem(scope, message), condition: { kind: "notExists" as const } },
    { item: messageItem(scope, message), condition: { kind: "notExists" as const } },
  ];
}

/** A deterministic id for a system message, so a retried report adds it once. */
export function systemMessageId(parts: string[]): string {
  return `sys_${createHash("sha256").update(parts.join("\n")).digest("hex").slice(0, 24)}`;
}

async function existingMessage(
  store: Store,
  scope: Scope,
  sessionId: string,
  id: string,
): Promise<Message | undefined> {
  const marker = await store.get(messageMarkerKey(scope, sessionId, id), { consistent: true });
  if (!marker || typeof marker.timestamp !== "string") return undefined;
  const item = await store.get(messageKey(scope, sessionId, marker.timestamp, id), { consistent: true });
  return item ? messageFromItem(item) : undefined;
}

const sameUtterance = (a: Message, b: Message) =>
  a.type === b.type && a.senderName === b.senderName && a.content === b.content && a.timestamp === b.timestamp;

function checkAccepts(session: Session, timestamp: string, now: Date): void {
  if (Date.parse(timestamp) > now.getTime() + FUTURE_SLACK_MS) {
    throw new ValidationError("timestamp is in the future", [
      { path: "timestamp", message: "must not be more than 5 minutes ahead of the server's clock" },
    ]);
  }
  // An utterance spoken before the session ended is still part of it (the bot flushes on leaving).
  if (session.status === "ended" && session.endedAt && timestamp > session.endedAt) {
    throw new ConflictError(`session ${session.id} ended at ${session.endedAt}`, "session_ended");
  }
}

function decodeAudio(base64: string): Uint8Array {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length > MAX_DEBUG_AUDIO_BYTES) {
    throw new ValidationError("debugAudio is too large", [
      { path: "debugAudio", message: `must be at most ${MAX_DEBUG_AUDIO_BYTES} bytes decoded` },
    ]);
  }
  if (!isWav(bytes)) {
    throw new ValidationError("debugAudio is not a WAV file", [
      { path: "debugAudio", message: "must be a base64 WAV file (RIFF/WAVE)" },
    ]);
  }
  return bytes;
}

/**
 * Adds an utterance. The same id again answers the first message (`created: false`); the same id with
 * other content is a 409. Debug audio is stored only while the project enables it, before the message
 * is written (so `hasDebugAudio` never names a missing file).
 */
export async function postMessage(
  deps: SessionDeps & { audio: DebugAudioStore },
  scope: Scope,
  sessionId: string,
  body: PostMessageBody,
): Promise<{ message: Message; created: boolean }> {
  const session = await loadSession(deps.store, scope, sessionId);
  const now = deps.clock.now();
  const timestamp = canonicalTimestamp(body.timestamp);
  checkAccepts(session, timestamp, now);
  const audio = body.debugAudio === undefined ? undefined : decodeAudio(body.debugAudio);
  const id = body.id ?? newId("message", now.getTime());
  const message: Message = {
    id,
    sessionId,
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    type: body.type,
    senderName: body.senderName,
    ...(body.peerId !== undefined && { peerId: body.peerId }),
    ...(body.userId !== undefined && { userId: body.userId }),
    content: body.content,
    timestamp,
    hasDebugAudio: false,
    createdAt: now.toISOString(),
  };
  const replay = async () => {
    const existing = await existingMessage(deps.store, scope, sessionId, id);
    if (!existing) return undefined;
    if (!sameUtterance(existing, message)) {
      throw new ConflictError(`message id ${id} was already used for another message`, "message_id_reused");
    }
    return { message: existing, created: false };
  };
  // A retry is found by the write's own "must not exist" below; only a retry carrying audio is looked for
  // first, so it cannot overwrite the recording of the message it repeats (or of another one with its id).
  if (audio && (await getSettings(deps.store, scope)).debugAudioEnabled) {
    const first = body.id === undefined ? undefined : await replay();
    if (first) return first;
    await deps.audio.put(debugAudioObjectKey(scope, sessionId, id), audio);
    message.hasDebugAudio = true;
  }
  try {
    await deps.store.transact(messageWrites(scope, message).map((w) => ({ op: "put" as const, ...w })));
  } catch (error) {
    if (!(error instanceof TransactionCancelledError)) throw error;
    // A concurrent retry with the same id got in first.
    const first = await replay();
    if (first) return first;
    throw error;
  }
  return { message, created: true };
}

/** The transcript in chronological order (timestamp, then id), one page at a time. */
export async function listMessages(
  store: Store,
  scope: Scope,
  sessionId: string,
  page: { limit?: number; cursor?: string },
): Promise<Page<Message>> {
  await loadSession(store, scope, sessionId);
  const result = await store.query({
    pk: aggregatePk("session", scope, sessionId),
    beginsWith: MESSAGE_SK_PREFIX,
    consistent: true,
    limit: page.limit ?? 100,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
  });
  return { items: result.items.map(messageFromItem), ...(result.nextCursor && { nextCursor: result.nextCursor }) };
}

/**
 * Where to download a message's debug audio: a short-lived URL; 404 when it has none, 410 once the
 * retention window has passed (even if the bucket's lazy lifecycle has not removed the object yet).
 */
export async function debugAudioLink(
  deps: Pick<SessionDeps, "store" | "clock"> & { audio: DebugAudioStore },
  scope: Scope,
  sessionId: string,
  messageId: string,
): Promise<{ url: string; expiresAt: string }> {
  await loadSession(deps.store, scope, sessionId);
  const message = await existingMessage(deps.store, scope, sessionId, messageId);
  if (!message) throw new NotFoundError(`message ${messageId} not found`);
  if (!message.hasDebugAudio) throw new NotFoundError(`message ${messageId} has no debug audio`, "no_debug_audio");
  const now = deps.clock.now();
  const expiry = Date.parse(message.createdAt) + DEBUG_AUDIO_RETENTION_SECONDS * 1000;
  if (now.getTime() >= expiry) {
    throw new GoneError(
      `the debug audio of message ${messageId} was kept for 24 hours, until ${new Date(expiry).toISOString()}`,
    );
  }
  const url = await deps.audio.downloadUrl(debugAudioObjectKey(scope, sessionId, messageId), DEBUG_AUDIO_URL_SECONDS);
  return { url, expiresAt: new Date(now.getTime() + DEBUG_AUDIO_URL_SECONDS * 1000).toISOString() };
}

/**
 * When the newest utterance arrived (server time), read from the transcript itself — so an idle deadline
 * never ends a session whose latest messages the sequencer has not committed yet.
 */
export async function latestUtteranceAt(store: Store, scope: Scope, sessionId: string): Promise<string | undefined> {
  const page = await store.query({
    pk: aggregatePk("session", scope, sessionId),
    beginsWith: MESSAGE_SK_PREFIX,
    descending: true,
    consistent: true,
    limit: 1,
    filter: { type: "user" },
  });
  const newest = page.items[0];
  return typeof newest?.createdAt === "string" ? newest.createdAt : undefined;
}
