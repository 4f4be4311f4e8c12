import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CortexError } from "../../sdk/src/errors.js";
import type { SessionData } from "../../sdk/src/types.js";
import { playScript, PlayError, type PlayerBot } from "../../scripts/bot/player.js";
import {
  lineOf,
  loadScript,
  parseScript,
  ScriptError,
  scriptMs,
  speakingMs,
  type BotScript,
} from "../../scripts/bot/script.js";

/** The bot stand-in (npm run bot): its script format, its timing, and how it plays a meeting. */

const STANDUP = fileURLToPath(new URL("../../scripts/bot/standup.json", import.meta.url));
const WAV = new Uint8Array([...new TextEncoder().encode("RIFF"), 0, 0, 0, 0, ...new TextEncoder().encode("WAVE")]);

const problems = (text: string, readFile?: (path: string) => Uint8Array) => {
  try {
    parseScript(text, { file: "/scripts/meeting.json", ...(readFile && { readFile }) });
  } catch (error) {
    expect(error).toBeInstanceOf(ScriptError);
    return (error as ScriptError).problems.map((p) => `${p.line ?? "-"} ${p.path}: ${p.message}`);
  }
  throw new Error("the script was accepted");
};

const two = [
  { peerId: "ana", displayName: "Ana" },
  { peerId: "ben", displayName: "Ben", userId: "p2" },
];

describe("the script format", () => {
  it("the shipped stand-up is valid: five people, 25–40 utterances, everyone leaves, one mild swear word", () => {
    const script = loadScript(STANDUP);
    expect(script.title).toBe("Daily stand-up");
    expect(script.participants).toHaveLength(5);
    const lines = script.timeline.filter((s) => s.kind === "say");
    expect(lines.length).toBeGreaterThanOrEqual(25);
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(lines.filter((s) => /\bdamn\b/i.test(s.text))).toHaveLength(1);
    expect(lines.some((s) => /by Friday/.test(s.text))).toBe(true);
    expect(lines.find((s) => s.wav)?.wav?.bytes.byteLength).toBeGreaterThan(44);
    const joins = script.timeline.filter((s) => s.kind === "join").length;
    expect(script.timeline.filter((s) => s.kind === "leave")).toHaveLength(joins);
  });

  it("parses every kind of step, resolving WAVs next to the script", () => {
    const read: string[] = [];
    const script = parseScript(
      JSON.stringify({
        title: " Retro ",
        participants: two,
        timeline: [
          { join: "ana" },
          { say: "ana", text: " Hello ", wav: "clips/hello.wav" },
          { pause: 1.5 },
          { leave: "ana" },
        ],
      }),
      { file: "/scripts/meeting.json", readFile: (path) => (read.push(path), WAV) },
    );
    expect(read).toEqual(["/scripts/clips/hello.wav"]);
    expect(script).toEqual<BotScript>({
      title: "Retro",
      participants: two,
      timeline: [
        { kind: "join", peerId: "ana" },
        { kind: "say", peerId: "ana", text: "Hello", wav: { file: "/scripts/clips/hello.wav", bytes: WAV } },
        { kind: "pause", seconds: 1.5 },
        { kind: "leave", peerId: "ana" },
      ],
    });
  });

  it("names the line and field of every problem", () => {
    const text = `{
  "title": "",
  "participants": [
    { "peerId": "ana", "displayName": "Ana" },
    { "peerId": "ana", "displayName": "Ana again" },
    { "peerId": "cy", "name": "Cy" }
  ],
  "timeline": [
    { "join": "ana" },
    { "say": "ana", "txt": "typo" },
    { "say": "dan", "text": "who am I" },
    { "join": "ana" },
    { "pause": -1 },
    { "leave": "ana", "join": "ana" },
    { "leave": "ana" },
    { "say": "ana", "text": "gone already" }
  ],
  "extra": true
}`;
    expect(problems(text)).toEqual([
      "18 extra: unknown field (a script has title, participants, timeline)",
      "2 title: must be a non-empty string",
      '5 participants[1].peerId: "ana" is listed twice',
      "6 participants[2].name: unknown field (a participant has peerId, displayName, userId)",
      "6 participants[2].displayName: must be a non-empty string",
      "10 timeline[1].txt: unknown field (a say step has say, text, wav)",
      "10 timeline[1].text: must be a non-empty string of at most 20000 characters",
      '11 timeline[2].say: "dan" is not a participant\'s peerId (ana)',
      "12 timeline[3].join: ana is already in the room",
      "13 timeline[4].pause: must be a number of seconds, more than 0 and at most 3600",
      "14 timeline[5]: names join and leave: one action per step",
      '16 timeline[7].say: ana speaks without being in the room (add { "join": "ana" } before)',
    ]);
  });

  it("checks WAV files: present, a RIFF/WAVE file, at most 3 MiB", () => {
    const script = (wav: string) =>
      JSON.stringify({ title: "T", participants: two, timeline: [{ join: "ana" }, { say: "ana", text: "hi", wav }] });
    const missing = () => {
      throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    };
    expect(problems(script("nope.wav"), missing)).toEqual(["1 timeline[1].wav: cannot read nope.wav: no such file"]);
    expect(problems(script("a.mp3"), () => new Uint8Array(100))).toEqual([
      "1 timeline[1].wav: a.mp3 is not a WAV file",
    ]);
    const huge = new Uint8Array(3 * 1024 * 1024 + 1);
    huge.set(WAV);
    expect(problems(script("big.wav"), () => huge)).toEqual([
      "1 timeline[1].wav: big.wav is 3145729 bytes; the API takes at most 3145728",
    ]);
  });

  it("reports a JSON syntax error with its line, and a missing file", () => {
    expect(problems('{\n  "title": "x",\n  oops\n}')[0]).toMatch(/^3 : not JSON/);
    expect(() => loadScript("/nonexistent/script.json")).toThrow(/no such file/);
  });

  it("lineOf finds nested values, and the enclosing value of a missing one", () => {
    const text = '{\n  "a": [\n    1,\n    { "b": "x,]}" },\n    {\n      "c": 2\n    }\n  ]\n}';
    expect(lineOf(text, ["a", 1, "b"])).toBe(4);
    expect(lineOf(text, ["a", 2, "c"])).toBe(6);
    expect(lineOf(text, ["a", 2, "missing"])).toBe(5);
    expect(lineOf(text, ["a", 9])).toBe(2);
  });
});

