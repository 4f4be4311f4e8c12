import { VersionConflictError } from "../../kernel/errors.js";
import type { Actor } from "../../kernel/envelope.js";
import { commit } from "../../store/commit.js";
import { aggregateRootKey } from "../../store/keys.js";
import type { Item, WriteOp } from "../../store/store.js";
import { messageFromItem } from "./messages.js";
import type { Message, Session } from "./model.js";
import { commitOptions, sessionFromItem, type SessionDeps } from "./service.js";
import { sessionCommit, type Step } from "./session.js";
import { ANNOTATION_ITEM_KIND } from "../../store/table.js";
import {
  isMessageAnnotationItem,
  messageAnnotationFromItem,
  sessionAnnotationFromItem,
} from "../plugins/annotations.js";
import type { MessageAnnotation, SessionAnnotation } from "../plugins/model.js";

/**
 * The message sequencer: the one writer of `message.created` (and of the plugins' annotation events). Posting a message only inserts it (no hot
 * root); the table's stream hands inserted messages here in order, and each session's new messages are
 * committed to its event log in one transaction per chunk — root version +n, n events, each message
 * stamped with its version. The stream delivers a partition's records in order to one invocation at a
 * time, so a session's messages are sequenced by one writer; a commit that still meets another (a stop,
 * a bot report, a sequencer on a split shard) re-reads and tries again. Idempotent: a message that
 * already has its version is skipped, so redelivered records publish nothing twice.
 */

/** Messages per commit: 1 root + 2 items per message stays within DynamoDB's 100 items per transaction. */
export const SEQUENCE_CHUNK = 40;
const ATTEMPTS = 10;
export const SEQUENCER: Actor = { type: "system", id: "message-sequencer" };

export interface SequenceResult {
  counts: { sessions: number; sequenced: number; skipped: number; dropped: number };
  /** Stream record keys to retry (their session could not be sequenced). */
  failed: string[];
  errors: unknown[];
}

export async function sequenceMessages(
  deps: SessionDeps,
  records: Array<{ key: string; item: Record<string, unknown> }>,
): Promise<SequenceResult> {
  const bySession = new Map<string, Array<{ key: string; item: Item }>>();
  for (const record of records) {
    const item = record.item as Item;
    const list = bySession.get(item.PK) ?? [];
    list.push({ key: record.key, item });
    bySession.set(item.PK, list);
  }
  const counts = { sessions: bySession.size, sequenced: 0, skipped: 0, dropped: 0 };
  const failed: string[] = [];
  const errors: unknown[] = [];
  // Sessions are independent: sequence them concurrently. A session that fails (contention past the
  // attempts, the store unavailable) fails its records: the stream retries them, in order.
  await Promise.all(
    [...bySession.values()].map(async (list) => {
      try {
        const done = await sequenceSession(
          deps,
          list.map((r) => r.item),
        );
        counts.sequenced += done.sequenced;
        counts.skipped += done.skipped;
        counts.dropped += done.dropped;
      } catch (error) {
        failed.push(...list.map((r) => r.key));
        errors.push(error);
      }
    }),
  );
  return { counts, failed, errors };
}

const byTimeThenId = (a: Message, b: Message) =>
  a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** What the sequencer publishes: a message, or a plugin's annotation (of a message or of the session). */
export type Pending =
  | { kind: "message"; item: Item; message: Message }
  | { kind: "annotation"; item: Item; annotation: MessageAnnotation | Omit<SessionAnnotation, "current"> };

export function pendingOf(item: Item): Pending {
  if (item.kind === ANNOTATION_ITEM_KIND) {
    const annotation = isMessageAnnotationItem(item)
      ? messageAnnotationFromItem(item)
      : (({ current: _current, ...rest }) => rest)(sessionAnnotationFromItem(item, true));
    return { kind: "annotation", item, annotation };
  }
  return { kind: "message", item, message: messageFromItem(item) };
}

