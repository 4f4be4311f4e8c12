import type { Clock } from "../../kernel/clock.js";
import type { Actor } from "../../kernel/envelope.js";
import { NotFoundError, PreconditionFailedError, VersionConflictError } from "../../kernel/errors.js";
import { isId, newId } from "../../kernel/ids.js";
import type { Scope } from "../../kernel/tenancy.js";
import { commit, type CommitRequest } from "../../store/commit.js";
import { aggregatePk, aggregateRootKey, debugAudioObjectKey, sessionListKeys } from "../../store/keys.js";
import type { Item, Page, Store, WriteOp } from "../../store/store.js";
import type { DebugAudioStore } from "./audio.js";
import { SESSION_EVENTS } from "./events.js";
import { PLUGIN_EVENTS } from "../plugins/events.js";
import {
  SessionSchema,
  type BotReportBody,
  type CreateSessionBody,
  type EndedReason,
  type Session,
  type SessionStatus,
  type UpdateSessionBody,
} from "./model.js";
import {
  decideAckTimeout,
  decideBotReport,
  decideCreate,
  decideEnd,
  decideStart,
  decideUpdate,
  newSession,
  sessionCommit,
  type Step,
} from "./session.js";
import { EVENT_ITEM_KIND } from "../../store/table.js";

/** What the session commands need. */
export interface SessionDeps {
  store: Store;
  clock: Clock;
  eventRetentionSeconds: number;
}

export interface SessionContext extends Scope {
  actor: Actor;
}

/** How often a command re-reads and decides again when another commit (often the sequencer) got in first. */
export const SESSION_COMMAND_ATTEMPTS = 8;

/** A deleted session leaves a tombstone root for the replay window (watchers learn of the deletion). */
function isTombstone(item: Item): boolean {
  return item.deletedAt !== undefined;
}

export function sessionFromItem(item: Item): Session {
  return SessionSchema.parse(item);
}

export async function loadSession(store: Store, scope: Scope, id: string): Promise<Session> {
  if (!isId("session", id)) throw new NotFoundError(`session ${id} not found`);
  const item = await store.get(aggregateRootKey("session", scope, id), { consistent: true });
  if (!item || isTombstone(item)) throw new NotFoundError(`session ${id} not found`);
  return sessionFromItem(item);
}

export const getSession = (store: Store, scope: Scope, id: string) => loadSession(store, scope, id);

export interface SessionFilters {
  status?: SessionStatus;
  externalRoomId?: string;
  gatheringId?: string;
}

/** A project's sessions, newest first, filtered, one page at a time. */
export async function listSessions(
  store: Store,
  scope: Scope,
  filters: SessionFilters,
  page: { limit?: number; cursor?: string },
): Promise<Page<Session>> {
  const result = await store.query({
    pk: sessionListKeys(scope, "").GSI1PK,
    index: "GSI1",
    descending: true,
    limit: page.limit ?? 50,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    filter: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
  });
  return { items: result.items.map(sessionFromItem), ...(result.nextCursor && { nextCursor: result.nextCursor }) };
}

export interface SessionOutcome {
  session: Session;
  changed: boolean;
}

/**
 * Load, decide, commit — again from the top when another commit got in between (the sequencer commits
 * messages to the same root), unless the caller pinned a version with If-Match (then 412).
 */
export async function executeSession(
  deps: SessionDeps,
  ctx: SessionContext,
  id: string,
  decide: (session: Session, at: string) => Step[],
  options: {
    ifMatch?: number | undefined;
    /** Shapes the commit of the steps (e.g. a deletion's tombstone root); default: the steps as they are. */
    shape?: (request: CommitRequest, now: Date) => CommitRequest;
  } = {},
): Promise<SessionOutcome> {
  for (let attempt = 1; ; attempt++) {
    const session = await loadSession(deps.store, ctx, id);
    if (options.ifMatch !== undefined && options.ifMatch !== session.version) {
      throw new PreconditionFailedError(`session ${id} is at version ${session.version}, not ${options.ifMatch}`);
    }
    const now = deps.clock.now();
    const steps = decide(session, now.toISOString());
    if (steps.length === 0) return { session, changed: false };
    try {
      const request = sessionCommit(session.version, steps, ctx.actor);
      await commit(deps.store, options.shape?.(request, now) ?? request, commitOptions(deps, now));
      return { session: { ...steps.at(-1)!.session, version: session.version + steps.length }, changed: true };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (options.ifMatch !== undefined) {
        throw new PreconditionFailedError(`session ${id} changed while this request was applied`);
      }
      if (attempt >= SESSION_COMMAND_ATTEMPTS) throw error;
    }
  }
}

export function commitOptions(deps: Pick<SessionDeps, "eventRetentionSeconds">, now: Date) {
  return { now, eventRetentionSeconds: deps.eventRetentionSeconds, events: { ...SESSION_EVENTS, ...PLUGIN_EVENTS } };
}

