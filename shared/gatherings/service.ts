import {
  ConflictError,
  NotFoundError,
  PreconditionFailedError,
  UniqueConstraintError,
  ValidationError,
  VersionConflictError,
  type FieldIssue,
} from "../errors.js";
import type { Actor } from "../events/envelope.js";
import type { EventType } from "../events/catalog.js";
import { isId, newId } from "../ids.js";
import type { Clock } from "../platform/clock.js";
import { sessionCreation, sessionEnding, newSession } from "../sessions/session.js";
import { SessionSchema, type Session } from "../sessions/model.js";
import { commit, type CommitRequest } from "../store/commit.js";
import {
  aggregateRootKey,
  gatheringListKeys,
  joinCodeKey,
  MEMBER_SK_PREFIX,
  memberKey,
  aggregatePk,
  type ItemKey,
} from "../store/keys.js";
import type { Item, Page, Store, WriteOp } from "../store/store.js";
import { newGathering, type Scope } from "./gathering.js";
import { formatJoinCode, generateJoinCode, normalizeJoinCode } from "./join-code.js";
import { applyLifecycle, assertCanPerform } from "./lifecycle.js";
import {
  applyMemberStatus,
  autoStartDue,
  isPresent,
  memberTransition,
  newMember,
  successor,
  targetStatus,
  type MemberAction,
} from "./members.js";
import {
  GatheringSchema,
  MemberSchema,
  type AddMemberBody,
  type CreateGatheringBody,
  type Gathering,
  type GatheringStatus,
  type GatheringType,
  type JoinByCodeBody,
  type Member,
  type MemberStatus,
  type StartGatheringBody,
  type UpdateGatheringBody,
} from "./model.js";

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

/** What a command produced: the gathering (and member) after it, and whether anything changed. */
export interface Outcome {
  gathering: Gathering;
  member?: Member;
  changed: boolean;
}

export interface CommandOptions {
  /** The version the caller last saw (If-Match); a mismatch is a 412 and nothing is retried. */
  ifMatch?: number;
  /** Writes that must happen in the same transaction as the command (e.g. the idempotency record). */
  extraOps?: (outcome: Outcome) => WriteOp[];
}

const JOIN_CODE_ATTEMPTS = 5;
/** Commands on a busy gathering reload and retry when another writer got there first. */
const MAX_ATTEMPTS = 60;

// ── Loading ────────────────────────────────────────────────────────────────────────────────────────────

function gatheringFromItem(item: Item): Gathering {
  // Items written before a field existed get its default.
  return GatheringSchema.parse({ ownerId: null, memberCount: 0, readyCount: 0, ...item });
}

function memberFromItem(item: Item): Member {
  return MemberSchema.parse(item);
}

async function loadGathering(store: Store, scope: Scope, id: string): Promise<Gathering> {
  if (!isId("gathering", id)) throw new NotFoundError(`gathering ${id} not found`);
  const item = await store.get(aggregateRootKey("gathering", scope.projectId, id), { consistent: true });
  if (!item) throw new NotFoundError(`gathering ${id} not found`);
  return gatheringFromItem(item);
}

async function loadMember(store: Store, scope: Scope, gatheringId: string, participantId: string) {
  const item = await store.get(memberKey(scope.projectId, gatheringId, participantId), { consistent: true });
  return item ? memberFromItem(item) : undefined;
}

async function loadPresentMembers(store: Store, scope: Scope, gatheringId: string): Promise<Member[]> {
  const present: Member[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query({
      pk: aggregatePk("gathering", scope.projectId, gatheringId),
      beginsWith: MEMBER_SK_PREFIX,
      consistent: true,
      limit: 500,
      ...(cursor && { cursor }),
    });
    present.push(...page.items.map(memberFromItem).filter((m) => isPresent(m.status)));
    cursor = page.nextCursor;
  } while (cursor);
  return present;
}

// ── The executor ───────────────────────────────────────────────────────────────────────────────────────

