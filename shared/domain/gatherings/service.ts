import {
  ConflictError,
  NotFoundError,
  UniqueConstraintError,
  ValidationError,
  type FieldIssue,
} from "../../kernel/errors.js";
import type { Actor } from "../../kernel/envelope.js";
import { GATHERING_COMMIT_EVENTS, type EventType } from "./events.js";
import { newId } from "../../kernel/ids.js";
import { sessionCreation, sessionEnding, newSession } from "../sessions/session.js";
import { SessionSchema } from "../sessions/model.js";
import { commit, type CommitRequest } from "../../store/commit.js";
import { aggregateRootKey, gatheringListKeys, joinCodeKey, MEMBER_SK_PREFIX } from "../../store/keys.js";
import type { Item, Page } from "../../store/store.js";
import {
  execute,
  gatheringFromItem,
  listGatheringItems,
  loadGathering,
  loadMember,
  memberFromItem,
  type CommandContext,
  type CommandOptions,
  type Decision,
  type GatheringDeps,
  type Outcome,
  type State,
  type Step,
} from "./executor.js";
import { MIN_APPOINTMENT_MESSAGE, MIN_APPOINTMENT_MS, newGathering } from "./gathering.js";
import type { Scope } from "../../kernel/tenancy.js";
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
import type {
  AddMemberBody,
  CreateGatheringBody,
  Gathering,
  GatheringStatus,
  GatheringType,
  JoinByCodeBody,
  Member,
  MemberStatus,
  StartGatheringBody,
  UpdateGatheringBody,
} from "./model.js";

export type { CommandContext, CommandOptions, GatheringDeps, Outcome } from "./executor.js";

const JOIN_CODE_ATTEMPTS = 5;

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
  const chosen = body.joinCode === undefined ? undefined : normalizeJoinCode(body.joinCode);
  if (body.joinCode !== undefined && !chosen) {
    throw new ValidationError("joinCode is not a join code", [
      { path: "joinCode", message: "must be 8 letters and digits without I, L, O or U, e.g. ABCD-1234" },
    ]);
  }
  for (let attempt = 1; ; attempt++) {
    const joinCode = chosen ?? (deps.joinCodes ?? generateJoinCode)();
    const gathering = newGathering(body, ctx, { id, joinCode }, now);
    const { version: _version, ...attributes } = gathering;
    try {
      await commit(
        deps.store,
        {
          aggregate: { type: "gathering", id, projectId: ctx.projectId, tenantId: ctx.tenantId },
          expectedVersion: 0,
          root: { ...attributes, kind: "gathering", ...gatheringListKeys(ctx, id) },
          uniques: [joinCodeMarker(joinCode, gathering)],
          events: [{ type: "gathering.created", data: { gathering }, actor: ctx.actor }],
        },
        { now, eventRetentionSeconds: deps.eventRetentionSeconds, events: GATHERING_COMMIT_EVENTS },
        options.extraOps?.({ gathering, changed: true }) ?? [],
      );
      return gathering;
    } catch (error) {
      if (error instanceof UniqueConstraintError && chosen) {
        throw new ConflictError(`The join code ${formatJoinCode(chosen)} is taken`, "join_code_taken");
      }
      // A generated code colliding (one in ~10^12 per pair) is retried with a fresh one.
      if (error instanceof UniqueConstraintError && attempt < JOIN_CODE_ATTEMPTS) continue;
      throw error;
    }
  }
}

function joinCodeMarker(canonicalCode: string, gathering: Gathering): Item {
  return {
    ...joinCodeKey(canonicalCode),
    kind: "joinCode",
    tenantId: gathering.tenantId,
    projectId: gathering.projectId,
    gatheringId: gathering.id,
  };
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
  const keys = gatheringListKeys(scope, "");
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
    if (
      (body.startsAt !== undefined || body.endsAt !== undefined) &&
      next.startsAt &&
      next.endsAt &&
      Date.parse(next.endsAt) - Date.parse(next.startsAt) < MIN_APPOINTMENT_MS
    )
      issues.push({ path: "endsAt", message: MIN_APPOINTMENT_MESSAGE });
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
      // A moved appointment is a new revision of the same calendar event (same UID, SEQUENCE + 1).
      if (gathering.type === "appointment" && (changes.includes("startsAt") || changes.includes("endsAt"))) {
        next.calendarSequence = (gathering.calendarSequence ?? 0) + 1;
      }
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
        const item = await deps.store.get(aggregateRootKey("session", ctx, gathering.sessionId));
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
  // Codes are unique across the deployment; a code of another tenant or project is as unknown as no code at all.
  if (!marker || marker.tenantId !== ctx.tenantId || marker.projectId !== ctx.projectId) {
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
  return listGatheringItems(deps.store, scope, gatheringId, MEMBER_SK_PREFIX, memberFromItem, filters, page);
}