/** Creates a session; `extraOps(session)` are committed with it (e.g. an idempotency record). */
export async function createSession(
  deps: SessionDeps,
  ctx: SessionContext,
  body: CreateSessionBody,
  options: { extraOps?: (session: Session) => WriteOp[] } = {},
): Promise<Session> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const session = newSession({
    id: newId("session", now.getTime()),
    tenantId: ctx.tenantId,
    projectId: ctx.projectId,
    externalRoomId: body.externalRoomId,
    title: body.title,
    ...(body.idleTimeout !== undefined && { idleTimeout: body.idleTimeout }),
    ...(body.gateway !== undefined && { gateway: body.gateway }),
    summaryRecipients: body.summaryRecipients,
    createdBy: ctx.actor.id,
    at,
  });
  const steps = decideCreate(session, body.autoStart ?? true);
  const created: Session = { ...steps.at(-1)!.session, version: steps.length };
  await commit(
    deps.store,
    sessionCommit(0, steps, ctx.actor),
    commitOptions(deps, now),
    options.extraOps?.(created) ?? [],
  );
  return created;
}

export const updateSession = (
  deps: SessionDeps,
  ctx: SessionContext,
  id: string,
  body: UpdateSessionBody,
  options: { ifMatch?: number | undefined } = {},
) => executeSession(deps, ctx, id, (session, at) => decideUpdate(session, body, at), options);

export const startSession = (deps: SessionDeps, ctx: SessionContext, id: string) =>
  executeSession(deps, ctx, id, (session, at) => decideStart(session, at));

export const endSession = (deps: SessionDeps, ctx: SessionContext, id: string, reason: EndedReason) =>
  executeSession(deps, ctx, id, (session, at) => decideEnd(session, reason, at));

export const reportBot = (deps: SessionDeps, ctx: SessionContext, id: string, report: BotReportBody) =>
  executeSession(deps, ctx, id, (session, at) => decideBotReport(session, report, at));

export const timeoutBotCommand = (deps: SessionDeps, ctx: SessionContext, id: string, commandId: string) =>
  executeSession(deps, ctx, id, (session, at) => decideAckTimeout(session, commandId, at));

/** Deletes go in transactions of this many items (DynamoDB's limit is 100). */
const PURGE_CHUNK = 100;

/**
 * Deleting: one commit releases the bot (when it is in the room), writes `session.deleted` and turns the
 * root into a tombstone (off the listing, expiring with the replay window); then every other item of the
 * session — transcript, attendance, markers and older events (they hold the transcript too) — and its
 * debug audio are removed. A retry after a crash finds the tombstone and finishes the purge.
 */
export async function deleteSession(
  deps: SessionDeps & { audio: DebugAudioStore },
  ctx: SessionContext,
  id: string,
  options: { ifMatch?: number | undefined } = {},
): Promise<void> {
  const root = isId("session", id) ? await deps.store.get(aggregateRootKey("session", ctx, id)) : undefined;
  if (!root) throw new NotFoundError(`session ${id} not found`);
  // A tombstone is a deletion that crashed before its purge finished: finish it.
  const deletedVersion = isTombstone(root)
    ? Number(root.version)
    : (await executeSession(deps, ctx, id, decideDelete, { ...options, shape: tombstone(deps) })).session.version;
  await purgeSession(deps, ctx, id, deletedVersion);
}

/** Deleting releases a bot that is wanted in the room, then writes `session.deleted`. */
function decideDelete(session: Session, at: string): Step[] {
  const released = decideEnd(session, "stopped", at).filter((s) => s.type === "session.bot.released");
  const last = released.at(-1)?.session ?? session;
  return [...released, { type: "session.deleted", session: { ...last, updatedAt: at } }];
}

/** The deletion's root: off the listing (no GSI1 keys), marked deleted, expiring with the replay window. */
function tombstone(deps: Pick<SessionDeps, "eventRetentionSeconds">) {
  return (request: CommitRequest, now: Date): CommitRequest => {
    const { GSI1PK: _pk, GSI1SK: _sk, ...root } = request.root;
    const expiresAt = Math.floor(now.getTime() / 1000) + deps.eventRetentionSeconds;
    return { ...request, root: { ...root, deletedAt: now.toISOString(), expiresAt } };
  };
}

async function purgeSession(
  deps: SessionDeps & { audio: DebugAudioStore },
  scope: Scope,
  id: string,
  deletedVersion: number,
): Promise<void> {
  const pk = aggregatePk("session", scope, id);
  const keep = (item: Item) =>
    item.SK === "#ROOT" ||
    (item.kind === EVENT_ITEM_KIND && Number((item.event as { version?: number })?.version) >= deletedVersion);
  let cursor: string | undefined;
  do {
    const page = await deps.store.query({ pk, limit: 500, consistent: true, ...(cursor && { cursor }) });
    const doomed = page.items.filter((item) => !keep(item));
    for (let i = 0; i < doomed.length; i += PURGE_CHUNK) {
      const ops: WriteOp[] = doomed
        .slice(i, i + PURGE_CHUNK)
        .map((item) => ({ op: "delete", key: { PK: item.PK, SK: item.SK } }));
      await deps.store.transact(ops);
    }
    cursor = page.nextCursor;
  } while (cursor);
  await deps.audio.deletePrefix(debugAudioObjectKey(scope, id));
}