describe("timing", () => {
  it("an utterance lasts its words at 150 a minute, divided by the speed, and never less than 0.6 s", () => {
    expect(speakingMs("one two three four five six seven eight nine ten")).toBe(4000);
    expect(speakingMs("one two three four five six seven eight nine ten", 4)).toBe(1000);
    expect(speakingMs("Yep.")).toBe(600);
    expect(speakingMs("Yep.", 2)).toBe(300);
  });

  it("a script lasts its utterances plus its pauses", () => {
    const script: BotScript = {
      title: "T",
      participants: two,
      timeline: [
        { kind: "join", peerId: "ana" },
        { kind: "say", peerId: "ana", text: "one two three four five" },
        { kind: "pause", seconds: 3 },
      ],
    };
    expect(scriptMs(script)).toBe(5000);
    expect(scriptMs(script, 2)).toBe(2500);
    // The shipped stand-up fits a demo: a few minutes at speed 1.
    const standup = scriptMs(loadScript(STANDUP));
    expect(standup).toBeGreaterThan(2 * 60_000);
    expect(standup).toBeLessThan(6 * 60_000);
  });
});

describe("playing a script", () => {
  const T0 = Date.parse("2030-01-01T09:00:00.000Z");

  /** A bot API in memory: the session's bot state machine as the backend keeps it, and a log of calls. */
  function fakeBot(initial: Partial<SessionData["bot"]> = {}, options: { debugAudio?: boolean } = {}) {
    const calls: string[] = [];
    const posted: Array<Record<string, unknown>> = [];
    const session: SessionData = {
      id: "sess_1",
      tenantId: "t",
      projectId: "demo",
      externalRoomId: "room-1",
      gateway: "g",
      title: "T",
      status: "active",
      bot: { state: "requested", commandId: "cmd_join", updatedAt: "x", ...initial },
      messageCount: 0,
      createdByUserId: "k",
      version: 2,
      createdAt: "x",
      updatedAt: "x",
    };
    const bot: PlayerBot = {
      current: async () => structuredClone(session),
      report: async (state, commandId) => {
        calls.push(`report ${state} ${commandId}`);
        session.bot = { ...session.bot, state };
        if (state === "left") Object.assign(session, { status: "ended" });
        return { session, debugAudio: options.debugAudio ?? false };
      },
      attendance: async (input) => {
        calls.push(
          `${input.event} ${input.peerId} ${String(input.at instanceof Date ? input.at.toISOString() : input.at)}`,
        );
        return { sessionId: "sess_1", peerId: input.peerId, present: input.event === "joined", intervals: [] };
      },
      postMessage: async (input) => {
        if (session.status === "ended") {
          throw new CortexError({ type: "x", title: "Conflict", status: 409, code: "session_ended" });
        }
        posted.push({ ...input });
        calls.push(`say ${String(input.peerId)} ${(input.timestamp as Date).toISOString()}`);
        return {} as never;
      },
    };
    /** What the backend does on stop(): the session ends and a leave command replaces the join command. */
    const stop = () => {
      Object.assign(session, { status: "ended", endedReason: "stopped" });
      session.bot = { state: "leaving", commandId: "cmd_leave", updatedAt: "y" };
    };
    return { bot, calls, posted, stop, session };
  }

  function io(onSleep?: (elapsed: number) => void) {
    let now = T0;
    const lines: string[] = [];
    return {
      lines,
      io: {
        now: () => new Date(now),
        sleep: async (ms: number) => {
          now += ms;
          onSleep?.(now - T0);
        },
        log: (line: string) => void lines.push(line),
      },
    };
  }

  const script: BotScript = {
    title: "T",
    participants: two,
    timeline: [
      { kind: "join", peerId: "ana" },
      { kind: "join", peerId: "ben" },
      { kind: "say", peerId: "ana", text: "one two three four five", wav: { file: "a.wav", bytes: WAV } },
      { kind: "pause", seconds: 4 },
      { kind: "say", peerId: "ben", text: "six seven eight nine ten" },
      { kind: "leave", peerId: "ben" },
      { kind: "leave", peerId: "ana" },
    ],
  };

  it("acknowledges the join command, plays the timeline in real time, then leaves", async () => {
    const { bot, calls, posted } = fakeBot();
    const { io: clock } = io();
    expect(await playScript(script, bot, clock, { speed: 1 })).toBe("finished");
    expect(calls).toEqual([
      "report joining cmd_join",
      "report in_room cmd_join",
      "joined ana 2030-01-01T09:00:00.000Z",
      "joined ben 2030-01-01T09:00:00.000Z",
      // Stamped when the utterance began, posted once said (2 s for five words).
      "say ana 2030-01-01T09:00:00.000Z",
      "say ben 2030-01-01T09:00:06.000Z",
      "left ben 2030-01-01T09:00:08.000Z",
      "left ana 2030-01-01T09:00:08.000Z",
      "report leaving cmd_join",
      "report left cmd_join",
    ]);
    expect(posted[0]).toMatchObject({ senderName: "Ana", peerId: "ana", content: "one two three four five" });
    expect(posted[0]).not.toHaveProperty("debugAudio");
    expect(posted[1]).toMatchObject({ senderName: "Ben", userId: "p2" });
  });

  it("attaches the WAV only when the project keeps debug audio", async () => {
    const { bot, posted } = fakeBot({}, { debugAudio: true });
    await playScript(script, bot, io().io, { speed: 10 });
    expect(posted[0]!.debugAudio).toBe(WAV);
    expect(posted[1]).not.toHaveProperty("debugAudio");
  });

  it("when the session is stopped mid-meeting, answers the leave command with left and plays no further", async () => {
    const fake = fakeBot();
    const { io: clock } = io((elapsed) => {
      if (elapsed >= 6000) fake.stop(); // during the pause
    });
    expect(await playScript(script, fake.bot, clock, { speed: 1 })).toBe("stopped");
    expect(fake.calls.slice(-2)).toEqual(["say ana 2030-01-01T09:00:00.000Z", "report left cmd_leave"]);
  });

  it("a stop that lands while an utterance is spoken: the 409 is recognised, not thrown", async () => {
    const fake = fakeBot();
    const { io: clock } = io((elapsed) => {
      if (elapsed === 2000) fake.stop(); // while Ana speaks
    });
    expect(await playScript(script, fake.bot, clock, { speed: 1 })).toBe("stopped");
    expect(fake.calls.at(-1)).toBe("report left cmd_leave");
    expect(fake.posted).toHaveLength(0);
  });

  it("waits for a join command when the session has none, and gives up on an ended session", async () => {
    const fake = fakeBot({ state: "none", commandId: undefined });
    const { io: clock, lines } = io(() => {
      fake.session.bot = { state: "requested", commandId: "cmd_late", updatedAt: "z" };
    });
    expect(await playScript(script, fake.bot, clock, { speed: 10, pollMs: 1000 })).toBe("finished");
    expect(lines[0]).toMatch(/^no join command yet \(bot: none\)/);
    expect(fake.calls[0]).toBe("report joining cmd_late");

    const ended = fakeBot({ state: "failed", reason: "join command not acknowledged" });
    Object.assign(ended.session, { status: "ended", endedReason: "bot_failed" });
    await expect(playScript(script, ended.bot, io().io, { speed: 1 })).rejects.toThrow(PlayError);
    await expect(playScript(script, ended.bot, io().io, { speed: 1 })).rejects.toThrow(/within 60 s/);
  });

  it("a stand-in restarted mid-meeting carries on from in_room without reporting joining", async () => {
    const fake = fakeBot({ state: "in_room" });
    await playScript(script, fake.bot, io().io, { speed: 10 });
    expect(fake.calls[0]).toBe("report in_room cmd_join");
  });
});

describe("the shipped files", () => {
  it("the WAV next to the stand-up is a real RIFF/WAVE file", () => {
    const bytes = readFileSync(fileURLToPath(new URL("../../scripts/bot/stand-in-tone.wav", import.meta.url)));
    expect(bytes.subarray(0, 4).toString()).toBe("RIFF");
    expect(bytes.subarray(8, 12).toString()).toBe("WAVE");
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
  });
});
