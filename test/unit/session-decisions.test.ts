import { describe, expect, it } from "vitest";
import { ConflictError } from "../../shared/kernel/errors.js";
import {
  BOT_ACK_TIMEOUT_SECONDS,
  BOT_STATES,
  CreateSessionBodySchema,
  MAX_SUMMARY_RECIPIENTS,
  REPORTED_BOT_STATES,
  UpdateSessionBodySchema,
  type BotState,
  type Session,
} from "../../shared/domain/sessions/model.js";
import {
  decideAckTimeout,
  decideBotReport,
  decideCreate,
  decideEnd,
  decideIdle,
  decideStart,
  decideUpdate,
  newSession,
  sessionCommit,
} from "../../shared/domain/sessions/session.js";
import { afterEarlyFire, desiredSessionSchedules } from "../../shared/domain/scheduling/session-deadlines.js";

const at = "2026-11-28T09:00:00.000Z";
const later = (seconds: number) => new Date(Date.parse(at) + seconds * 1000).toISOString();
const actor = { type: "apiKey" as const, id: "key_1" };

const fresh = (over: Partial<Session> = {}): Session => ({
  ...newSession({
    id: "sess_01",
    tenantId: "t",
    projectId: "p",
    externalRoomId: "room",
    title: "Stand-up",
    createdBy: "key_1",
    at,
  }),
  ...over,
});
const withBot = (state: BotState, over: Partial<Session> = {}) =>
  fresh({ bot: { state, commandId: "cmd_1", ackDeadline: later(60), updatedAt: at }, ...over });

