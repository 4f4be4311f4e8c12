import { ConflictError } from "../../kernel/errors.js";
import type { Gathering, Member, MemberRole, MemberStatus } from "./model.js";

/**
 * Member transitions, pure. `invited → joined → ready → left`, with the way back `ready → joined`
 * (unready) and `left → joined` (rejoin). Asking for the state a member is already in is a no-op.
 */
export type MemberAction = "join" | "ready" | "unready" | "leave";

const TRANSITIONS: Record<MemberAction, { from: MemberStatus[]; to: MemberStatus }> = {
  join: { from: ["invited", "left"], to: "joined" },
  ready: { from: ["joined"], to: "ready" },
  unready: { from: ["ready"], to: "joined" },
  leave: { from: ["invited", "joined", "ready"], to: "left" },
};

export const isPresent = (status: MemberStatus | undefined): boolean => status === "joined" || status === "ready";

export function targetStatus(action: MemberAction): MemberStatus {
  return TRANSITIONS[action].to;
}

/** Whether the action changes anything; throws 409 when it is not allowed from the member's status. */
export function memberTransition(member: Member, action: MemberAction): "change" | "noop" {
  const { from, to } = TRANSITIONS[action];
  if (member.status === to) return "noop";
  if (from.includes(member.status)) return "change";
  throw new ConflictError(
    `Cannot ${action} a member who is ${member.status}` +
      (action === "ready" && member.status !== "joined" ? " (join first)" : ""),
    "invalid_member_transition",
    { memberStatus: member.status },
  );
}

/** Applies a status change to the member and the gathering's counters; enforces capacity. */
export function applyMemberStatus(
  gathering: Gathering,
  member: Member,
  to: MemberStatus,
  at: string,
): { gathering: Gathering; member: Member } {
  const wasPresent = isPresent(member.status);
  const nowPresent = isPresent(to);
  if (
    !wasPresent &&
    nowPresent &&
    gathering.maxMembers !== undefined &&
    gathering.memberCount >= gathering.maxMembers
  ) {
    throw new ConflictError(
      `The gathering is full (${gathering.memberCount} of ${gathering.maxMembers} members)`,
      "gathering_full",
      { maxMembers: gathering.maxMembers },
    );
  }
  const memberCount = gathering.memberCount + (nowPresent ? 1 : 0) - (wasPresent ? 1 : 0);
  const readyCount = gathering.readyCount + (to === "ready" ? 1 : 0) - (member.status === "ready" ? 1 : 0);
  return {
    gathering: { ...gathering, memberCount, readyCount, updatedAt: at },
    member: {
      ...member,
      status: to,
      ...(nowPresent && !wasPresent && { presentSince: at }),
      updatedAt: at,
    },
  };
}

export function newMember(
  gatheringId: string,
  participantId: string,
  role: MemberRole,
  status: MemberStatus,
  at: string,
  displayName?: string,
): Member {
  return {
    gatheringId,
    participantId,
    ...(displayName !== undefined && { displayName }),
    role,
    status,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * Who owns the gathering after its owner left: the member present the longest (earliest presentSince,
 * then participant id) — predictable, unlike a random pick. Undefined when nobody is present.
 */
export function successor(present: Member[], leavingOwnerId: string): Member | undefined {
  return present
    .filter((m) => m.participantId !== leavingOwnerId && isPresent(m.status))
    .sort(
      (a, b) =>
        (a.presentSince ?? "").localeCompare(b.presentSince ?? "") || a.participantId.localeCompare(b.participantId),
    )[0];
}

/** True when a lobby's auto-start condition holds: everyone present is ready, and enough are present. */
export function autoStartDue(gathering: Gathering): boolean {
  const rule = gathering.autoStart;
  return (
    gathering.type === "lobby" &&
    gathering.status === "open" &&
    rule !== undefined &&
    gathering.memberCount >= rule.minMembers &&
    gathering.readyCount === gathering.memberCount
  );
}
