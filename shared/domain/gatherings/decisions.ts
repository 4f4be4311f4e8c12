import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from "../../kernel/errors.js";
import type { Actor } from "../../kernel/envelope.js";
import { newId } from "../../kernel/ids.js";
import type { Scope } from "../../kernel/tenancy.js";
import type { CommitRequest } from "../../store/commit.js";
import { joinCodeKey, type ItemKey } from "../../store/keys.js";
import type { Item } from "../../store/store.js";
import type { Session } from "../sessions/model.js";
import { newSession, sessionCreation, sessionEnding } from "../sessions/session.js";
import type { EventType } from "./events.js";
import { MIN_APPOINTMENT_MESSAGE, MIN_APPOINTMENT_MS, newGathering } from "./gathering.js";
import type { Invitation } from "./invitation-model.js";
import { formatJoinCode, normalizeJoinCode } from "./join-code.js";
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
import type { CreateGatheringBody, Gathering, Member, StartGatheringBody, UpdateGatheringBody } from "./model.js";

/**
 * The decisions of the gathering aggregate, pure: `(state, input, at) → Decision`. No I/O: the executor
 * loads the state, calls a decision, stamps versions and commits. A refused command throws (409, 404, 400)
 * and decides nothing; a command that changes nothing decides no steps.
 */

/** One event of a decision, with the gathering as it is after that event. */
export interface Step {
  type: EventType;
  gathering: Gathering;
  member?: Member;
  data?: Record<string, unknown>;
  invitation?: Invitation;
  /** Who caused this step, when not the caller (e.g. the ready-check starting a lobby). */
  actor?: Actor;
}

export interface Decision {
  steps: Step[];
  /** The member the command is about, as it ends up. */
  member?: Member;
  /** The invitations the command is about, as they end up. */
  invitations?: Invitation[];
  memberPuts?: Member[];
  memberDeletes?: string[];
  invitationPuts?: Invitation[];
  uniques?: Item[];
  releases?: ItemKey[];
  /** Other aggregates written in the same transaction (e.g. the session a start creates). */
  also?: CommitRequest[];
}

export interface State {
  gathering: Gathering;
  member?: Member;
  /** Loaded only when ownership may move. */
  present?: Member[];
  /** The gathering's session, loaded when it ends with the gathering. */
  session?: Session;
  /** The current owner's member item, loaded when ownership is transferred. */
  previousOwner?: Member;
  /** The gathering's invitations, loaded by invitation commands. */
  invitations?: Invitation[];
  /** Other members a command needs (e.g. the invitees of sendInvitations), by participant id. */
  members?: Map<string, Member>;
}

// ── Shared by several decisions ────────────────────────────────────────────────────────────────────────

/** The uniqueness marker of a join code (canonical form), naming the gathering that holds it. */
export function joinCodeMarker(canonicalCode: string, gathering: Gathering): Item {
  return {
    ...joinCodeKey(canonicalCode),
    kind: "joinCode",
    tenantId: gathering.tenantId,
    projectId: gathering.projectId,
    gatheringId: gathering.id,
  };
}

/** Starting: the lifecycle step and, when asked, the session it creates (in the same transaction). */
function startStep(
  gathering: Gathering,
  actor: Actor,
  at: string,
  options: StartGatheringBody,
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
      createdBy: actor.id,
      at,
    });
    started = { ...started, sessionId: session.id };
    also.push(sessionCreation(session, actor));
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

export const READY_CHECK: Actor = { type: "system", id: "ready-check" };

