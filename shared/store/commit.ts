import { UniqueConstraintError, VersionConflictError } from "../kernel/errors.js";
import type { Actor, EventEnvelope } from "../kernel/envelope.js";
import type * as z from "../kernel/zod.js";
import { newId } from "../kernel/ids.js";
import { aggregateRootKey, eventSk, type AggregateType, type ItemKey } from "./keys.js";
import { TransactionCancelledError, type Condition, type Item, type Store, type WriteOp } from "./store.js";
import { EVENT_ITEM_KIND } from "./table.js";

/**
 * The one write primitive for aggregates: the aggregate root, its other items and one event item per
 * domain event go into a single TransactWriteItems. The root's `version` moves from `expectedVersion`
 * to `expectedVersion + events.length` under a condition, and each event item's sort key is the version
 * it produced — so every aggregate has a gapless, ordered event log, and the stream publishes exactly
 * what was committed (the transactional outbox).
 */
/** What a module declares of each of its events; commits are validated against these definitions. */
export interface EventDefinition {
  aggregate: AggregateType;
  description: string;
  data: z.ZodMiniType;
  /** The event's `resource` when it is not the aggregate (`message:{id}` for a message's annotation). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition types its own data
  resource?: (data: any) => string;
  /**
   * With `resource`: the id of the aggregate whose log holds the event, from its data (a message's
   * annotation is in its session's log), so live delivery finds the event's stream without a read.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition types its own data
  aggregateId?: (data: any) => string;
}

export interface EventDraft<T extends string = string> {
  type: T;
  data: unknown;
  actor?: Actor;
}

export interface CommitRequest {
  aggregate: { type: AggregateType; id: string; projectId: string; tenantId: string };
  /** The version the caller read; 0 creates the aggregate. */
  expectedVersion: number;
  /** The root item's attributes; `version` is set by commit. */
  root: Record<string, unknown>;
  /** Other items written with the root (e.g. members). */
  puts?: Array<{ item: Item; condition?: Condition }>;
  deletes?: Array<{ key: ItemKey; condition?: Condition }>;
  /** Uniqueness markers: created with attribute_not_exists; a clash is a UniqueConstraintError. */
  uniques?: Item[];
  /** Markers released in the same transaction (e.g. a regenerated join code). */
  releases?: ItemKey[];
  events: EventDraft[];
}

export interface CommitResult {
  version: number;
  events: EventEnvelope[];
}

export interface CommitOptions {
  now: Date;
  /** The events the committing module may write (its own, and those of aggregates it commits with). */
  events: Readonly<Record<string, EventDefinition>>;
  /** Seconds event items are kept for replay (SSE resume, audits) before TTL removes them. */
  eventRetentionSeconds: number;
}

/**
 * The one place commit versions are computed: the i-th event of a commit from `expectedVersion` produces
 * version `expectedVersion + i + 1`, and the root ends at the last event's version.
 */
export function commitVersions(expectedVersion: number, eventCount: number): { events: number[]; final: number } {
  const events = Array.from({ length: eventCount }, (_, i) => expectedVersion + i + 1);
  return { events, final: events.at(-1) ?? expectedVersion };
}

/** Pure: the envelopes a commit produces. */
export function buildEnvelopes(
  request: CommitRequest,
  now: Date,
  definitions: CommitOptions["events"],
): EventEnvelope[] {
  const { aggregate } = request;
  const versions = commitVersions(request.expectedVersion, request.events.length).events;
  return request.events.map((draft, i) => {
    const entry = definitions[draft.type];
    if (!entry) throw new Error(`event ${draft.type} is not declared by the committing module`);
    if (entry.aggregate !== aggregate.type) {
      throw new Error(`event ${draft.type} does not belong to a ${aggregate.type}`);
    }
    // The catalog is the contract with every subscriber: never publish what it does not describe.
    const data = entry.data.parse(draft.data) as Record<string, unknown>;
    return {
      id: newId("event", now.getTime()),
      type: draft.type,
      version: versions[i]!,
      projectId: aggregate.projectId,
      tenantId: aggregate.tenantId,
      resource: entry.resource?.(data) ?? `${aggregate.type}:${aggregate.id}`,
      occurredAt: now.toISOString(),
      ...(draft.actor && { actor: draft.actor }),
      data,
    };
  });
}

