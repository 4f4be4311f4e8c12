import { ConflictError, NotFoundError, PreconditionFailedError, VersionConflictError } from "../../kernel/errors.js";
import { fullJitter } from "../../kernel/backoff.js";
import type { Actor } from "../../kernel/envelope.js";
import { GATHERING_COMMIT_EVENTS } from "./events.js";
import { isId } from "../../kernel/ids.js";
import type { Invitation } from "./invitation-model.js";
import type { Clock } from "../../kernel/clock.js";
import { commit, commitVersions, type CommitRequest } from "../../store/commit.js";
import {
  aggregatePk,
  aggregateRootKey,
  gatheringListKeys,
  invitationKey,
  MEMBER_SK_PREFIX,
  memberKey,
} from "../../store/keys.js";
import type { Condition, Item, Page, Store, WriteOp } from "../../store/store.js";
import type { Scope } from "../../kernel/tenancy.js";
import { isPresent } from "./members.js";
import { GatheringSchema, MemberSchema, type Gathering, type Member } from "./model.js";
import type { Decision, State } from "./decisions.js";

export type { Decision, State, Step } from "./decisions.js";

/**
 * The command executor of the gathering aggregate: load → decide (pure) → commit under the version
 * condition, retrying lost races. Every command on a gathering (members, lifecycle, invitations) runs
 * through `execute`, so every change gets its event and the next version.
 */
export interface GatheringDeps {
  store: Store;
  clock: Clock;
  eventRetentionSeconds: number;
  /** Injected for tests that need to force join-code collisions. */
  joinCodes?: () => string;
}

export interface CommandContext extends Scope {
  actor: Actor;
}

/** What a command produced: the gathering (and member, invitations) after it, and whether anything changed. */
export interface Outcome {
  gathering: Gathering;
  member?: Member;
  invitations?: Invitation[];
  changed: boolean;
}

export interface CommandOptions {
  /** The version the caller last saw (If-Match); a mismatch is a 412 and nothing is retried. */
  ifMatch?: number;
  /** Writes that must happen in the same transaction as the command (e.g. the idempotency record). */
  extraOps?: (outcome: Outcome) => WriteOp[];
}

/** Commands on a busy gathering reload and retry when another writer got there first. */
const MAX_ATTEMPTS = 60;

// ── Loading ────────────────────────────────────────────────────────────────────────────────────────────

export function gatheringFromItem(item: Item): Gathering {
  // Items written before a field existed get its default.
  return GatheringSchema.parse({ ownerId: null, memberCount: 0, readyCount: 0, ...item });
}

export function memberFromItem(item: Item): Member {
  return MemberSchema.parse(item);
}

export async function loadGathering(store: Store, scope: Scope, id: string): Promise<Gathering> {
  if (!isId("gathering", id)) throw new NotFoundError(`gathering ${id} not found`);
  const item = await store.get(aggregateRootKey("gathering", scope, id), { consistent: true });
  if (!item) throw new NotFoundError(`gathering ${id} not found`);
  return gatheringFromItem(item);
}

export async function loadMember(store: Store, scope: Scope, gatheringId: string, participantId: string) {
  const item = await store.get(memberKey(scope, gatheringId, participantId), { consistent: true });
  return item ? memberFromItem(item) : undefined;
}

/** One page of one kind of item in a gathering's partition (members, invitations), optionally by status. */
export async function listGatheringItems<T>(
  store: Store,
  scope: Scope,
  gatheringId: string,
  prefix: string,
  parse: (item: Item) => T,
  filters: { status?: string },
  page: { limit?: number; cursor?: string },
): Promise<Page<T>> {
  const result = await store.query({
    pk: aggregatePk("gathering", scope, gatheringId),
    beginsWith: prefix,
    consistent: true,
    limit: page.limit ?? 50,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    ...(filters.status && { filter: { status: filters.status } }),
  });
  // Only an empty page needs to tell "none yet" from "no such gathering".
  if (result.items.length === 0) await loadGathering(store, scope, gatheringId);
  return { items: result.items.map(parse), ...(result.nextCursor && { nextCursor: result.nextCursor }) };
}