/** One event of a decision, with the gathering as it is after that event. */
interface Step {
  type: EventType;
  gathering: Gathering;
  member?: Member;
  data?: Record<string, unknown>;
  /** Who caused this step, when not the caller (e.g. the ready-check starting a lobby). */
  actor?: Actor;
}

interface Decision {
  steps: Step[];
  /** The member the command is about, as it ends up. */
  member?: Member;
  memberPuts?: Member[];
  memberDeletes?: string[];
  uniques?: Item[];
  releases?: ItemKey[];
  /** Other aggregates written in the same transaction (e.g. the session a start creates). */
  also?: CommitRequest[];
}

interface State {
  gathering: Gathering;
  member?: Member;
  /** Loaded only when ownership may move. */
  present?: Member[];
  /** The gathering's session, loaded when it ends with the gathering. */
  session?: Session;
  /** The current owner's member item, loaded when ownership is transferred. */
  previousOwner?: Member;
}

interface Target {
  gatheringId: string;
  participantId?: string;
  /** Whether the decision needs the present members (ownership succession). */
  needsPresent?: (state: State) => boolean;
  /** Loads more state the decision needs (e.g. the session a gathering ends). */
  extra?: (state: State) => Promise<Pick<State, "session" | "previousOwner">>;
}

function toCommitRequest(base: Gathering, decision: Decision, ctx: CommandContext): CommitRequest {
  const final = decision.steps.at(-1)!.gathering;
  const { version: _version, ...attributes } = final;
  return {
    aggregate: { type: "gathering", id: base.id, projectId: base.projectId, tenantId: base.tenantId },
    expectedVersion: base.version,
    root: { ...attributes, kind: "gathering", ...gatheringListKeys(base.projectId, base.id) },
    puts: (decision.memberPuts ?? []).map((m) => ({
      item: { ...m, ...memberKey(base.projectId, base.id, m.participantId), kind: "member" },
    })),
    deletes: (decision.memberDeletes ?? []).map((p) => memberKey(base.projectId, base.id, p)),
    ...(decision.uniques && { uniques: decision.uniques }),
    ...(decision.releases && { releases: decision.releases }),
    events: decision.steps.map((step) => ({
      type: step.type,
      data: { gathering: step.gathering, ...(step.member && { member: step.member }), ...step.data },
      actor: step.actor ?? ctx.actor,
    })),
  };
}

/**
 * "Full jitter" exponential backoff: losers of a race spread out quickly, so a hot gathering spends its
 * time committing rather than colliding.
 */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(10 * 2 ** attempt, 1_000);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Load → decide (pure) → commit under the version condition. A lost race reloads and decides again,
 * unless the caller pinned a version with If-Match (then it is a 412). Events get consecutive versions,
 * and each carries the gathering as it is at that version.
 */
