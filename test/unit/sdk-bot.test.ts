import { describe, expect, it } from "vitest";
import {
  BotCommandError,
  commandExpired,
  CortexBot,
  parseBotCommand,
  toBase64,
  type BotCommandEnvelope,
} from "../../sdk/src/bot.js";

/** The bot entry point against a scripted fetch: command parsing, and retries that cannot duplicate. */

const command = {
  kind: "join",
  commandId: "cmd_01",
  sessionId: "sess_1",
  tenantId: "t",
  projectId: "demo",
  externalRoomId: "room-1",
  gateway: "gateway.odin.4players.io",
  reportTo: "/v1/projects/demo/sessions/sess_1",
  issuedAt: "2030-01-01T09:00:00.000Z",
  ackDeadline: "2030-01-01T09:01:00.000Z",
};

const envelope = {
  id: "evt_1",
  type: "session.bot.requested",
  version: 2,
  projectId: "demo",
  tenantId: "t",
  resource: "session:sess_1",
  occurredAt: "2030-01-01T09:00:00.000Z",
  data: { session: { id: "sess_1" }, command },
};

function problemsOf(body: string): string[] {
  try {
    parseBotCommand(body);
  } catch (error) {
    expect(error).toBeInstanceOf(BotCommandError);
    return (error as BotCommandError).problems;
  }
  throw new Error("parsed");
}

describe("parseBotCommand", () => {
  it("returns the typed envelope of a queue message", () => {
    const parsed: BotCommandEnvelope = parseBotCommand(JSON.stringify(envelope));
    expect(parsed.type).toBe("session.bot.requested");
    expect(parsed.data.command).toEqual(command);
  });

  it("accepts an EventBridge event whose detail is the envelope", () => {
    const wrapped = { version: "0", "detail-type": "session.bot.requested", source: "cortex", detail: envelope };
    expect(parseBotCommand(JSON.stringify(wrapped)).data.command.commandId).toBe("cmd_01");
  });

  it("names every wrong field", () => {
    const broken = {
      ...envelope,
      version: 0,
      data: { session: { id: "sess_1" }, command: { ...command, kind: "dance", ackDeadline: "soon", reportTo: 7 } },
    };
    expect(problemsOf(JSON.stringify(broken))).toEqual([
      "version must be a positive integer",
      'data.command.kind must be "join" or "leave" (got "dance")',
      "data.command.reportTo must be a string",
      "data.command.ackDeadline must be an ISO 8601 time",
    ]);
  });

  it("rejects other events, a kind that contradicts the event type, and a command for another session", () => {
    expect(problemsOf(JSON.stringify({ ...envelope, type: "session.created" }))[0]).toMatch(
      /^type must be session.bot.requested or session.bot.released/,
    );
    const released = { ...envelope, type: "session.bot.released" };
    expect(problemsOf(JSON.stringify(released))).toEqual([
      'data.command.kind must be "leave" in a session.bot.released event',
    ]);
    expect(problemsOf(JSON.stringify({ ...envelope, resource: "session:sess_2" }))).toEqual([
      "resource (session:sess_2) must name the command's session",
    ]);
  });

  it("says so when the body is not JSON or not an object", () => {
    expect(problemsOf("{nope")[0]).toMatch(/^the body is not JSON/);
    expect(problemsOf("[1]")).toEqual(["the body must be a JSON object (an event envelope)"]);
    expect(() => parseBotCommand("{nope")).toThrow(/^not a bot command: the body is not JSON/);
  });

  it("commandExpired: past the ack deadline, the command is stale", () => {
    expect(commandExpired(command, new Date("2030-01-01T09:00:59.999Z"))).toBe(false);
    expect(commandExpired(command, new Date("2030-01-01T09:01:00.000Z"))).toBe(true);
  });
});