/** Messages first, in transcript order; then annotations in the order they were made. */
export function publishOrder(a: Pending, b: Pending): number {
  if (a.kind === "message" && b.kind === "message") return byTimeThenId(a.message, b.message);
  if (a.kind === "message") return -1;
  if (b.kind === "message") return 1;
  const x = a.annotation;
  const y = b.annotation;
  return x.createdAt < y.createdAt ? -1 : x.createdAt > y.createdAt ? 1 : x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
}

async function sequenceSession(
  deps: SessionDeps,
  inserted: Item[],
): Promise<{ sequenced: number; skipped: number; dropped: number }> {
  const first = inserted[0]!;
  const scope = { tenantId: String(first.tenantId), projectId: String(first.projectId) };
  const sessionId = String(first.sessionId);
  let sequenced = 0;
  for (let attempt = 1; ; attempt++) {
    const root = await deps.store.get(aggregateRootKey("session", scope, sessionId), { consistent: true });
    // Re-read: a redelivered record may already be sequenced, or deleted with its session.
    const current = await Promise.all(inserted.map((item) => deps.store.get({ PK: item.PK, SK: item.SK })));
    const pending = current.filter((item): item is Item => item !== undefined && item.version === undefined);
    if (!root || root.deletedAt !== undefined) {
      // The session was deleted: what slipped in after its purge goes too.
      if (pending.length > 0) await dropOrphans(deps, pending);
      return { sequenced, skipped: inserted.length - pending.length, dropped: pending.length };
    }
    if (pending.length === 0) return { sequenced, skipped: inserted.length - sequenced, dropped: 0 };
    const ordered = pending.map(pendingOf).sort(publishOrder);
    let session = sessionFromItem(root);
    try {
      for (let i = 0; i < ordered.length; i += SEQUENCE_CHUNK) {
        const chunk = ordered.slice(i, i + SEQUENCE_CHUNK);
        const now = deps.clock.now();
        const { steps, puts } = sequenceChunk(session, chunk, now.toISOString());
        await commit(deps.store, sessionCommit(session.version, steps, SEQUENCER, { puts }), commitOptions(deps, now));
        session = { ...steps.at(-1)!.session, version: session.version + steps.length };
        sequenced += chunk.length;
      }
      return { sequenced, skipped: inserted.length - sequenced, dropped: 0 };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

/**
 * Pure: the steps and item stamps of one chunk. An utterance is activity (it moves the idle deadline); an
 * annotation changes nothing of the session but its version. A session annotation is published current:
 * it is the newest of its type.
 */
export function sequenceChunk(
  session: Session,
  chunk: Pending[],
  at: string,
): { steps: Step[]; puts: NonNullable<Parameters<typeof sessionCommit>[3]>["puts"] } {
  const steps: Step[] = [];
  const puts: Array<{ item: Item; condition: { kind: "existsWithout"; attribute: string } }> = [];
  let next = session;
  chunk.forEach((entry, i) => {
    const version = session.version + i + 1;
    if (entry.kind === "message") {
      const { message } = entry;
      next = {
        ...next,
        messageCount: next.messageCount + 1,
        ...(message.type === "user" && { lastActivityAt: at }),
      };
      steps.push({ type: "message.created", session: next, data: { message } });
    } else if ("messageId" in entry.annotation) {
      steps.push({
        type: "message.annotation.created",
        session: next,
        data: { annotation: { ...entry.annotation, version } },
      });
    } else {
      steps.push({
        type: "session.annotation.created",
        session: next,
        data: { annotation: { ...entry.annotation, version, current: true } },
      });
    }
    puts.push({ item: { ...entry.item, version }, condition: { kind: "existsWithout", attribute: "version" } });
  });
  return { steps, puts };
}

async function dropOrphans(deps: SessionDeps, items: Item[]): Promise<void> {
  const ops: WriteOp[] = items.map((item) => ({ op: "delete", key: { PK: item.PK, SK: item.SK } }));
  for (let i = 0; i < ops.length; i += 100) await deps.store.transact(ops.slice(i, i + 100));
}