async function execute(
  deps: GatheringDeps,
  ctx: CommandContext,
  target: Target,
  decide: (state: State, at: string) => Decision,
  options: CommandOptions = {},
): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    const gathering = await loadGathering(deps.store, ctx, target.gatheringId);
    if (options.ifMatch !== undefined && gathering.version !== options.ifMatch) {
      throw new PreconditionFailedError(
        `The gathering is at version ${gathering.version}, not ${options.ifMatch}; reload and retry`,
        { currentVersion: gathering.version },
      );
    }
    const state: State = { gathering };
    if (target.participantId !== undefined) {
      const member = await loadMember(deps.store, ctx, gathering.id, target.participantId);
      if (member) state.member = member;
    }
    if (target.needsPresent?.(state)) state.present = await loadPresentMembers(deps.store, ctx, gathering.id);
    if (target.extra) Object.assign(state, await target.extra(state));

    const now = deps.clock.now();
    const decision = decide(state, now.toISOString());
    if (decision.steps.length === 0) {
      return {
        gathering,
        ...((decision.member ?? state.member) && { member: decision.member ?? state.member }),
        changed: false,
      };
    }
    decision.steps.forEach((step, i) => (step.gathering = { ...step.gathering, version: gathering.version + i + 1 }));
    const outcome: Outcome = {
      gathering: decision.steps.at(-1)!.gathering,
      ...(decision.member && { member: decision.member }),
      changed: true,
    };
    try {
      await commit(
        deps.store,
        [toCommitRequest(gathering, decision, ctx), ...(decision.also ?? [])],
        { now, eventRetentionSeconds: deps.eventRetentionSeconds },
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

// ── Decisions shared by several commands ─────────────────────────────────────────────────────────────────

/** Starting: the lifecycle step and, when asked, the session it creates (in the same transaction). */
function startDecision(
  gathering: Gathering,
  ctx: CommandContext,
  at: string,
  options: { roomId?: string; autoStartSession?: boolean },
): { step: Step; also: CommitRequest[] } {
  assertCanPerform(gathering, "start");
  let started = applyLifecycle(gathering, "start", at);
  if (options.roomId !== undefined) started = { ...started, roomId: options.roomId };
  const also: CommitRequest[] = [];
  if (options.autoStartSession ?? gathering.autoStartSession) {
    const session = newSession({
      id: newId("session", Date.parse(at)),
      tenantId: gathering.tenantId,
      projectId: gathering.projectId,
      externalRoomId: started.roomId ?? gathering.id,
      title: gathering.name,
      gatheringId: gathering.id,
      createdBy: ctx.actor.id,
      at,
    });
    started = { ...started, sessionId: session.id };
    also.push(sessionCreation(session, ctx.actor));
  }
  return {
    step: {
      type: "gathering.started",
      gathering: started,
      ...(started.sessionId && { data: { sessionId: started.sessionId } }),
    },
    also,
  };
}

/** After a member change: the lobby's ready-check may start it (exactly once: same transaction). */
function maybeAutoStart(
  gathering: Gathering,
  ctx: CommandContext,
  at: string,
): { steps: Step[]; also: CommitRequest[] } {
  if (!autoStartDue(gathering)) return { steps: [], also: [] };
  const actor: Actor = { type: "system", id: "ready-check" };
  const { step, also } = startDecision(gathering, { ...ctx, actor }, at, {});
  return { steps: [{ ...step, actor }], also };
}

/** When the owner stops being present: the longest-present member inherits ownership. */
function succession(
  gathering: Gathering,
  leaving: Member,
  present: Member[],
  reason: "owner_left" | "owner_removed",
  at: string,
): { step?: Step; puts: Member[] } {
  if (gathering.ownerId !== leaving.participantId) return { puts: [] };
  const heir = successor(present, leaving.participantId);
  const next: Gathering = { ...gathering, ownerId: heir?.participantId ?? null, updatedAt: at };
  const puts = heir ? [{ ...heir, role: "owner" as const, updatedAt: at }] : [];
  return {
    step: {
      type: "gathering.owner.changed",
      gathering: next,
      data: { previousOwnerId: leaving.participantId, ownerId: next.ownerId, reason },
    },
    puts,
  };
}

const MEMBER_EVENT: Record<MemberAction, EventType> = {
  join: "gathering.member.joined",
  ready: "gathering.member.ready",
  unready: "gathering.member.unready",
  leave: "gathering.member.left",
};

/** A member becoming present (added, joining by code, rejoining), with first-member ownership. */
function joinDecision(
  state: State,
  ctx: CommandContext,
  at: string,
  input: { participantId: string; displayName?: string; role?: "owner" | "member" },
): Decision {
  const { gathering } = state;
  assertCanPerform(gathering, "changeMembers");
  if (input.role === "owner" && gathering.ownerId !== null && gathering.ownerId !== input.participantId) {
    throw new ConflictError(
      `The gathering already has an owner (${gathering.ownerId}); transfer ownership instead`,
      "owner_exists",
    );
  }
  let member = state.member ?? newMember(gathering.id, input.participantId, "member", "left", at, input.displayName);
  if (state.member && isPresent(state.member.status)) return { steps: [], member: state.member };
  if (state.member) memberTransition(state.member, "join");
  if (input.displayName !== undefined) member = { ...member, displayName: input.displayName };
  const applied = applyMemberStatus(gathering, member, "joined", at);
  let next = applied.gathering;
  member = applied.member;
  const steps: Step[] = [];
  const becomesOwner = next.ownerId === null;
  if (becomesOwner) member = { ...member, role: "owner" };
  steps.push({ type: "gathering.member.joined", gathering: next, member });
  if (becomesOwner) {
    next = { ...next, ownerId: member.participantId };
    steps.push({
      type: "gathering.owner.changed",
      gathering: next,
      data: { previousOwnerId: null, ownerId: member.participantId, reason: "first_member" },
    });
  }
  const auto = maybeAutoStart(next, ctx, at);
  return { steps: [...steps, ...auto.steps], member, memberPuts: [member], also: auto.also };
}

// ── Commands ─────────────────────────────────────────────────────────────────────────────────────────────

export async function createGathering(
  deps: GatheringDeps,
  ctx: CommandContext,
  body: CreateGatheringBody,
  options: CommandOptions = {},
): Promise<Gathering> {
  const now = deps.clock.now();
  const id = newId("gathering", now.getTime());
  for (let attempt = 1; ; attempt++) {
    const joinCode = (deps.joinCodes ?? generateJoinCode)();
    const gathering = newGathering(body, ctx, { id, joinCode }, now);
    const { version: _version, ...attributes } = gathering;
    try {
      await commit(
        deps.store,
        {
          aggregate: { type: "gathering", id, projectId: ctx.projectId, tenantId: ctx.tenantId },
          expectedVersion: 0,
          root: { ...attributes, kind: "gathering", ...gatheringListKeys(ctx.projectId, id) },
          uniques: [joinCodeMarker(joinCode, gathering)],
          events: [{ type: "gathering.created", data: { gathering }, actor: ctx.actor }],
        },
        { now, eventRetentionSeconds: deps.eventRetentionSeconds },
        options.extraOps?.({ gathering, changed: true }) ?? [],
      );
      return gathering;
    } catch (error) {
      // A join-code collision (one in ~10^12 per pair) is retried with a fresh code.
      if (error instanceof UniqueConstraintError && attempt < JOIN_CODE_ATTEMPTS) continue;
      throw error;
    }
  }
}

function joinCodeMarker(canonicalCode: string, gathering: Gathering): Item {
  return { ...joinCodeKey(canonicalCode), kind: "joinCode", projectId: gathering.projectId, gatheringId: gathering.id };
}

export async function getGathering(deps: Pick<GatheringDeps, "store">, scope: Scope, id: string): Promise<Gathering> {
  return loadGathering(deps.store, scope, id);
}

export interface GatheringFilters {
  type?: GatheringType;
  status?: GatheringStatus;
  listed?: boolean;
}

/** A project's gatherings, newest first, filtered, one page at a time. */
export async function listGatherings(
  deps: Pick<GatheringDeps, "store">,
  scope: Scope,
  filters: GatheringFilters,
  page: { limit?: number; cursor?: string },
): Promise<Page<Gathering>> {
  const keys = gatheringListKeys(scope.projectId, "");
  const result = await deps.store.query({
    pk: keys.GSI1PK,
    index: "GSI1",
    descending: true,
    limit: page.limit ?? 50,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    filter: Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
  });
  return { items: result.items.map(gatheringFromItem), ...(result.nextCursor && { nextCursor: result.nextCursor }) };
}

function updateIssues(current: Gathering, next: Gathering, body: UpdateGatheringBody, now: Date): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (current.type !== "appointment") {
    for (const field of ["startsAt", "endsAt"] as const)
      if (body[field] !== undefined) issues.push({ path: field, message: "is only allowed for an appointment" });
  } else {
    if (body.startsAt !== undefined && body.startsAt !== current.startsAt && Date.parse(body.startsAt) <= now.getTime())
      issues.push({ path: "startsAt", message: "must be in the future" });
    if (next.startsAt && next.endsAt && Date.parse(next.endsAt) <= Date.parse(next.startsAt))
      issues.push({ path: "endsAt", message: "must be after startsAt" });
    if (body.maxMembers !== undefined && body.maxMembers !== null)
      issues.push({ path: "maxMembers", message: "is only allowed for a lobby or an open gathering" });
  }
  if (body.autoStart !== undefined && body.autoStart !== null && current.type !== "lobby")
    issues.push({ path: "autoStart", message: "is only allowed for a lobby" });
  if (body.autoStartSession !== undefined && current.type === "open")
    issues.push({ path: "autoStartSession", message: "is not allowed for an open gathering" });
  return issues;
}

export async function updateGathering(
  deps: GatheringDeps,
  ctx: CommandContext,
  id: string,
  body: UpdateGatheringBody,
  options: CommandOptions = {},
): Promise<Outcome> {
  return execute(
    deps,
    ctx,
    { gatheringId: id },
    ({ gathering }, at) => {
      assertCanPerform(gathering, "update");
      const next: Gathering = { ...gathering };
      const changes: string[] = [];
      for (const [field, value] of Object.entries(body) as Array<[keyof UpdateGatheringBody, unknown]>) {
        if (JSON.stringify(gathering[field]) === JSON.stringify(value ?? undefined)) continue;
        changes.push(field);
        if (value === null) delete (next as Record<string, unknown>)[field];
        else (next as Record<string, unknown>)[field] = value;
      }
      const issues = updateIssues(gathering, next, body, new Date(at));
      if (issues.length > 0) throw new ValidationError("The change is not valid for this gathering", issues);
      if (next.maxMembers !== undefined && next.maxMembers < gathering.memberCount) {
        throw new ConflictError(
          `maxMembers ${next.maxMembers} is below the ${gathering.memberCount} members present`,
          "below_member_count",
        );
      }
      if (changes.length === 0) return { steps: [] };
      next.updatedAt = at;
      const auto = maybeAutoStart(next, ctx, at);
      return {
        steps: [{ type: "gathering.updated", gathering: next, data: { changes } }, ...auto.steps],
        also: auto.also,
      };
    },
    options,
  );
}

export async function startGathering(
  deps: GatheringDeps,
  ctx: CommandContext,
  id: string,
  body: StartGatheringBody,
  options: CommandOptions = {},
): Promise<Outcome> {
  return execute(
    deps,
    ctx,
    { gatheringId: id },
    ({ gathering }, at) => {
      const { step, also } = startDecision(gathering, ctx, at, body);
      return { steps: [step], also };
    },
    options,
  );
}

/** Ending or cancelling also ends the gathering's active session, in the same transaction. */
async function close(
  deps: GatheringDeps,
  ctx: CommandContext,
  id: string,
  action: "end" | "cancel",
  options: CommandOptions,
): Promise<Outcome> {
  return execute(
    deps,
    ctx,
    {
      gatheringId: id,
      extra: async ({ gathering }) => {
        if (!gathering.sessionId) return {};
        const item = await deps.store.get(aggregateRootKey("session", ctx.projectId, gathering.sessionId));
        return item ? { session: SessionSchema.parse(item) } : {};
      },
    },
    ({ gathering, session }, at) => {
      assertCanPerform(gathering, action);
      const closed = applyLifecycle(gathering, action, at);
      const also = session?.status === "active" ? [sessionEnding(session, ctx.actor, at)] : [];
      return {
        steps: [{ type: action === "end" ? "gathering.ended" : "gathering.cancelled", gathering: closed }],
        also,
      };
    },
    options,
  );
}

export const endGathering = (deps: GatheringDeps, ctx: CommandContext, id: string, options: CommandOptions = {}) =>
  close(deps, ctx, id, "end", options);

export const cancelGathering = (deps: GatheringDeps, ctx: CommandContext, id: string, options: CommandOptions = {}) =>
  close(deps, ctx, id, "cancel", options);

/** A new join code; the old one is released in the same transaction and stops resolving. */
export async function regenerateJoinCode(
  deps: GatheringDeps,
  ctx: CommandContext,
  id: string,
  options: CommandOptions = {},
): Promise<Outcome> {
  for (let attempt = 1; ; attempt++) {
    const code = (deps.joinCodes ?? generateJoinCode)();
    try {
      return await execute(
        deps,
        ctx,
        { gatheringId: id },
        ({ gathering }, at) => {
          assertCanPerform(gathering, "regenerateJoinCode");
          const next: Gathering = { ...gathering, joinCode: formatJoinCode(code), updatedAt: at };
          return {
            steps: [{ type: "gathering.updated", gathering: next, data: { changes: ["joinCode"] } }],
            uniques: [joinCodeMarker(code, next)],
            releases: [joinCodeKey(normalizeJoinCode(gathering.joinCode)!)],
          };
        },
        options,
      );
    } catch (error) {
      if (error instanceof UniqueConstraintError && attempt < JOIN_CODE_ATTEMPTS) continue;
      throw error;
    }
  }
}

export async function addMember(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  body: AddMemberBody,
  options: CommandOptions = {},
): Promise<Outcome> {
  return execute(
    deps,
    ctx,
    { gatheringId, participantId: body.participantId },
    (state, at) => joinDecision(state, ctx, at, body),
    options,
  );
}

/** Resolves a join code (forgiving about case, hyphens, spaces and look-alikes) and joins. */
export async function joinByCode(
  deps: GatheringDeps,
  ctx: CommandContext,
  body: JoinByCodeBody,
  options: CommandOptions = {},
): Promise<Outcome> {
  const code = normalizeJoinCode(body.joinCode);
  if (!code) {
    throw new ValidationError("joinCode is not a join code (8 letters and digits, e.g. ABCD-1234)", [
      { path: "joinCode", message: "is not a join code (8 letters and digits, e.g. ABCD-1234)" },
    ]);
  }
  const marker = await deps.store.get(joinCodeKey(code), { consistent: true });
  // Codes are unique across the deployment; a code of another project is as unknown as no code at all.
  if (!marker || marker.projectId !== ctx.projectId) {
    throw new NotFoundError(`No gathering has the join code ${formatJoinCode(code)}`, "join_code_not_found");
  }
  return execute(
    deps,
    ctx,
    { gatheringId: String(marker.gatheringId), participantId: body.participantId },
    (state, at) => joinDecision(state, ctx, at, body),
    options,
  );
}

function requireMember(state: State, participantId: string): Member {
  if (!state.member) throw new NotFoundError(`participant ${participantId} is not a member of this gathering`);
  return state.member;
}

/** A member's own transition: join (from invited or left), ready, unready, leave. */
export async function changeMemberStatus(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  participantId: string,
  action: MemberAction,
  options: CommandOptions = {},
): Promise<Outcome> {
  if (action === "join") return addMember(deps, ctx, gatheringId, { participantId }, options);
  return execute(
    deps,
    ctx,
    {
      gatheringId,
      participantId,
      needsPresent: ({ gathering }) => action === "leave" && gathering.ownerId === participantId,
    },
    (state, at) => {
      assertCanPerform(state.gathering, "changeMembers");
      const current = requireMember(state, participantId);
      if (memberTransition(current, action) === "noop") return { steps: [], member: current };
      const applied = applyMemberStatus(state.gathering, current, targetStatus(action), at);
      let member = applied.member;
      const steps: Step[] = [{ type: MEMBER_EVENT[action], gathering: applied.gathering, member }];
      const puts: Member[] = [];
      let next = applied.gathering;
      if (action === "leave") {
        const heir = succession(next, current, state.present ?? [], "owner_left", at);
        if (heir.step) {
          member = { ...member, role: "member" };
          steps[0] = { ...steps[0]!, member };
          steps.push(heir.step);
          next = heir.step.gathering;
          puts.push(...heir.puts);
        }
      }
      const auto = maybeAutoStart(next, ctx, at);
      return { steps: [...steps, ...auto.steps], member, memberPuts: [member, ...puts], also: auto.also };
    },
    options,
  );
}

/** Removes a member (the host's action); ownership moves on if it was the owner. */
export async function removeMember(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  participantId: string,
  options: CommandOptions = {},
): Promise<Outcome> {
  return execute(
    deps,
    ctx,
    { gatheringId, participantId, needsPresent: ({ gathering }) => gathering.ownerId === participantId },
    (state, at) => {
      assertCanPerform(state.gathering, "changeMembers");
      const current = requireMember(state, participantId);
      const left: MemberStatus = "left";
      const applied = applyMemberStatus(state.gathering, current, left, at);
      const removed = { ...applied.member, role: "member" as const };
      const steps: Step[] = [{ type: "gathering.member.removed", gathering: applied.gathering, member: removed }];
      const heir = succession(applied.gathering, current, state.present ?? [], "owner_removed", at);
      if (heir.step) steps.push(heir.step);
      const auto = maybeAutoStart(steps.at(-1)!.gathering, ctx, at);
      return {
        steps: [...steps, ...auto.steps],
        member: removed,
        memberDeletes: [participantId],
        memberPuts: heir.puts,
        also: auto.also,
      };
    },
    options,
  );
}

export async function transferOwnership(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  participantId: string,
  options: CommandOptions = {},
): Promise<Outcome> {
  return execute(
    deps,
    ctx,
    {
      gatheringId,
      participantId,
      extra: async ({ gathering }) => {
        if (gathering.ownerId === null || gathering.ownerId === participantId) return {};
        const previousOwner = await loadMember(deps.store, ctx, gathering.id, gathering.ownerId);
        return previousOwner ? { previousOwner } : {};
      },
    },
    (state, at) => {
      const { gathering } = state;
      assertCanPerform(gathering, "changeMembers");
      const heir = requireMember(state, participantId);
      if (!isPresent(heir.status)) {
        throw new ConflictError(
          `participant ${participantId} is ${heir.status}; only a present member can own`,
          "not_present",
        );
      }
      if (gathering.ownerId === participantId) return { steps: [], member: heir };
      const newOwner: Member = { ...heir, role: "owner", updatedAt: at };
      const next: Gathering = { ...gathering, ownerId: participantId, updatedAt: at };
      // The previous owner's member item loses its role in the same transaction.
      const puts = [newOwner];
      if (state.previousOwner) puts.push({ ...state.previousOwner, role: "member", updatedAt: at });
      return {
        steps: [
          {
            type: "gathering.owner.changed",
            gathering: next,
            data: { previousOwnerId: gathering.ownerId, ownerId: participantId, reason: "transferred" },
          },
        ],
        member: newOwner,
        memberPuts: puts,
      };
    },
    options,
  );
}

export async function getMember(
  deps: Pick<GatheringDeps, "store">,
  scope: Scope,
  gatheringId: string,
  participantId: string,
): Promise<Member> {
  await loadGathering(deps.store, scope, gatheringId);
  const member = await loadMember(deps.store, scope, gatheringId, participantId);
  if (!member) throw new NotFoundError(`participant ${participantId} is not a member of this gathering`);
  return member;
}

export async function listMembers(
  deps: Pick<GatheringDeps, "store">,
  scope: Scope,
  gatheringId: string,
  filters: { status?: MemberStatus },
  page: { limit?: number; cursor?: string },
): Promise<Page<Member>> {
  await loadGathering(deps.store, scope, gatheringId);
  const result = await deps.store.query({
    pk: aggregatePk("gathering", scope.projectId, gatheringId),
    beginsWith: MEMBER_SK_PREFIX,
    consistent: true,
    limit: page.limit ?? 50,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    ...(filters.status && { filter: { status: filters.status } }),
  });
  return { items: result.items.map(memberFromItem), ...(result.nextCursor && { nextCursor: result.nextCursor }) };
}