/** After a member change: the lobby's ready-check may start it (exactly once: same transaction). */
function maybeAutoStart(gathering: Gathering, at: string): { steps: Step[]; also: CommitRequest[] } {
  if (!autoStartDue(gathering)) return { steps: [], also: [] };
  const { step, also } = startStep(gathering, READY_CHECK, at, {});
  return { steps: [{ ...step, actor: READY_CHECK }], also };
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

function requireMember(state: State, participantId: string): Member {
  if (!state.member || state.member.participantId !== participantId) {
    throw new NotFoundError(`participant ${participantId} is not a member of this gathering`);
  }
  return state.member;
}

// ── The gathering ──────────────────────────────────────────────────────────────────────────────────────

/** A new gathering holding a join code (canonical form); its marker is created with it. */
export function decideCreate(
  scope: Scope,
  input: { body: CreateGatheringBody; id: string; joinCode: string },
  at: string,
): { gathering: Gathering; uniques: Item[] } {
  const gathering = newGathering(input.body, scope, { id: input.id, joinCode: input.joinCode }, new Date(at));
  return { gathering, uniques: [joinCodeMarker(input.joinCode, gathering)] };
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

/** A change of settings; `null` removes a field. A lobby whose rule now holds starts in the same decision. */
export function decideUpdate({ gathering }: State, body: UpdateGatheringBody, at: string): Decision {
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
  const auto = maybeAutoStart(next, at);
  return {
    steps: [{ type: "gathering.updated", gathering: next, data: { changes } }, ...auto.steps],
    also: auto.also,
  };
}

export function decideStart({ gathering }: State, input: StartGatheringBody & { actor: Actor }, at: string): Decision {
  const { actor, ...options } = input;
  const { step, also } = startStep(gathering, actor, at, options);
  return { steps: [step], also };
}

/** Ending or cancelling also ends the gathering's active session (in the same transaction). */
function decideClose(state: State, action: "end" | "cancel", actor: Actor, at: string): Decision {
  const { gathering, session } = state;
  assertCanPerform(gathering, action);
  const closed = applyLifecycle(gathering, action, at);
  const ending = session && sessionEnding(session, actor, at);
  const also = ending ? [ending] : [];
  return { steps: [{ type: action === "end" ? "gathering.ended" : "gathering.cancelled", gathering: closed }], also };
}

export const decideEnd = (state: State, input: { actor: Actor }, at: string): Decision =>
  decideClose(state, "end", input.actor, at);

export const decideCancel = (state: State, input: { actor: Actor }, at: string): Decision =>
  decideClose(state, "cancel", input.actor, at);

/** A new join code (canonical form); the old one's marker is released in the same transaction. */
export function decideRegenerateJoinCode({ gathering }: State, input: { code: string }, at: string): Decision {
  assertCanPerform(gathering, "regenerateJoinCode");
  const next: Gathering = { ...gathering, joinCode: formatJoinCode(input.code), updatedAt: at };
  return {
    steps: [{ type: "gathering.updated", gathering: next, data: { changes: ["joinCode"] } }],
    uniques: [joinCodeMarker(input.code, next)],
    releases: [joinCodeKey(normalizeJoinCode(gathering.joinCode)!)],
  };
}

// ── Members ────────────────────────────────────────────────────────────────────────────────────────────

const MEMBER_EVENT: Record<MemberAction, EventType> = {
  join: "gathering.member.joined",
  ready: "gathering.member.ready",
  unready: "gathering.member.unready",
  leave: "gathering.member.left",
};

/** A member becoming present (added, joining by code, rejoining), with first-member ownership. */
export function decideJoin(
  state: State,
  input: { participantId: string; displayName?: string; role?: "owner" | "member" },
  at: string,
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
  const auto = maybeAutoStart(next, at);
  return { steps: [...steps, ...auto.steps], member, memberPuts: [member], also: auto.also };
}

/**
 * A member's own transition: join (from invited or left), ready, unready, leave. Leaving as the owner
 * hands ownership on (state.present must then hold the present members); the last ready may start a lobby.
 */
export function decideMemberAction(
  state: State,
  input: { participantId: string; action: MemberAction },
  at: string,
): Decision {
  const { participantId, action } = input;
  if (action === "join") return decideJoin(state, { participantId }, at);
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
  const auto = maybeAutoStart(next, at);
  return { steps: [...steps, ...auto.steps], member, memberPuts: [member, ...puts], also: auto.also };
}

export const decideReady = (state: State, input: { participantId: string }, at: string) =>
  decideMemberAction(state, { ...input, action: "ready" }, at);
export const decideUnready = (state: State, input: { participantId: string }, at: string) =>
  decideMemberAction(state, { ...input, action: "unready" }, at);
export const decideLeave = (state: State, input: { participantId: string }, at: string) =>
  decideMemberAction(state, { ...input, action: "leave" }, at);

/** The host removes a member (its item is deleted); ownership moves on if it was the owner. */
export function decideRemove(state: State, input: { participantId: string }, at: string): Decision {
  assertCanPerform(state.gathering, "changeMembers");
  const current = requireMember(state, input.participantId);
  const applied = applyMemberStatus(state.gathering, current, "left", at);
  const removed = { ...applied.member, role: "member" as const };
  const steps: Step[] = [{ type: "gathering.member.removed", gathering: applied.gathering, member: removed }];
  const heir = succession(applied.gathering, current, state.present ?? [], "owner_removed", at);
  if (heir.step) steps.push(heir.step);
  const auto = maybeAutoStart(steps.at(-1)!.gathering, at);
  return {
    steps: [...steps, ...auto.steps],
    member: removed,
    memberDeletes: [input.participantId],
    memberPuts: heir.puts,
    also: auto.also,
  };
}

/** Ownership to a present member; the previous owner (state.previousOwner) loses the role. */
export function decideTransfer(state: State, input: { participantId: string }, at: string): Decision {
  const { gathering } = state;
  const { participantId } = input;
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
}

// ── Invitations ────────────────────────────────────────────────────────────────────────────────────────

export type Recipient = { participantId?: string; email?: string };

/** Who an invitation is for: a participant, or an email address (case-insensitively). */
export function recipientKey(r: Recipient): string {
  return r.participantId !== undefined ? `p:${r.participantId}` : `e:${r.email!.toLowerCase()}`;
}

/**
 * Invites recipients (state.invitations: the gathering's invitations; state.members: the recipients who are
 * members already). A recipient invited before gets their existing invitation; a participant who is not a
 * member yet becomes one, as invited. `decision.invitations` are the recipients' invitations, in order.
 */
export function decideInvite(
  state: State,
  input: {
    recipients: Recipient[];
    directory: ReadonlyMap<string, { email?: string | undefined; displayName?: string | undefined }>;
    message?: string;
  },
  at: string,
): Decision {
  assertCanPerform(state.gathering, "changeMembers");
  const existing = new Map((state.invitations ?? []).map((inv) => [recipientKey(inv), inv]));
  let gathering: Gathering = state.gathering;
  const steps: Step[] = [];
  const invitations: Invitation[] = [];
  const invitationPuts: Invitation[] = [];
  const memberPuts: Member[] = [];
  for (const recipient of input.recipients) {
    const found = existing.get(recipientKey(recipient));
    if (found) {
      invitations.push(found);
      continue;
    }
    const person = recipient.participantId !== undefined ? input.directory.get(recipient.participantId) : undefined;
    const email = recipient.email ?? person?.email;
    const invitation: Invitation = {
      id: newId("invitation", Date.parse(at)),
      gatheringId: gathering.id,
      ...(recipient.participantId !== undefined && { participantId: recipient.participantId }),
      ...(email !== undefined && { email }),
      ...(person?.displayName !== undefined && { displayName: person.displayName }),
      status: "pending",
      ...(input.message !== undefined && { message: input.message }),
      createdAt: at,
      updatedAt: at,
    };
    gathering = { ...gathering, updatedAt: at };
    steps.push({ type: "gathering.invitation.created", gathering, invitation });
    invitationPuts.push(invitation);
    invitations.push(invitation);
    // The membership layer: an invited participant who is not a member yet becomes one, as invited.
    if (recipient.participantId !== undefined && !state.members?.has(recipient.participantId)) {
      const member = newMember(gathering.id, recipient.participantId, "member", "invited", at, person?.displayName);
      steps.push({ type: "gathering.member.invited", gathering, member });
      memberPuts.push(member);
    }
  }
  return { steps, invitations, invitationPuts, memberPuts };
}

function requireInvitation(state: State, invitationId: string): Invitation {
  const invitation = state.invitations?.find((inv) => inv.id === invitationId);
  if (!invitation) throw new NotFoundError(`invitation ${invitationId} not found`);
  return invitation;
}

/** Accept or decline. Responding again the same way changes nothing; a closed gathering takes no answers. */
export function decideRespond(
  state: State,
  input: { invitationId: string; response: "accepted" | "declined" },
  at: string,
): Decision {
  const { gathering } = state;
  const invitation = requireInvitation(state, input.invitationId);
  if (gathering.status === "ended" || gathering.status === "cancelled") {
    throw new ConflictError(
      `The gathering is ${gathering.status}; invitations can no longer be answered`,
      "gathering_closed",
    );
  }
  if (invitation.status === input.response) return { steps: [], invitations: [invitation] };
  const updated: Invitation = { ...invitation, status: input.response, respondedAt: at, updatedAt: at };
  return {
    steps: [
      {
        type: `gathering.invitation.${input.response}`,
        gathering: { ...gathering, updatedAt: at },
        invitation: updated,
      },
    ],
    invitationPuts: [updated],
    invitations: [updated],
  };
}

/** The mailer's report: one email reached SES, or did not. Delivery never overrides a response. */
export function decideRecordDelivery(
  state: State,
  input: { invitationId: string; result: { ok: true; calendarSequence?: number } | { ok: false; error: string } },
  at: string,
): Decision {
  const invitation = requireInvitation(state, input.invitationId);
  const { result } = input;
  const responded = invitation.status === "accepted" || invitation.status === "declined";
  const updated: Invitation = result.ok
    ? {
        ...invitation,
        status: responded ? invitation.status : "sent",
        sentAt: at,
        ...(result.calendarSequence !== undefined && { calendarSequence: result.calendarSequence }),
        updatedAt: at,
      }
    : { ...invitation, status: responded ? invitation.status : "failed", deliveryError: result.error, updatedAt: at };
  return {
    steps: [
      {
        type: result.ok ? "gathering.invitation.sent" : "gathering.invitation.failed",
        gathering: { ...state.gathering, updatedAt: at },
        invitation: updated,
      },
    ],
    invitationPuts: [updated],
    invitations: [updated],
  };
}

/**
 * The summary mailer's report: a session's summary email reached SES for one invitation, or did not —
 * recorded on the invitation (`summaryEmail`, the latest session's outcome; its `status` stays about the
 * invitation email) and in the event, which names the session. The delivery marker in the session's
 * partition is what makes the send once per recipient.
 */
export function decideRecordSummaryDelivery(
  state: State,
  input: { invitationId: string; sessionId: string; result: { ok: true } | { ok: false; error: string } },
  at: string,
): Decision {
  const invitation = requireInvitation(state, input.invitationId);
  const { result } = input;
  const updated: Invitation = {
    ...invitation,
    summaryEmail: {
      sessionId: input.sessionId,
      status: result.ok ? "sent" : "failed",
      ...(!result.ok && { error: result.error }),
      at,
    },
    updatedAt: at,
  };
  return {
    steps: [
      {
        type: result.ok ? "gathering.summary.sent" : "gathering.summary.failed",
        gathering: { ...state.gathering, updatedAt: at },
        data: { invitation: updated, sessionId: input.sessionId, ...(!result.ok && { error: result.error }) },
      },
    ],
    invitationPuts: [updated],
    invitations: [updated],
  };
}
