import { describe, expect, it } from "vitest";
import { ConflictError, NotFoundError, ValidationError } from "../../shared/kernel/errors.js";
import { newGathering } from "../../shared/domain/gatherings/gathering.js";
import {
  decideCancel,
  decideCreate,
  decideEnd,
  decideInvite,
  decideJoin,
  decideMemberAction,
  decideRecordDelivery,
  decideRegenerateJoinCode,
  decideRemove,
  decideRespond,
  decideStart,
  decideTransfer,
  decideUpdate,
  READY_CHECK,
  type Decision,
  type State,
} from "../../shared/domain/gatherings/decisions.js";
import { stampVersions } from "../../shared/domain/gatherings/executor.js";
import type { Invitation, InvitationStatus } from "../../shared/domain/gatherings/invitation-model.js";
import type { MemberAction } from "../../shared/domain/gatherings/members.js";
import { newMember } from "../../shared/domain/gatherings/members.js";
import type {
  Gathering,
  GatheringStatus,
  GatheringType,
  Member,
  MemberStatus,
} from "../../shared/domain/gatherings/model.js";
import { commitVersions } from "../../shared/store/commit.js";
import { joinCodeKey } from "../../shared/store/keys.js";
import type { Session } from "../../shared/domain/sessions/model.js";

const at = "2026-06-01T12:00:00.000Z";
const user = { type: "apiKey" as const, id: "key_1" };
const scope = { tenantId: "t", projectId: "p" };

