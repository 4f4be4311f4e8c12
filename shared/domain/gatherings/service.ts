import { ConflictError, NotFoundError, UniqueConstraintError, ValidationError } from "../../kernel/errors.js";
import { GATHERING_COMMIT_EVENTS } from "./events.js";
import { newId } from "../../kernel/ids.js";
import { SessionSchema } from "../sessions/model.js";
import { commit } from "../../store/commit.js";
import { aggregateRootKey, gatheringListKeys, joinCodeKey, MEMBER_SK_PREFIX } from "../../store/keys.js";
import type { Page } from "../../store/store.js";
import {
  execute,
  gatheringFromItem,
  listGatheringItems,
  loadGathering,
  loadMember,
  memberFromItem,
  type CommandContext,
  type CommandOptions,
  type GatheringDeps,
  type Outcome,
} from "./executor.js";
import {
  decideCancel,
  decideCreate,
  decideEnd,
  decideJoin,
  decideMemberAction,
  decideRegenerateJoinCode,
  decideRemove,
  decideStart,
  decideTransfer,
  decideUpdate,
} from "./decisions.js";
import type { Scope } from "../../kernel/tenancy.js";
import { formatJoinCode, generateJoinCode, normalizeJoinCode } from "./join-code.js";
import type { MemberAction } from "./members.js";
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

/**
 * The gathering commands: each names what it reads (the target) and hands a pure decision of
 * `decisions.ts` to the executor, which loads, decides, stamps versions and commits.
 */
export type { CommandContext, CommandOptions, GatheringDeps, Outcome } from "./executor.js";

const JOIN_CODE_ATTEMPTS = 5;

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
    const { gathering, uniques } = decideCreate(ctx, { body, id, joinCode }, now.toISOString());
    const { version: _version, ...attributes } = gathering;
    try {
      await commit(
        deps.store,
        {
          aggregate: { type: "gathering", id, projectId: ctx.projectId, tenantId: ctx.tenantId },
          expectedVersion: 0,
          root: { ...attributes, kind: "gathering", ...gatheringListKeys(ctx, id) },
          uniques,
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

export async function updateGathering(
  deps: GatheringDeps,
  ctx: CommandContext,
  id: string,
  body: UpdateGatheringBody,
  options: CommandOptions = {},
): Promise<Outcome> {
  return execute(deps, ctx, { gatheringId: id }, (state, at) => decideUpdate(state, body, at), options);
}

export async function startGathering(
  deps: GatheringDeps,
  ctx: CommandContext,
  id: string,
  body: StartGatheringBody,
  options: CommandOptions = {},
): Promise<Outcome> {
  const input = { ...body, actor: ctx.actor };
  return execute(deps, ctx, { gatheringId: id }, (state, at) => decideStart(state, input, at), options);
}

/** Ending or cancelling loads the gathering's session, so the decision can end it in the same transaction. */
function closeTarget(deps: GatheringDeps, ctx: CommandContext, id: string) {
  return {
    gatheringId: id,
    extra: async ({ gathering }: { gathering: Gathering }) => {
      if (!gathering.sessionId) return {};
      const item = await deps.store.get(aggregateRootKey("session", ctx, gathering.sessionId));
      return item ? { session: SessionSchema.parse(item) } : {};
    },
  };
}

export const endGathering = (deps: GatheringDeps, ctx: CommandContext, id: string, options: CommandOptions = {}) =>
  execute(deps, ctx, closeTarget(deps, ctx, id), (state, at) => decideEnd(state, ctx, at), options);

export const cancelGathering = (deps: GatheringDeps, ctx: CommandContext, id: string, options: CommandOptions = {}) =>
  execute(deps, ctx, closeTarget(deps, ctx, id), (state, at) => decideCancel(state, ctx, at), options);

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
        (state, at) => decideRegenerateJoinCode(state, { code }, at),
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
  const target = { gatheringId, participantId: body.participantId };
  return execute(deps, ctx, target, (state, at) => decideJoin(state, body, at), options);
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
  const target = { gatheringId: String(marker.gatheringId), participantId: body.participantId };
  return execute(deps, ctx, target, (state, at) => decideJoin(state, body, at), options);
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
      // A leaving owner hands ownership on: succession needs the present members.
      needsPresent: ({ gathering }) => action === "leave" && gathering.ownerId === participantId,
    },
    (state, at) => decideMemberAction(state, { participantId, action }, at),
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
    (state, at) => decideRemove(state, { participantId }, at),
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
      // The previous owner's member item loses its role in the same transaction.
      extra: async ({ gathering }) => {
        if (gathering.ownerId === null || gathering.ownerId === participantId) return {};
        const previousOwner = await loadMember(deps.store, ctx, gathering.id, gathering.ownerId);
        return previousOwner ? { previousOwner } : {};
      },
    },
    (state, at) => decideTransfer(state, { participantId }, at),
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