describe("CortexBot", () => {
  function scripted(answers: Array<() => Response>) {
    const calls: Array<{ url: string; headers: Headers; body: string }> = [];
    const fetch = async (url: string, init: RequestInit) => {
      calls.push({ url, headers: new Headers(init.headers), body: String(init.body) });
      const answer = answers.shift();
      if (!answer) throw new Error("no more answers");
      return answer();
    };
    return { calls, bot: new CortexBot({ baseUrl: "http://api.test/", botKey: "bot-key", fetch, retryBaseMs: 1 }) };
  }
  const message = { id: "x", sessionId: "sess_1", content: "hi" };
  const ok = (status: number, body: unknown) => () => new Response(JSON.stringify(body), { status });
  const unavailable = () =>
    new Response(JSON.stringify({ type: "about:blank", title: "Unavailable", status: 503, code: "unavailable" }), {
      status: 503,
    });
  const dropped = () => {
    throw new TypeError("fetch failed");
  };

  it("postMessage retries a lost connection and a 503 with the same generated id, so the utterance is posted once", async () => {
    const { calls, bot } = scripted([dropped, unavailable, ok(200, message)]);
    const answer = await bot.session("demo", "sess_1").postMessage({
      senderName: "Alice",
      peerId: "alice",
      content: "hi",
      timestamp: new Date("2030-01-01T09:00:05Z"),
      debugAudio: new Uint8Array([82, 73, 70, 70]),
    });
    expect(answer).toEqual(message);
    expect(calls).toHaveLength(3);
    expect(new Set(calls.map((c) => c.url))).toEqual(
      new Set(["http://api.test/v1/projects/demo/sessions/sess_1/messages"]),
    );
    const bodies = calls.map((c) => JSON.parse(c.body) as Record<string, unknown>);
    expect(bodies[0]!.id).toMatch(/^utt_[0-9a-f]{32}$/);
    expect(bodies.every((b) => b.id === bodies[0]!.id)).toBe(true);
    expect(bodies[0]).toEqual({
      id: bodies[0]!.id,
      senderName: "Alice",
      peerId: "alice",
      content: "hi",
      timestamp: "2030-01-01T09:00:05.000Z",
      debugAudio: "UklGRg==",
    });
    expect(calls[0]!.headers.get("authorization")).toBe("Bearer bot-key");
  });

  it("postMessage keeps your id, and refuses one the API would reject before sending anything", async () => {
    const { calls, bot } = scripted([ok(201, message)]);
    const session = bot.session("demo", "sess_1");
    await session.postMessage({ id: "line-7", senderName: "A", content: "hi", timestamp: "2030-01-01T09:00:00Z" });
    expect(JSON.parse(calls[0]!.body)).toMatchObject({ id: "line-7" });
    await expect(session.postMessage({ id: "no spaces", senderName: "A", content: "hi" })).rejects.toThrow(TypeError);
    expect(calls).toHaveLength(1);
  });

  it("report names the command; a 409 is not retried", async () => {
    const stale = () =>
      new Response(
        JSON.stringify({
          type: "urn:x",
          title: "Conflict",
          status: 409,
          code: "stale_command",
          currentCommandId: "cmd_2",
        }),
        { status: 409 },
      );
    const { calls, bot } = scripted([ok(200, { session: { id: "sess_1" }, debugAudio: true }), stale]);
    const session = bot.forCommand(command as never);
    expect(await session.report("joining", "cmd_01")).toEqual({ session: { id: "sess_1" }, debugAudio: true });
    expect(JSON.parse(calls[0]!.body)).toEqual({ state: "joining", commandId: "cmd_01" });
    expect(calls[0]!.url).toBe("http://api.test/v1/projects/demo/sessions/sess_1/bot");
    await expect(session.report("in_room", "cmd_01")).rejects.toMatchObject({ status: 409, code: "stale_command" });
    expect(calls).toHaveLength(2);
  });

  it("attendance defaults `at` to now", async () => {
    const { calls, bot } = scripted([ok(200, { peerId: "p1" })]);
    const before = Date.now();
    await bot.session("demo", "sess_1").attendance({ peerId: "p1", displayName: "Ana", event: "joined" });
    const body = JSON.parse(calls[0]!.body) as { at: string };
    expect(Date.parse(body.at)).toBeGreaterThanOrEqual(before - 1);
    expect(body).toEqual({ peerId: "p1", displayName: "Ana", event: "joined", at: body.at });
  });

  it("toBase64 encodes large buffers (no call-stack overflow)", () => {
    const bytes = new Uint8Array(200_000).map((_, i) => i % 256);
    expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
  });
});