function gathering(type: GatheringType = "lobby", extra: Partial<Gathering> = {}): Gathering {
  const base = newGathering(
    type === "appointment"
      ? { name: "g", type, startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-01-01T01:00:00Z" }
      : { name: "g", type },
    scope,
    { id: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa", joinCode: "ABCD1234" },
    new Date("2026-05-01T00:00:00Z"),
  );
  return { ...base, version: 7, ...extra };
}

function member(participantId: string, status: MemberStatus, extra: Partial<Member> = {}): Member {
  const m = newMember("gth_01aaaaaaaaaaaaaaaaaaaaaaaa", participantId, "member", status, "2026-05-01T00:00:00.000Z");
  return {
    ...m,
    ...(status === "joined" || status === "ready" ? { presentSince: "2026-05-01T00:00:00.000Z" } : {}),
    ...extra,
  };
}

/** A decision's refusal: the error it throws (so a test can check both "refused" and "nothing decided"). */
function refusal(decide: () => Decision): unknown {
  try {
    const decision = decide();
    return { decided: decision };
  } catch (error) {
    return error;
  }
}

const types = (d: Decision) => d.steps.map((s) => s.type);
const last = (d: Decision) => d.steps.at(-1)!.gathering;

// ── Joining ───────────────────────────────────────────────────────────────────────────────────────────

describe("joining", () => {
  it("makes the first member of an ownerless gathering its owner, in a second event", () => {
    const d = decideJoin({ gathering: gathering() }, { participantId: "alice" }, at);
    expect(types(d)).toEqual(["gathering.member.joined", "gathering.owner.changed"]);
    expect(d.member).toMatchObject({ participantId: "alice", status: "joined", role: "owner", presentSince: at });
    expect(d.steps[1]!.data).toEqual({ previousOwnerId: null, ownerId: "alice", reason: "first_member" });
    expect(last(d)).toMatchObject({ ownerId: "alice", memberCount: 1, updatedAt: at });
    expect(d.memberPuts).toEqual([d.member]);
  });

  it("admits a member as plain member when the gathering has an owner", () => {
    const d = decideJoin(
      { gathering: gathering("lobby", { ownerId: "owner", memberCount: 1 }) },
      { participantId: "bob" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.joined"]);
    expect(d.member!.role).toBe("member");
    expect(last(d).memberCount).toBe(2);
  });

  it("admits the 10th member of a gathering of at most 10", () => {
    const g = gathering("lobby", { ownerId: "owner", maxMembers: 10, memberCount: 9 });
    expect(last(decideJoin({ gathering: g }, { participantId: "m10" }, at)).memberCount).toBe(10);
  });

  it("refuses the 11th member of a gathering of at most 10 as gathering_full, deciding nothing", () => {
    const g = gathering("lobby", { ownerId: "owner", maxMembers: 10, memberCount: 10 });
    const error = refusal(() => decideJoin({ gathering: g }, { participantId: "m11" }, at));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: "gathering_full", message: "The gathering is full (10 of 10 members)" });
  });

  it("refuses a rejoin into a full gathering", () => {
    const g = gathering("lobby", { ownerId: "owner", maxMembers: 2, memberCount: 2 });
    const state = { gathering: g, member: member("bob", "left") };
    expect(refusal(() => decideJoin(state, { participantId: "bob" }, at))).toMatchObject({ code: "gathering_full" });
  });

  it("lets a member who left rejoin, present from now, keeping the existing owner", () => {
    const g = gathering("lobby", { ownerId: "owner", memberCount: 1 });
    const left = member("bob", "left", { presentSince: "2026-05-01T00:00:00.000Z", displayName: "Bob" });
    const d = decideJoin({ gathering: g, member: left }, { participantId: "bob" }, at);
    expect(types(d)).toEqual(["gathering.member.joined"]);
    expect(d.member).toMatchObject({ status: "joined", presentSince: at, displayName: "Bob", role: "member" });
    expect(last(d)).toMatchObject({ ownerId: "owner", memberCount: 2 });
  });

  it("lets an invited member join and takes the display name given", () => {
    const g = gathering("lobby", { ownerId: "owner", memberCount: 1 });
    const d = decideJoin(
      { gathering: g, member: member("bob", "invited") },
      { participantId: "bob", displayName: "B" },
      at,
    );
    expect(d.member).toMatchObject({ status: "joined", displayName: "B" });
  });

  it("decides nothing when the participant is already present (joined or ready)", () => {
    for (const status of ["joined", "ready"] as const) {
      const present = member("bob", status);
      const d = decideJoin(
        { gathering: gathering("lobby", { ownerId: "o", memberCount: 2 }), member: present },
        { participantId: "bob" },
        at,
      );
      expect(d).toEqual({ steps: [], member: present });
    }
  });

  it("refuses joining as owner when someone else owns the gathering", () => {
    const g = gathering("lobby", { ownerId: "owner", memberCount: 1 });
    expect(refusal(() => decideJoin({ gathering: g }, { participantId: "bob", role: "owner" }, at))).toMatchObject({
      code: "owner_exists",
    });
  });
});

// ── Ownership succession ─────────────────────────────────────────────────────────────────────────────

describe("succession when the owner stops being present", () => {
  const owner = member("owner", "joined", { role: "owner", presentSince: "2026-05-01T00:00:00.000Z" });
  const early = member("zed", "ready", { presentSince: "2026-05-01T01:00:00.000Z" });
  const late = member("amy", "joined", { presentSince: "2026-05-01T02:00:00.000Z" });
  const g = gathering("lobby", { ownerId: "owner", memberCount: 3, readyCount: 1 });

  it("hands ownership to the longest-present member when the owner leaves", () => {
    const d = decideMemberAction(
      { gathering: g, member: owner, present: [late, owner, early] },
      { participantId: "owner", action: "leave" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.left", "gathering.owner.changed"]);
    expect(d.steps[0]!.member).toMatchObject({ participantId: "owner", status: "left", role: "member" });
    expect(d.steps[1]!.data).toEqual({ previousOwnerId: "owner", ownerId: "zed", reason: "owner_left" });
    expect(last(d)).toMatchObject({ ownerId: "zed", memberCount: 2 });
    expect(d.memberPuts!.map((m) => [m.participantId, m.role])).toEqual([
      ["owner", "member"],
      ["zed", "owner"],
    ]);
  });

  it("breaks a tie in presence by participant id", () => {
    const tied = member("bea", "joined", { presentSince: early.presentSince! });
    const d = decideMemberAction(
      { gathering: g, member: owner, present: [owner, early, tied] },
      { participantId: "owner", action: "leave" },
      at,
    );
    expect(last(d).ownerId).toBe("bea");
  });

  it("leaves the gathering ownerless when the owner leaves alone", () => {
    const alone = gathering("lobby", { ownerId: "owner", memberCount: 1 });
    const d = decideMemberAction(
      { gathering: alone, member: owner, present: [owner] },
      { participantId: "owner", action: "leave" },
      at,
    );
    expect(d.steps[1]!.data).toEqual({ previousOwnerId: "owner", ownerId: null, reason: "owner_left" });
    expect(last(d)).toMatchObject({ ownerId: null, memberCount: 0 });
    expect(d.memberPuts).toHaveLength(1);
  });

  it("moves no ownership when a member who is not the owner leaves", () => {
    const d = decideMemberAction({ gathering: g, member: late }, { participantId: "amy", action: "leave" }, at);
    expect(types(d)).toEqual(["gathering.member.left"]);
    expect(last(d).ownerId).toBe("owner");
  });

  it("hands ownership on when the owner is removed, and deletes the removed member", () => {
    const d = decideRemove(
      { gathering: g, member: owner, present: [owner, late, early] },
      { participantId: "owner" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.removed", "gathering.owner.changed"]);
    expect(d.steps[1]!.data).toEqual({ previousOwnerId: "owner", ownerId: "zed", reason: "owner_removed" });
    expect(d.memberDeletes).toEqual(["owner"]);
    expect(d.memberPuts).toEqual([{ ...early, role: "owner", updatedAt: at }]);
    expect(d.member).toMatchObject({ status: "left", role: "member" });
  });

  it("leaves the gathering ownerless when the removed owner was the last present", () => {
    const alone = gathering("lobby", { ownerId: "owner", memberCount: 1 });
    const d = decideRemove({ gathering: alone, member: owner, present: [owner] }, { participantId: "owner" }, at);
    expect(last(d).ownerId).toBeNull();
    expect(d.memberPuts).toEqual([]);
  });

  it("refuses removing a participant who is not a member", () => {
    expect(refusal(() => decideRemove({ gathering: g }, { participantId: "ghost" }, at))).toBeInstanceOf(NotFoundError);
  });
});

// ── Auto-start ───────────────────────────────────────────────────────────────────────────────────────

describe("auto-start of a lobby", () => {
  const lobby = (extra: Partial<Gathering>) =>
    gathering("lobby", { ownerId: "a", autoStart: { when: "allReady", minMembers: 2 }, ...extra });

  it("starts the lobby exactly once, in the decision of the last member to get ready", () => {
    const d = decideMemberAction(
      { gathering: lobby({ memberCount: 2, readyCount: 1 }), member: member("b", "joined") },
      { participantId: "b", action: "ready" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.ready", "gathering.started"]);
    expect(d.steps[1]!.actor).toEqual(READY_CHECK);
    expect(last(d)).toMatchObject({ status: "started", startedAt: at, readyCount: 2 });
  });

  it("does not start while someone present is not ready", () => {
    const d = decideMemberAction(
      { gathering: lobby({ memberCount: 3, readyCount: 1 }), member: member("b", "joined") },
      { participantId: "b", action: "ready" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.ready"]);
  });

  it("does not start when everyone is ready but fewer than minMembers are present", () => {
    const d = decideMemberAction(
      { gathering: lobby({ memberCount: 1, readyCount: 0 }), member: member("a", "joined") },
      { participantId: "a", action: "ready" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.ready"]);
  });

  it("does not start a lobby without an auto-start rule", () => {
    const g = gathering("lobby", { ownerId: "a", memberCount: 2, readyCount: 1 });
    const d = decideMemberAction(
      { gathering: g, member: member("b", "joined") },
      { participantId: "b", action: "ready" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.ready"]);
  });

  it("starts when the only member who was not ready leaves", () => {
    const d = decideMemberAction(
      { gathering: lobby({ memberCount: 3, readyCount: 2 }), member: member("c", "joined") },
      { participantId: "c", action: "leave" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.left", "gathering.started"]);
  });

  it("does not start again once started", () => {
    const d = decideMemberAction(
      { gathering: lobby({ status: "started", memberCount: 2, readyCount: 1 }), member: member("b", "joined") },
      { participantId: "b", action: "ready" },
      at,
    );
    expect(types(d)).toEqual(["gathering.member.ready"]);
  });

  it("starts when an update lowers minMembers to what is present and ready", () => {
    const g = lobby({ autoStart: { when: "allReady", minMembers: 3 }, memberCount: 2, readyCount: 2 });
    const d = decideUpdate({ gathering: g }, { autoStart: { when: "allReady", minMembers: 2 } }, at);
    expect(types(d)).toEqual(["gathering.updated", "gathering.started"]);
  });

  it("creates the session in the same decision when the lobby starts sessions", () => {
    const d = decideMemberAction(
      { gathering: lobby({ memberCount: 2, readyCount: 1, autoStartSession: true }), member: member("b", "joined") },
      { participantId: "b", action: "ready" },
      at,
    );
    expect(d.also).toHaveLength(1);
    expect(d.also![0]!.events[0]).toMatchObject({ type: "session.created", actor: READY_CHECK });
    expect(last(d).sessionId).toMatch(/^ses/);
  });
});

// ── Ownership transfer ───────────────────────────────────────────────────────────────────────────────

describe("transferring ownership", () => {
  const g = gathering("lobby", { ownerId: "owner", memberCount: 2 });
  const previousOwner = member("owner", "joined", { role: "owner" });

  it("refuses a participant who is not a member", () => {
    expect(
      refusal(() => decideTransfer({ gathering: g, previousOwner }, { participantId: "ghost" }, at)),
    ).toBeInstanceOf(NotFoundError);
  });

  it.each(["invited", "left"] as const)("refuses a member who is %s", (status) => {
    const state = { gathering: g, member: member("bob", status), previousOwner };
    expect(refusal(() => decideTransfer(state, { participantId: "bob" }, at))).toMatchObject({ code: "not_present" });
  });

  it("moves the role from the previous owner to the new one in one event", () => {
    const d = decideTransfer(
      { gathering: g, member: member("bob", "ready"), previousOwner },
      { participantId: "bob" },
      at,
    );
    expect(types(d)).toEqual(["gathering.owner.changed"]);
    expect(d.steps[0]!.data).toEqual({ previousOwnerId: "owner", ownerId: "bob", reason: "transferred" });
    expect(d.memberPuts!.map((m) => [m.participantId, m.role])).toEqual([
      ["bob", "owner"],
      ["owner", "member"],
    ]);
  });

  it("decides nothing when the participant already owns the gathering", () => {
    expect(decideTransfer({ gathering: g, member: previousOwner }, { participantId: "owner" }, at).steps).toEqual([]);
  });
});

// ── The member lifecycle, every (status, action) ─────────────────────────────────────────────────────

describe("the member lifecycle", () => {
  const STATUSES: MemberStatus[] = ["invited", "joined", "ready", "left"];
  const ACTIONS: MemberAction[] = ["join", "ready", "unready", "leave"];
  // What each action does from each status: the status it moves to, "noop", or "refused".
  const EXPECTED: Record<MemberAction, Record<MemberStatus, MemberStatus | "noop" | "refused">> = {
    join: { invited: "joined", joined: "noop", ready: "noop", left: "joined" },
    ready: { invited: "refused", joined: "ready", ready: "noop", left: "refused" },
    unready: { invited: "refused", joined: "noop", ready: "joined", left: "refused" },
    leave: { invited: "left", joined: "left", ready: "left", left: "noop" },
  };
  const g = gathering("open", { ownerId: "owner", memberCount: 3, readyCount: 1 });

  for (const action of ACTIONS) {
    for (const status of STATUSES) {
      const expected = EXPECTED[action][status];
      it(`${action} from ${status}: ${expected}`, () => {
        const state: State = { gathering: g, member: member("bob", status) };
        const result = refusal(() => decideMemberAction(state, { participantId: "bob", action }, at));
        if (expected === "refused") {
          expect(result).toBeInstanceOf(ConflictError);
          expect(result).toMatchObject({ code: "invalid_member_transition" });
        } else if (expected === "noop") {
          expect(result).toEqual({ decided: { steps: [], member: state.member } });
        } else {
          const d = (result as { decided: Decision }).decided;
          expect(d.member!.status).toBe(expected);
          expect(d.steps[0]!.member!.status).toBe(expected);
        }
      });
    }
  }

  it("counts presence and readiness on the gathering", () => {
    const counts = (status: MemberStatus, action: MemberAction) => {
      const d = decideMemberAction(
        { gathering: g, member: member("bob", status) },
        { participantId: "bob", action },
        at,
      );
      return [last(d).memberCount, last(d).readyCount];
    };
    expect(counts("joined", "ready")).toEqual([3, 2]);
    expect(counts("ready", "unready")).toEqual([3, 0]);
    expect(counts("ready", "leave")).toEqual([2, 0]);
    expect(counts("invited", "leave")).toEqual([3, 1]);
  });

  it("refuses a ready from a participant who is not a member", () => {
    expect(
      refusal(() => decideMemberAction({ gathering: g }, { participantId: "bob", action: "ready" }, at)),
    ).toBeInstanceOf(NotFoundError);
  });
});

// ── The gathering lifecycle, every (type, status, command) ───────────────────────────────────────────

describe("the gathering lifecycle across decisions", () => {
  const TYPES: GatheringType[] = ["lobby", "appointment", "open"];
  const STATUSES: GatheringStatus[] = ["scheduled", "open", "started", "ended", "cancelled"];
  const LIVE = ["scheduled", "open", "started"];
  const session: Session = {
    id: "ses_1",
    tenantId: "t",
    projectId: "p",
    externalRoomId: "r",
    gateway: "g",
    title: "g",
    status: "active",
    bot: { state: "in_room", commandId: "cmd_1", updatedAt: at },
    messageCount: 0,
    createdByUserId: "usr_1",
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  const invitation = (status: InvitationStatus): Invitation => ({
    id: "inv_1",
    gatheringId: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa",
    email: "a@example.com",
    status,
    createdAt: at,
    updatedAt: at,
  });

  const COMMANDS: Record<
    string,
    { allowed: (t: GatheringType, s: GatheringStatus) => boolean; run: (g: Gathering) => Decision }
  > = {
    start: {
      allowed: (_t, s) => s === "scheduled" || s === "open",
      run: (g) => decideStart({ gathering: g }, { actor: user }, at),
    },
    end: {
      allowed: (t, s) => s === "started" || (t === "open" && s === "open"),
      run: (g) => decideEnd({ gathering: g }, { actor: user }, at),
    },
    cancel: { allowed: (_t, s) => LIVE.includes(s), run: (g) => decideCancel({ gathering: g }, { actor: user }, at) },
    update: {
      allowed: (_t, s) => LIVE.includes(s),
      run: (g) => decideUpdate({ gathering: g }, { name: "renamed" }, at),
    },
    join: {
      allowed: (_t, s) => LIVE.includes(s),
      run: (g) => decideJoin({ gathering: g }, { participantId: "bob" }, at),
    },
    ready: {
      allowed: (_t, s) => LIVE.includes(s),
      run: (g) =>
        decideMemberAction(
          { gathering: g, member: member("bob", "joined") },
          { participantId: "bob", action: "ready" },
          at,
        ),
    },
    remove: {
      allowed: (_t, s) => LIVE.includes(s),
      run: (g) => decideRemove({ gathering: g, member: member("bob", "joined") }, { participantId: "bob" }, at),
    },
    transfer: {
      allowed: (_t, s) => LIVE.includes(s),
      run: (g) => decideTransfer({ gathering: g, member: member("bob", "joined") }, { participantId: "bob" }, at),
    },
    regenerateJoinCode: {
      allowed: (_t, s) => LIVE.includes(s),
      run: (g) => decideRegenerateJoinCode({ gathering: g }, { code: "WXYZ5678" }, at),
    },
    invite: {
      allowed: (_t, s) => LIVE.includes(s),
      run: (g) =>
        decideInvite(
          { gathering: g, invitations: [] },
          { recipients: [{ email: "x@example.com" }], directory: new Map() },
          at,
        ),
    },
    respond: {
      allowed: (_t, s) => s !== "ended" && s !== "cancelled",
      run: (g) =>
        decideRespond(
          { gathering: g, invitations: [invitation("sent")] },
          { invitationId: "inv_1", response: "accepted" },
          at,
        ),
    },
  };

  for (const [name, command] of Object.entries(COMMANDS)) {
    for (const type of TYPES) {
      for (const status of STATUSES) {
        const allowed = command.allowed(type, status);
        it(`${name} on a ${status} ${type}: ${allowed ? "decided" : "refused"}`, () => {
          const g = gathering(type, { status, ownerId: "owner", memberCount: 1, readyCount: 0 });
          const result = refusal(() => command.run(g));
          if (allowed) {
            expect((result as { decided: Decision }).decided.steps.length).toBeGreaterThan(0);
          } else {
            expect(result).toBeInstanceOf(ConflictError);
            const closed = status === "ended" || status === "cancelled";
            expect(result).toMatchObject({ code: closed ? "gathering_closed" : "invalid_transition" });
          }
        });
      }
    }
  }

  it("ends the gathering's active session with it (releasing its bot), and leaves an ended session alone", () => {
    const g = gathering("lobby", { status: "started", sessionId: "ses_1" });
    const active = decideEnd({ gathering: g, session }, { actor: user }, at);
    expect(active.also!.flatMap((c) => c.events.map((e) => e.type))).toEqual(["session.bot.released", "session.ended"]);
    expect(active.also![0]!.root).toMatchObject({ status: "ended", endedReason: "gathering_ended" });
    const ended = decideCancel({ gathering: g, session: { ...session, status: "ended" } }, { actor: user }, at);
    expect(ended.also).toEqual([]);
    expect(last(ended)).toMatchObject({ status: "cancelled", cancelledAt: at });
  });

  it("starts with the room given and creates a session only when asked", () => {
    const d = decideStart({ gathering: gathering("open") }, { actor: user, roomId: "room-9" }, at);
    expect(last(d)).toMatchObject({ status: "started", roomId: "room-9" });
    expect(d.also).toEqual([]);
    const withSession = decideStart({ gathering: gathering("open") }, { actor: user, autoStartSession: true }, at);
    expect(withSession.also![0]!.events[0]).toMatchObject({ type: "session.created", actor: user });
    // The session's bot is commanded in the same commit.
    expect(withSession.also![0]!.events[1]).toMatchObject({ type: "session.bot.requested", actor: user });
    expect(withSession.steps[0]!.data).toEqual({ sessionId: last(withSession).sessionId });
  });
});

// ── Settings and join codes ──────────────────────────────────────────────────────────────────────────

describe("updating and join codes", () => {
  it("decides nothing when nothing changes", () => {
    expect(decideUpdate({ gathering: gathering() }, { name: "g" }, at)).toEqual({ steps: [] });
  });

  it("names the changed fields and removes a field set to null", () => {
    const d = decideUpdate({ gathering: gathering("lobby", { maxMembers: 5 }) }, { name: "n", maxMembers: null }, at);
    expect(d.steps[0]!.data).toEqual({ changes: ["name", "maxMembers"] });
    expect(last(d).maxMembers).toBeUndefined();
  });

  it("refuses a capacity below the members present", () => {
    const g = gathering("lobby", { memberCount: 4 });
    expect(refusal(() => decideUpdate({ gathering: g }, { maxMembers: 3 }, at))).toMatchObject({
      code: "below_member_count",
    });
  });

  it("refuses appointment times on a lobby", () => {
    expect(
      refusal(() => decideUpdate({ gathering: gathering() }, { startsAt: "2031-01-01T00:00:00Z" }, at)),
    ).toBeInstanceOf(ValidationError);
  });

  it("bumps the calendar sequence when an appointment moves", () => {
    const d = decideUpdate({ gathering: gathering("appointment") }, { endsAt: "2030-01-01T02:00:00Z" }, at);
    expect(last(d).calendarSequence).toBe(1);
  });

  it("creates a gathering with its join-code marker", () => {
    const { gathering: g, uniques } = decideCreate(
      scope,
      { body: { name: "n", type: "lobby" }, id: "gth_01bbbbbbbbbbbbbbbbbbbbbbbb", joinCode: "ABCD1234" },
      at,
    );
    expect(g).toMatchObject({ joinCode: "ABCD-1234", status: "open", createdAt: at });
    expect(uniques).toEqual([
      { ...joinCodeKey("ABCD1234"), kind: "joinCode", tenantId: "t", projectId: "p", gatheringId: g.id },
    ]);
  });

  it("regenerates the join code: claims the new marker and releases the old one", () => {
    const d = decideRegenerateJoinCode({ gathering: gathering() }, { code: "WXYZ5678" }, at);
    expect(last(d).joinCode).toBe("WXYZ-5678");
    expect(d.steps[0]!.data).toEqual({ changes: ["joinCode"] });
    expect(d.uniques![0]).toMatchObject(joinCodeKey("WXYZ5678"));
    expect(d.releases).toEqual([joinCodeKey("ABCD1234")]);
  });
});

// ── Invitations ──────────────────────────────────────────────────────────────────────────────────────

describe("invitations", () => {
  const g = gathering("appointment", { ownerId: "owner", memberCount: 1 });
  const existing: Invitation = {
    id: "inv_old",
    gatheringId: g.id,
    email: "Known@Example.com",
    status: "sent",
    createdAt: at,
    updatedAt: at,
  };
  const pending: Invitation = { ...existing, id: "inv_1", status: "pending" };

  it("invites new recipients, makes an invited participant an invited member, and reuses an existing invitation", () => {
    const d = decideInvite(
      { gathering: g, invitations: [existing], members: new Map([["member", member("member", "joined")]]) },
      {
        recipients: [
          { participantId: "newbie" },
          { participantId: "member" },
          { email: "known@example.com" },
          { email: "x@example.com" },
        ],
        directory: new Map([["newbie", { email: "n@example.com", displayName: "Newbie" }]]),
        message: "come",
      },
      at,
    );
    expect(types(d)).toEqual([
      "gathering.invitation.created",
      "gathering.member.invited",
      "gathering.invitation.created",
      "gathering.invitation.created",
    ]);
    expect(d.invitations!.map((i) => i.participantId ?? i.email)).toEqual([
      "newbie",
      "member",
      "Known@Example.com",
      "x@example.com",
    ]);
    expect(d.invitations![0]).toMatchObject({
      email: "n@example.com",
      displayName: "Newbie",
      status: "pending",
      message: "come",
    });
    expect(d.invitations![2]).toBe(existing);
    expect(d.invitationPuts).toHaveLength(3);
    expect(d.memberPuts).toEqual([
      expect.objectContaining({ participantId: "newbie", status: "invited", displayName: "Newbie" }),
    ]);
  });

  it("decides no steps when everyone was invited before, yet names their invitations", () => {
    const d = decideInvite(
      { gathering: g, invitations: [existing] },
      { recipients: [{ email: "KNOWN@example.com" }], directory: new Map() },
      at,
    );
    expect(d.steps).toEqual([]);
    expect(d.invitations).toEqual([existing]);
  });

  it.each(["accepted", "declined"] as const)(
    "records %s once; answering the same again decides nothing",
    (response) => {
      const first = decideRespond({ gathering: g, invitations: [pending] }, { invitationId: "inv_1", response }, at);
      expect(types(first)).toEqual([`gathering.invitation.${response}`]);
      expect(first.invitations![0]).toMatchObject({ status: response, respondedAt: at });
      const again = decideRespond(
        { gathering: g, invitations: [first.invitations![0]!] },
        { invitationId: "inv_1", response },
        at,
      );
      expect(again).toEqual({ steps: [], invitations: [first.invitations![0]] });
    },
  );

  it("lets an invitee change their answer", () => {
    const accepted = { ...pending, status: "accepted" as const };
    const d = decideRespond(
      { gathering: g, invitations: [accepted] },
      { invitationId: "inv_1", response: "declined" },
      at,
    );
    expect(d.invitations![0]!.status).toBe("declined");
  });

  it.each(["cancelled", "ended"] as const)("refuses an answer once the gathering is %s", (status) => {
    const closed = { ...g, status };
    expect(
      refusal(() =>
        decideRespond(
          { gathering: closed, invitations: [pending] },
          { invitationId: "inv_1", response: "accepted" },
          at,
        ),
      ),
    ).toMatchObject({ code: "gathering_closed" });
  });

  it("refuses an answer to an unknown invitation", () => {
    expect(
      refusal(() =>
        decideRespond({ gathering: g, invitations: [] }, { invitationId: "inv_x", response: "accepted" }, at),
      ),
    ).toBeInstanceOf(NotFoundError);
  });

  it("records a delivery as sent, or as failed with its error", () => {
    const sent = decideRecordDelivery(
      { gathering: g, invitations: [pending] },
      { invitationId: "inv_1", result: { ok: true, calendarSequence: 2 } },
      at,
    );
    expect(types(sent)).toEqual(["gathering.invitation.sent"]);
    expect(sent.invitations![0]).toMatchObject({ status: "sent", sentAt: at, calendarSequence: 2 });
    const failed = decideRecordDelivery(
      { gathering: g, invitations: [pending] },
      { invitationId: "inv_1", result: { ok: false, error: "Throttled" } },
      at,
    );
    expect(failed.invitations![0]).toMatchObject({ status: "failed", deliveryError: "Throttled" });
  });

  it("never lets a delivery override an answer", () => {
    for (const status of ["accepted", "declined"] as const) {
      const answered = { ...pending, status };
      const ok = decideRecordDelivery(
        { gathering: g, invitations: [answered] },
        { invitationId: "inv_1", result: { ok: true } },
        at,
      );
      const ko = decideRecordDelivery(
        { gathering: g, invitations: [answered] },
        { invitationId: "inv_1", result: { ok: false, error: "e" } },
        at,
      );
      expect([ok.invitations![0]!.status, ko.invitations![0]!.status]).toEqual([status, status]);
    }
  });
});

// ── Versions ─────────────────────────────────────────────────────────────────────────────────────────

describe("versions", () => {
  it("gives each event of a commit the next version, and the root the last", () => {
    expect(commitVersions(5, 3)).toEqual({ events: [6, 7, 8], final: 8 });
    expect(commitVersions(0, 1)).toEqual({ events: [1], final: 1 });
    expect(commitVersions(4, 0)).toEqual({ events: [], final: 4 });
  });

  it("stamps each step with its event's version and written items with the commit's", () => {
    const d = decideJoin({ gathering: gathering() }, { participantId: "alice" }, at);
    const stamped = stampVersions(d, 7);
    expect(stamped.steps.map((s) => s.gathering.version)).toEqual([8, 9]);
    expect(stamped.steps[0]!.member!.version).toBe(8);
    expect(stamped.memberPuts!.map((m) => m.version)).toEqual([9]);
    expect(stamped.member!.version).toBe(9);
    expect(d.steps[0]!.gathering.version).toBe(7); // the decision itself is left as decided
  });
});