/** Every item of one kind in a gathering's partition, all pages. */
export async function allGatheringItems<T>(
  store: Store,
  scope: Scope,
  gatheringId: string,
  prefix: string,
  parse: (item: Item) => T,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await listGatheringItems(
      store,
      scope,
      gatheringId,
      prefix,
      parse,
      {},
      {
        limit: 500,
        ...(cursor && { cursor }),
      },
    );
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

export async function loadPresentMembers(store: Store, scope: Scope, gatheringId: string): Promise<Member[]> {
  const members = await allGatheringItems(store, scope, gatheringId, MEMBER_SK_PREFIX, memberFromItem);
  return members.filter((m) => isPresent(m.status));
}

// ── The executor ───────────────────────────────────────────────────────────────────────────────────────

export interface Target {
  gatheringId: string;
  participantId?: string;
  /** Whether the decision needs the present members (ownership succession). */
  needsPresent?: (state: State) => boolean;
  /** Loads more state the decision needs (e.g. the session a gathering ends). */
  extra?: (state: State) => Promise<Pick<State, "session" | "previousOwner" | "invitations" | "members">>;
}

/**
 * Each member or invitation a commit writes must still be as the command read it: a member by the
 * gathering version of its last change, an invitation by its last update, an unread one must not exist.
 * The root's version condition already serializes commands; this also catches a torn read — the root read
 * after another commit and an item read before it — which a store without read isolation (DynamoDB Local)
 * can produce, and which would otherwise commit a decision made on a mix of two states.
 */
function asRead(item: { version?: number; updatedAt: string } | undefined): Condition {
  if (!item) return { kind: "notExists" };
  return item.version !== undefined
    ? { kind: "equals", attribute: "version", value: item.version }
    : { kind: "equals", attribute: "updatedAt", value: item.updatedAt };
}

function readItems(state: State) {
  const members = new Map<string, Member>();
  for (const m of [state.member, state.previousOwner, ...(state.present ?? []), ...(state.members?.values() ?? [])]) {
    if (m) members.set(m.participantId, m);
  }
  return { members, invitations: new Map((state.invitations ?? []).map((inv) => [inv.id, inv])) };
}

function toCommitRequest(
  base: Gathering,
  decision: Decision,
  read: ReturnType<typeof readItems>,
  ctx: CommandContext,
): CommitRequest {
  const final = decision.steps.at(-1)!.gathering;
  const { version: _version, ...attributes } = final;
  return {
    aggregate: { type: "gathering", id: base.id, projectId: base.projectId, tenantId: base.tenantId },
    expectedVersion: base.version,
    root: { ...attributes, kind: "gathering", ...gatheringListKeys(base, base.id) },
    puts: [
      ...(decision.memberPuts ?? []).map((m) => ({
        item: { ...m, ...memberKey(base, base.id, m.participantId), kind: "member" },
        condition: asRead(read.members.get(m.participantId)),
      })),
      ...(decision.invitationPuts ?? []).map((inv) => ({
        item: { ...inv, ...invitationKey(base, base.id, inv.id), kind: "invitation" },
        condition: asRead(read.invitations.get(inv.id)),
      })),
    ],
    deletes: (decision.memberDeletes ?? []).map((p) => ({
      key: memberKey(base, base.id, p),
      condition: asRead(read.members.get(p)),
    })),
    ...(decision.uniques && { uniques: decision.uniques }),
    ...(decision.releases && { releases: decision.releases }),
    events: decision.steps.map((step) => ({
      type: step.type,
      data: {
        gathering: step.gathering,
        ...(step.member && { member: step.member }),
        ...(step.invitation && { invitation: step.invitation }),
        ...step.data,
      },
      actor: step.actor ?? ctx.actor,
    })),
  };
}

/**
 * The decision with its versions: each step's gathering, member and invitation get the version of the
 * step's event, and the items it writes the version of the commit (the last event's).
 */
export function stampVersions(decision: Decision, readVersion: number): Decision {
  const versions = commitVersions(readVersion, decision.steps.length);
  const final = versions.final;
  return {
    ...decision,
    steps: decision.steps.map((step, i) => {
      const version = versions.events[i]!;
      return {
        ...step,
        gathering: { ...step.gathering, version },
        ...(step.member && { member: { ...step.member, version } }),
        ...(step.invitation && { invitation: { ...step.invitation, version } }),
      };
    }),
    // Member and invitation items record the version of the commit that last wrote them.
    ...(decision.memberPuts && { memberPuts: decision.memberPuts.map((m) => ({ ...m, version: final })) }),
    ...(decision.invitationPuts && {
      invitationPuts: decision.invitationPuts.map((inv) => ({ ...inv, version: final })),
    }),
    ...(decision.member && { member: { ...decision.member, version: final } }),
  };
}

/** Losers of a race spread out quickly, so a hot gathering spends its time committing rather than colliding. */
const backoff = (attempt: number) => fullJitter(attempt, 10, 1_000);

/**
 * Load → decide (pure) → commit under the version condition. A lost race reloads and decides again,
 * unless the caller pinned a version with If-Match (then it is a 412). Events get consecutive versions,
 * and each carries the gathering as it is at that version.
 */
export async function execute(
  deps: GatheringDeps,
  ctx: CommandContext,
  target: Target,
  decide: (state: State, at: string) => Decision,
  options: CommandOptions = {},
): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    // The root first, then every other item: an item read after the root is at least as new as it, so a
    // read straddling another commit shows up as an item newer than the root (caught below). Read in
    // parallel, a root newer than its member (a stale "ready" beside a root whose readyCount already
    // dropped) could be decided into an impossible state before the commit's conditions get to refuse it.
    // The price is one more round trip (a few ms); a TransactGetItems would cost none but twice the reads.
    const gathering = await loadGathering(deps.store, ctx, target.gatheringId);
    const member =
      target.participantId !== undefined
        ? await loadMember(deps.store, ctx, target.gatheringId, target.participantId)
        : undefined;
    if (options.ifMatch !== undefined && gathering.version !== options.ifMatch) {
      throw new PreconditionFailedError(
        `The gathering is at version ${gathering.version}, not ${options.ifMatch}; reload and retry`,
        { currentVersion: gathering.version },
      );
    }
    const state: State = { gathering, ...(member && { member }) };
    if (target.needsPresent?.(state)) state.present = await loadPresentMembers(deps.store, ctx, gathering.id);
    if (target.extra) Object.assign(state, await target.extra(state));

    // Reads of the root and of other items can straddle another commit: an item newer than the root we
    // read means our view mixes two states. Deciding on it could produce an impossible state, so reload.
    const read = readItems(state);
    const newest = Math.max(
      0,
      ...[...read.members.values(), ...read.invitations.values()].map((item) => item.version ?? 0),
    );
    if (newest > gathering.version) {
      if (attempt >= MAX_ATTEMPTS) throw new ConflictError("The gathering is too busy right now; retry", "busy");
      await backoff(attempt);
      continue;
    }
    const now = deps.clock.now();
    const decided = decide(state, now.toISOString());
    if (decided.steps.length === 0) {
      const about = decided.member ?? state.member;
      return {
        gathering,
        ...(about && { member: about }),
        ...(decided.invitations && { invitations: decided.invitations }),
        changed: false,
      };
    }
    const decision = stampVersions(decided, gathering.version);
    const outcome: Outcome = {
      gathering: decision.steps.at(-1)!.gathering,
      ...(decision.member && { member: decision.member }),
      ...(decision.invitations && { invitations: decision.invitations }),
      changed: true,
    };
    try {
      await commit(
        deps.store,
        [toCommitRequest(gathering, decision, read, ctx), ...(decision.also ?? [])],
        { now, eventRetentionSeconds: deps.eventRetentionSeconds, events: GATHERING_COMMIT_EVENTS },
        options.extraOps?.(outcome) ?? [],
      );
      return outcome;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (options.ifMatch !== undefined) {
        throw new PreconditionFailedError("The gathering changed while this request was applied; reload and retry");
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new ConflictError("The gathering is too busy right now; retry", "busy");
      }
      await backoff(attempt);
    }
  }
}