describe("session decisions", () => {
  it("creating with autoStart commands the bot in the same commit; without, it only creates", () => {
    const steps = decideCreate(fresh(), true);
    expect(steps.map((s) => s.type)).toEqual(["session.created", "session.bot.requested"]);
    const command = steps[1]!.data!.command as Record<string, unknown>;
    expect(command).toMatchObject({
      kind: "join",
      sessionId: "sess_01",
      externalRoomId: "room",
      gateway: "gateway.odin.4players.io",
      reportTo: "/v1/projects/p/sessions/sess_01",
      issuedAt: at,
      ackDeadline: later(BOT_ACK_TIMEOUT_SECONDS),
    });
    expect(steps[1]!.session.bot).toMatchObject({ state: "requested", commandId: command.commandId });
    expect(decideCreate(fresh(), false).map((s) => s.type)).toEqual(["session.created"]);
  });

  it("starting is idempotent while the bot is wanted, re-commands a bot that left or failed, and refuses an ended session", () => {
    for (const state of ["requested", "joining", "in_room"] as const)
      expect(decideStart(withBot(state), at)).toEqual([]);
    for (const state of ["none", "left", "failed"] as const) {
      const [step] = decideStart(withBot(state), later(5));
      expect(step!.type).toBe("session.bot.requested");
      expect(step!.session.bot.commandId).not.toBe("cmd_1");
      expect(step!.session.lastActivityAt).toBe(later(5));
    }
    expect(() => decideStart(withBot("in_room", { status: "ended" }), at)).toThrow(
      expect.objectContaining({ code: "session_ended" }),
    );
  });

  it("ending releases a bot in the room, then ends with the reason; an ended session stays as it is", () => {
    const steps = decideEnd(withBot("in_room"), "stopped", later(9));
    expect(steps.map((s) => s.type)).toEqual(["session.bot.released", "session.ended"]);
    expect(steps[0]!.data!.command).toMatchObject({ kind: "leave" });
    expect(steps[1]!.session).toMatchObject({ status: "ended", endedReason: "stopped", endedAt: later(9) });
    expect(steps[1]!.session.bot.state).toBe("leaving");
    expect(decideEnd(withBot("none"), "idle", at).map((s) => s.type)).toEqual(["session.ended"]);
    expect(decideEnd(withBot("in_room", { status: "ended" }), "stopped", at)).toEqual([]);
  });

  describe("bot reports follow the state machine", () => {
    const legal: Record<BotState, readonly string[]> = {
      none: [],
      requested: ["joining", "in_room", "failed", "left"],
      joining: ["in_room", "failed", "left", "leaving"],
      in_room: ["leaving", "left", "failed"],
      leaving: ["left", "failed"],
      left: [],
      failed: [],
    };
    for (const from of BOT_STATES) {
      for (const to of REPORTED_BOT_STATES) {
        const verdict = from === to ? "a no-op" : legal[from].includes(to) ? "applied" : "a 409";
        it(`${from} → ${to} is ${verdict}`, () => {
          const run = () => decideBotReport(withBot(from), { state: to, commandId: "cmd_1" }, later(1));
          if (verdict === "a no-op") expect(run()).toEqual([]);
          else if (verdict === "a 409")
            expect(run).toThrow(expect.objectContaining({ code: "illegal_bot_transition" }));
          else expect(run()[0]!.session.bot.state).toBe(to);
        });
      }
    }
  });

  it("a report naming another command is stale; failed and left end an active session", () => {
    expect(() => decideBotReport(withBot("requested"), { state: "in_room", commandId: "cmd_0" }, at)).toThrow(
      ConflictError,
    );
    const failed = decideBotReport(withBot("joining"), { state: "failed", commandId: "cmd_1", reason: "no room" }, at);
    expect(failed.map((s) => s.type)).toEqual(["session.bot.updated", "session.ended"]);
    expect(failed.at(-1)!.session).toMatchObject({
      endedReason: "bot_failed",
      bot: { state: "failed", reason: "no room" },
    });
    const left = decideBotReport(withBot("in_room"), { state: "left", commandId: "cmd_1" }, at);
    expect(left.at(-1)!.session).toMatchObject({ status: "ended", endedReason: "bot_left" });
    const inRoom = decideBotReport(withBot("joining"), { state: "in_room", commandId: "cmd_1" }, later(3));
    expect(inRoom[0]!.session.lastActivityAt).toBe(later(3));
  });

  it("an unacknowledged command fails the bot at its deadline, not before, and only that command", () => {
    expect(decideAckTimeout(withBot("requested"), "cmd_1", later(59))).toEqual([]);
    expect(decideAckTimeout(withBot("requested"), "cmd_0", later(61))).toEqual([]);
    expect(decideAckTimeout(withBot("joining"), "cmd_1", later(61))).toEqual([]);
    const steps = decideAckTimeout(withBot("requested"), "cmd_1", later(60));
    expect(steps.map((s) => s.type)).toEqual(["session.bot.updated", "session.ended"]);
    expect(steps[1]!.session).toMatchObject({ endedReason: "bot_failed", bot: { state: "failed" } });
    const leaving = decideAckTimeout(withBot("leaving", { status: "ended" }), "cmd_1", later(60));
    expect(leaving.map((s) => s.type)).toEqual(["session.bot.updated"]);
  });

  it("idle: before the deadline it asks to look again then; after, it ends with idle and releases the bot", () => {
    const session = withBot("in_room", { idleTimeout: 3, lastActivityAt: later(10) });
    expect(decideIdle(session, later(12))).toEqual({ steps: [], rearmAt: later(13) });
    const due = decideIdle(session, later(13));
    expect(due.steps.map((s) => s.type)).toEqual(["session.bot.released", "session.ended"]);
    expect(due.steps.at(-1)!.session.endedReason).toBe("idle");
    expect(decideIdle(withBot("in_room", { idleTimeout: 0 }), later(999))).toEqual({ steps: [] });
    expect(decideIdle(withBot("in_room", { idleTimeout: null }), later(999))).toEqual({ steps: [] });
  });

  it("changing idleTimeout restarts the silence clock; an unchanged body changes nothing", () => {
    const [step] = decideUpdate(withBot("in_room", { idleTimeout: 30 }), { idleTimeout: 5 }, later(7));
    expect(step!.session).toMatchObject({ idleTimeout: 5, lastActivityAt: later(7) });
    expect(step!.data).toEqual({ changes: ["idleTimeout"] });
    expect(decideUpdate(fresh(), { title: "Stand-up" }, at)).toEqual([]);
  });

  it("summary recipients: each address once at creation; an update replaces them (also after the end), [] clears them", () => {
    const created = newSession({
      id: "sess_02",
      tenantId: "t",
      projectId: "p",
      externalRoomId: "room",
      title: "Ad hoc",
      summaryRecipients: ["a@example.com", "b@example.com", "A@example.com"],
      createdBy: "key_1",
      at,
    });
    expect(created.summaryRecipients).toEqual(["a@example.com", "b@example.com"]);
    expect(fresh().summaryRecipients).toBeUndefined();
    expect(newSession({ ...created, createdBy: "k", at, summaryRecipients: [] }).summaryRecipients).toBeUndefined();

    const ended = { ...created, status: "ended" as const };
    const [step] = decideUpdate(ended, { summaryRecipients: ["c@example.com"] }, later(1));
    expect(step!.session.summaryRecipients).toEqual(["c@example.com"]);
    expect(step!.data).toEqual({ changes: ["summaryRecipients"] });
    expect(decideUpdate(created, { summaryRecipients: ["a@example.com", "b@example.com"] }, later(1))).toEqual([]);
    const [cleared] = decideUpdate(created, { summaryRecipients: [] }, later(1));
    expect(cleared!.session).not.toHaveProperty("summaryRecipients");
    expect(decideUpdate(fresh(), { summaryRecipients: [] }, later(1))).toEqual([]);
  });

  it("summary recipients are validated: addresses only, at most 50", () => {
    const body = { title: "T", externalRoomId: "r" };
    expect(CreateSessionBodySchema.safeParse({ ...body, summaryRecipients: ["a@example.com"] }).success).toBe(true);
    const bad = CreateSessionBodySchema.safeParse({ ...body, summaryRecipients: ["a@example.com", "not an address"] });
    expect(bad.error?.issues.map((i) => i.path.join("."))).toEqual(["summaryRecipients.1"]);
    const many = Array.from({ length: MAX_SUMMARY_RECIPIENTS + 1 }, (_, i) => `p${i}@example.com`);
    expect(CreateSessionBodySchema.safeParse({ ...body, summaryRecipients: many }).success).toBe(false);
    expect(UpdateSessionBodySchema.safeParse({ summaryRecipients: [] }).success).toBe(true);
    expect(UpdateSessionBodySchema.safeParse({ summaryRecipients: "a@example.com" }).success).toBe(false);
  });

  it("a commit stamps each event's session with its version; message.created carries only the message", () => {
    const base = withBot("in_room", { version: 4 });
    const message = { id: "m1" };
    const request = sessionCommit(
      4,
      [
        { type: "message.created", session: { ...base, messageCount: 1 }, data: { message } },
        { type: "session.ended", session: { ...base, status: "ended" } },
      ],
      actor,
    );
    expect(request.expectedVersion).toBe(4);
    expect(request.events[0]!.data).toEqual({ message });
    expect(request.events[1]!.data).toMatchObject({ session: { version: 6, status: "ended" } });
    expect(request.root).toMatchObject({ kind: "session", status: "ended", GSI1SK: "sess_01" });
  });

  it("schedules: an idle deadline while the bot is wanted, an ack deadline while a command awaits, never in the past", () => {
    const now = new Date(later(100));
    const s = desiredSessionSchedules(withBot("requested", { idleTimeout: 30, lastActivityAt: later(90) }), now);
    expect(s.idle).toMatchObject({
      name: "sess_01-idle",
      at: later(120),
      input: { action: "idle", at: later(120) },
      keepAfterRun: true,
    });
    // The ack deadline (60 s) has passed: it fires a second from now, still naming its deadline.
    expect(s.botAck).toMatchObject({ at: later(101), input: { action: "botAck", commandId: "cmd_1", at: later(60) } });
    const inRoom = desiredSessionSchedules(withBot("in_room"), now);
    expect(inRoom).toEqual({ idle: undefined, botAck: undefined });
    const ended = desiredSessionSchedules(withBot("leaving", { status: "ended", idleTimeout: 30 }), now);
    expect(ended.idle).toBeUndefined();
    expect(ended.botAck).toBeDefined();
  });
});

describe("re-arming after an early fire (the Scheduler's 60-second precision)", () => {
  it("keeps a deadline in a later minute, and moves one in the current minute to the next minute", () => {
    const now = new Date("2026-11-28T09:00:20.000Z");
    expect(afterEarlyFire("2026-11-28T09:01:05.000Z", now)).toBe("2026-11-28T09:01:05.000Z");
    expect(afterEarlyFire("2026-11-28T09:00:40.000Z", now)).toBe("2026-11-28T09:01:00.000Z");
  });
});