/** Pure: the write operations of a commit, in a fixed order (root first, so failure index 0 = version). */
export function planCommit(request: CommitRequest, envelopes: EventEnvelope[], options: CommitOptions): WriteOp[] {
  const { aggregate, expectedVersion } = request;
  const rootKey = aggregateRootKey(aggregate.type, aggregate, aggregate.id);
  const version = commitVersions(expectedVersion, envelopes.length).final;
  const expiresAt = Math.floor(options.now.getTime() / 1000) + options.eventRetentionSeconds;
  const ops: WriteOp[] = [
    {
      op: "put",
      item: { ...request.root, ...rootKey, version },
      condition:
        expectedVersion === 0
          ? { kind: "notExists" }
          : { kind: "equals", attribute: "version", value: expectedVersion },
    },
  ];
  for (const unique of request.uniques ?? []) ops.push({ op: "put", item: unique, condition: { kind: "notExists" } });
  for (const key of request.releases ?? []) ops.push({ op: "delete", key });
  for (const put of request.puts ?? [])
    ops.push({ op: "put", item: put.item, ...(put.condition && { condition: put.condition }) });
  for (const del of request.deletes ?? [])
    ops.push({ op: "delete", key: del.key, ...(del.condition && { condition: del.condition }) });
  for (const envelope of envelopes) {
    ops.push({
      op: "put",
      item: { PK: rootKey.PK, SK: eventSk(envelope.version), kind: EVENT_ITEM_KIND, event: envelope, expiresAt },
      condition: { kind: "notExists" },
    });
  }
  return ops;
}

/**
 * Commits one aggregate, or several atomically (e.g. a gathering that starts and the session it creates).
 * `extraOps` are written in the same transaction (e.g. an idempotency record); a failure of one of them is
 * reported as an ExtraOpFailedError carrying its index.
 */
export async function commit(
  store: Store,
  request: CommitRequest | CommitRequest[],
  options: CommitOptions,
  extraOps: WriteOp[] = [],
): Promise<CommitResult[]> {
  const requests = Array.isArray(request) ? request : [request];
  const planned = requests.map((req) => {
    if (req.events.length === 0) throw new Error("a commit must carry at least one event");
    const envelopes = buildEnvelopes(req, options.now, options.events);
    return { req, envelopes, ops: planCommit(req, envelopes, options) };
  });
  const ops = [...planned.flatMap((p) => p.ops), ...extraOps];
  try {
    await store.transact(ops);
  } catch (error) {
    if (!(error instanceof TransactionCancelledError)) throw error;
    let offset = 0;
    for (const { req, ops: own } of planned) {
      const failedHere = error.failed.filter((i) => i >= offset && i < offset + own.length).map((i) => i - offset);
      const uniqueCount = req.uniques?.length ?? 0;
      const failedUnique = failedHere.find((i) => i >= 1 && i <= uniqueCount);
      if (failedUnique !== undefined && !failedHere.includes(0)) {
        throw new UniqueConstraintError(req.uniques![failedUnique - 1]!.PK);
      }
      offset += own.length;
    }
    const extraFailed = error.failed.find((i) => i >= offset);
    const versionFailed = error.failed.some((i) => i < offset);
    if (extraFailed !== undefined && !versionFailed) throw new ExtraOpFailedError(extraFailed - offset);
    // A failed version condition, a clashing event item or DynamoDB's own contention: someone else won.
    const first = requests[0]!;
    throw new VersionConflictError(`${first.aggregate.type} ${first.aggregate.id}`, first.expectedVersion);
  }
  return planned.map(({ req, envelopes }) => ({
    version: commitVersions(req.expectedVersion, envelopes.length).final,
    events: envelopes,
  }));
}

export class ExtraOpFailedError extends Error {
  constructor(readonly index: number) {
    super(`extra write ${index} of the commit failed its condition`);
    this.name = "ExtraOpFailedError";
  }
}
