import { describe, expect, it } from "vitest";
import { ConflictError } from "../../shared/kernel/errors.js";
import { newGathering } from "../../shared/domain/gatherings/gathering.js";
import {
  applyLifecycle,
  assertCanPerform,
  canPerform,
  type GatheringAction,
} from "../../shared/domain/gatherings/lifecycle.js";
import {
  applyMemberStatus,
  autoStartDue,
  memberTransition,
  newMember,
  successor,
  type MemberAction,
} from "../../shared/domain/gatherings/members.js";
import type { Gathering, GatheringStatus, GatheringType, MemberStatus } from "../../shared/domain/gatherings/model.js";

const at = "2026-06-01T12:00:00.000Z";
function gathering(type: GatheringType, status: GatheringStatus, extra: Partial<Gathering> = {}): Gathering {
  const base = newGathering(
    type === "appointment"
      ? { name: "g", type, startsAt: "2030-01-01T00:00:00Z", endsAt: "2030-01-01T01:00:00Z" }
      : { name: "g", type },
    { tenantId: "t", projectId: "p" },
    { id: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa", joinCode: "ABCD1234" },
    new Date(at),
  );
  return { ...base, status, ...extra };
}

describe("the gathering lifecycle", () => {
  // Every (type, status, action) combination, against the table in lifecycle.ts's doc comment.
  const expected: Record<GatheringAction, (type: GatheringType, status: GatheringStatus) => boolean> = {
    start: (_t, s) => s === "scheduled" || s === "open",
    end: (t, s) => s === "started" || (t === "open" && s === "open"),
    cancel: (_t, s) => ["scheduled", "open", "started"].includes(s),
    update: (_t, s) => ["scheduled", "open", "started"].includes(s),
    changeMembers: (_t, s) => ["scheduled", "open", "started"].includes(s),
    regenerateJoinCode: (_t, s) => ["scheduled", "open", "started"].includes(s),
  };
  for (const type of ["lobby", "appointment", "open"] as const) {
    for (const status of ["scheduled", "open", "started", "ended", "cancelled"] as const) {
      for (const action of Object.keys(expected) as GatheringAction[]) {
        const allowed = expected[action](type, status);
        it(`${allowed ? "allows" : "refuses"} ${action} on a ${status} ${type}`, () => {
          const g = gathering(type, status);
          expect(canPerform(g, action)).toBe(allowed);
          if (allowed) expect(() => assertCanPerform(g, action)).not.toThrow();
          else {
            const error = (() => {
              try {
                assertCanPerform(g, action);
              } catch (e) {
                return e as ConflictError;
              }
            })();
            expect(error).toBeInstanceOf(ConflictError);
            expect(error!.code).toBe(
              status === "ended" || status === "cancelled" ? "gathering_closed" : "invalid_transition",
            );
            expect(error!.message).toContain(status);
          }
        });
      }
    }
  }

  it("stamps the transition time on start, end and cancel", () => {
    const later = "2026-06-01T13:00:00.000Z";
    expect(applyLifecycle(gathering("lobby", "open"), "start", later)).toMatchObject({
      status: "started",
      startedAt: later,
      updatedAt: later,
    });
    expect(applyLifecycle(gathering("lobby", "started"), "end", later)).toMatchObject({
      status: "ended",
      endedAt: later,
    });
    expect(applyLifecycle(gathering("lobby", "open"), "cancel", later)).toMatchObject({
      status: "cancelled",
      cancelledAt: later,
    });
  });
});

describe("member transitions", () => {
  const table: Record<MemberAction, Record<MemberStatus, "change" | "noop" | "refuse">> = {
    join: { invited: "change", joined: "noop", ready: "refuse", left: "change" },
    ready: { invited: "refuse", joined: "change", ready: "noop", left: "refuse" },
    unready: { invited: "refuse", joined: "noop", ready: "change", left: "refuse" },
    leave: { invited: "change", joined: "change", ready: "change", left: "noop" },
  };
  for (const [action, row] of Object.entries(table) as Array<[MemberAction, Record<MemberStatus, string>]>) {
    for (const [status, outcome] of Object.entries(row) as Array<[MemberStatus, string]>) {
      it(`${action} from ${status}: ${outcome}`, () => {
        const member = newMember("g", "p", "member", status, at);
        if (outcome === "refuse") expect(() => memberTransition(member, action)).toThrow(ConflictError);
        else expect(memberTransition(member, action)).toBe(outcome);
      });
    }
  }

  it("keeps the present and ready counters in step with the member's status", () => {
    let g = gathering("lobby", "open");
    let m = newMember(g.id, "p", "member", "left", at);
    ({ gathering: g, member: m } = applyMemberStatus(g, m, "joined", at));
    expect([g.memberCount, g.readyCount, m.presentSince]).toEqual([1, 0, at]);
    ({ gathering: g, member: m } = applyMemberStatus(g, m, "ready", at));
    expect([g.memberCount, g.readyCount]).toEqual([1, 1]);
    ({ gathering: g, member: m } = applyMemberStatus(g, m, "left", at));
    expect([g.memberCount, g.readyCount]).toEqual([0, 0]);
  });

  it("refuses to seat a member beyond maxMembers, but lets present members change state at capacity", () => {
    const full = { ...gathering("lobby", "open"), maxMembers: 1, memberCount: 1 };
    expect(() => applyMemberStatus(full, newMember(full.id, "x", "member", "left", at), "joined", at)).toThrow(/full/);
    expect(
      applyMemberStatus(full, newMember(full.id, "y", "member", "joined", at), "ready", at).gathering.readyCount,
    ).toBe(1);
  });

  it("hands ownership to the longest-present member, ties broken by participant id", () => {
    const m = (id: string, since: string, status: MemberStatus = "joined") => ({
      ...newMember("g", id, "member", status, at),
      presentSince: since,
    });
    const present = [
      m("late", "2026-01-03"),
      m("early-b", "2026-01-01"),
      m("early-a", "2026-01-01"),
      m("owner", "2025-01-01"),
    ];
    expect(successor(present, "owner")?.participantId).toBe("early-a");
    expect(successor([m("owner", "2025")], "owner")).toBeUndefined();
    expect(successor([m("gone", "2020", "left"), m("here", "2026")], "owner")?.participantId).toBe("here");
  });

  it("auto-start is due only for an open lobby whose present members are all ready and at least minMembers", () => {
    const rule = { when: "allReady" as const, minMembers: 2 };
    const lobby = (memberCount: number, readyCount: number, extra: Partial<Gathering> = {}) =>
      ({ ...gathering("lobby", "open"), autoStart: rule, memberCount, readyCount, ...extra }) as Gathering;
    expect(autoStartDue(lobby(2, 2))).toBe(true);
    expect(autoStartDue(lobby(3, 2))).toBe(false);
    expect(autoStartDue(lobby(1, 1))).toBe(false);
    expect(autoStartDue(lobby(2, 2, { status: "started" }))).toBe(false);
    expect(autoStartDue(lobby(2, 2, { autoStart: undefined }))).toBe(false);
    expect(autoStartDue({ ...lobby(2, 2), type: "open" })).toBe(false);
  });
});
