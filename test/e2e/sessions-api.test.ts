import { beforeAll, describe, expect, it } from "vitest";
import { ApiClient, mintApiKey, projectItems, uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";
import { makeWav } from "../support/wav.js";

/**
 * The sessions API and the bot API over real sockets against the local runtime: credentials, validation
 * (nothing written on a 4xx), the bot protocol, debug audio, deletion. The SDK's Session, throughput,
 * idle stop and gathering-started sessions have their own files.
 */
const rt = sharedRuntime();
let botKey: string;
beforeAll(async () => {
  botKey = await mintApiKey(rt, "local", undefined, "bot");
});

async function newSession(api: ApiClient, body: Record<string, unknown> = {}) {
  const created = await api.post("/sessions", { title: "Daily stand-up", externalRoomId: "room-1", ...body });
  expect(created.status).toBe(201);
  return created.body;
}

const now = () => new Date().toISOString();

describe("sessions API", () => {
  it("creates with the seed's fields and defaults; autoStart commands the bot in the same commit", async () => {
    const api = new ApiClient(rt, uniqueProject("sessions"));
    const created = await api.post("/sessions", { title: "Daily stand-up", externalRoomId: "room_abc123" });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/v1/projects/${api.projectId}/sessions/${created.body.id}`);
    expect(created.body).toMatchObject({
      title: "Daily stand-up",
      externalRoomId: "room_abc123",
      gateway: "gateway.odin.4players.io",
      status: "active",
      tenantId: "local",
      projectId: api.projectId,
      createdByUserId: expect.stringMatching(/^key_/),
      bot: { state: "requested", commandId: expect.stringMatching(/^cmd_/) },
      messageCount: 0,
      version: 2,
    });
    const quiet = await newSession(api, { autoStart: false, idleTimeout: null, gateway: "gw.example.com" });
    expect(quiet).toMatchObject({ bot: { state: "none" }, idleTimeout: null, gateway: "gw.example.com", version: 1 });
  });

  it("concurrent creates with one Idempotency-Key make one session and answer alike", async () => {
    const api = new ApiClient(rt, uniqueProject("sessions"));
    const body = { title: "Once", externalRoomId: "room-once", autoStart: false };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => api.post("/sessions", body, { "Idempotency-Key": "create-once" })),
    );
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const listed = await eventually(async () => {
      const page = await api.get("/sessions");
      return page.body.items.length > 0 ? page.body.items : undefined;
    });
    expect(listed).toHaveLength(1);
    const reused = await api.post("/sessions", { ...body, title: "Other" }, { "Idempotency-Key": "create-once" });
    expect(reused.status).toBe(422);
  });

  it("lists newest first with filters and cursors", async () => {
    const api = new ApiClient(rt, uniqueProject("sessions"));
    const a = await newSession(api, { externalRoomId: "room-a", autoStart: false });
    const b = await newSession(api, { externalRoomId: "room-b", autoStart: false });
    const c = await newSession(api, { externalRoomId: "room-a", autoStart: false });
    expect((await api.post(`/sessions/${c.id}/stop`)).status).toBe(202);
    const all = await eventually(async () => {
      const page = await api.get("/sessions");
      return page.body.items.length === 3 ? page.body.items : undefined;
    });
    expect(all.map((s: { id: string }) => s.id)).toEqual([c.id, b.id, a.id]);
    const roomA = await api.get("/sessions?externalRoomId=room-a&status=active");
    expect(roomA.body.items.map((s: { id: string }) => s.id)).toEqual([a.id]);
    const first = await api.get("/sessions?limit=2");
    expect(first.body.items).toHaveLength(2);
    const second = await api.get(`/sessions?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.items.map((s: { id: string }) => s.id)).toEqual([a.id]);
  });

  it("start and stop answer 202 with the seed's messages, are idempotent, and refuse to restart an ended session", async () => {
    const api = new ApiClient(rt, uniqueProject("sessions"));
    const session = await newSession(api, { autoStart: false });
    const start = await api.post(`/sessions/${session.id}/start`);
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ message: "Bot start command sent", session: { bot: { state: "requested" } } });
    const again = await api.post(`/sessions/${session.id}/start`);
    expect(again.body.session.bot.commandId).toBe(start.body.session.bot.commandId);
    const stop = await api.post(`/sessions/${session.id}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body).toMatchObject({
      message: "Bot stop command sent",
      session: { status: "ended", endedReason: "stopped", bot: { state: "leaving" } },
    });
    expect((await api.post(`/sessions/${session.id}/stop`)).status).toBe(202);
    const restart = await api.post(`/sessions/${session.id}/start`);
    expect(restart.status).toBe(409);
    expect(restart.body).toMatchObject({ code: "session_ended" });
  });

  it("PATCH honours If-Match and reports the changed fields in session.updated", async () => {
    const api = new ApiClient(rt, uniqueProject("sessions"));
    const session = await newSession(api, { autoStart: false });
    const stale = await api.patch(`/sessions/${session.id}`, { title: "New" }, { "If-Match": '"99"' });
    expect(stale.status).toBe(412);
    const patched = await api.patch(
      `/sessions/${session.id}`,
      { title: "New", idleTimeout: 300 },
      { "If-Match": '"1"' },
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ title: "New", idleTimeout: 300, version: 2 });
    expect(patched.headers.get("etag")).toBe('"2"');
  });
});

describe("the bot API and its credential", () => {
  it("a project key gets 403 on the bot API, a bot key 403 on everything else, another project's bot key 404, no key 401", async () => {
    const api = new ApiClient(rt, uniqueProject("creds"));
    const bot = new ApiClient(rt, api.projectId, botKey);
    // No bot command: nothing (no ack deadline) changes the project while the test compares it.
    const session = await newSession(api, { autoStart: false });
    const base = `/sessions/${session.id}`;
    const utterance = { senderName: "Ada", content: "hello", timestamp: now() };
    const before = await projectItems(rt, api.projectId);
    for (const [path, body] of [
      [`${base}/messages`, utterance],
      [`${base}/bot`, { state: "in_room", commandId: "cmd_x" }],
      [`${base}/attendance`, { peerId: "p", event: "joined", at: now() }],
    ] as const) {
      const refused = await api.post(path, body);
      expect(refused.status, path).toBe(403);
      expect(refused.body).toMatchObject({ code: "forbidden" });
    }
    const gatherings = await bot.get("/gatherings");
    expect(gatherings.status).toBe(403);
    expect((await bot.post("/gatherings", { name: "x", type: "lobby" })).status).toBe(403);
    expect((await bot.post(`${base}/stop`)).status).toBe(403);
    // A bot may read the session it serves (its bot.commandId is what it reports on).
    expect((await bot.get(base)).status).toBe(200);
    const stranger = new ApiClient(rt, api.projectId, await mintApiKey(rt, "local", uniqueProject("other"), "bot"));
    expect((await stranger.post(`${base}/messages`, utterance)).status).toBe(404);
    const anonymous = await fetch(`${rt.apiUrl}/v1/projects/${api.projectId}${base}/messages`, { method: "POST" });
    expect(anonymous.status).toBe(401);
    expect(await projectItems(rt, api.projectId)).toEqual(before);
  });

  it("bad bodies on every new route are 4xx problem+json and write nothing", async () => {
    const api = new ApiClient(rt, uniqueProject("bad"));
    const bot = new ApiClient(rt, api.projectId, botKey);
    const session = await newSession(api, { autoStart: false });
    const base = `/sessions/${session.id}`;
    const before = await projectItems(rt, api.projectId);
    const cases: Array<[ApiClient, string, string, unknown, number]> = [
      [api, "POST", "/sessions", { title: "", externalRoomId: "r" }, 400],
      [api, "POST", "/sessions", { title: "t" }, 400],
      [api, "POST", "/sessions", { title: "t", externalRoomId: "r", idleTimeout: -1 }, 400],
      [api, "POST", "/sessions", { title: "t", externalRoomId: "r", surprise: true }, 400],
      [api, "PATCH", base, {}, 400],
      [api, "PATCH", base, { idleTimeout: "soon" }, 400],
      [api, "PATCH", "/settings", { debugAudioEnabled: "yes" }, 400],
      [api, "GET", `${base}/messages?limit=5000`, undefined, 400],
      [bot, "POST", `${base}/bot`, { state: "dancing", commandId: "x" }, 400],
      [bot, "POST", `${base}/bot`, { state: "in_room", commandId: "cmd_not_current" }, 409],
      [bot, "POST", `${base}/attendance`, { peerId: "p", event: "waved", at: now() }, 400],
      [bot, "POST", `${base}/attendance`, { peerId: "p", event: "joined", at: "yesterday" }, 400],
      [bot, "POST", `${base}/messages`, { senderName: "A", content: "", timestamp: now() }, 400],
      [bot, "POST", `${base}/messages`, { senderName: "A", content: "x", timestamp: "2999-01-01T00:00:00Z" }, 400],
      [bot, "POST", `${base}/messages`, { id: "bad id!", senderName: "A", content: "x", timestamp: now() }, 400],
      [bot, "POST", `${base}/messages`, { senderName: "A", content: "x", timestamp: now(), debugAudio: "!!" }, 400],
      [
        bot,
        "POST",
        `${base}/messages`,
        { senderName: "A", content: "x", timestamp: now(), debugAudio: "aGVsbG8=" },
        400,
      ],
      [
        bot,
        "POST",
        `/sessions/sess_01jz0000000000000000000000/messages`,
        { senderName: "A", content: "x", timestamp: now() },
        404,
      ],
    ];
    const wrong: string[] = [];
    for (const [client, method, path, body, status] of cases) {
      const result = await client.request(method, path, body);
      const problem = result.headers.get("content-type")?.startsWith("application/problem+json");
      if (result.status !== status || !problem)
        wrong.push(`${method} ${path} ${JSON.stringify(body)} → ${result.status}`);
    }
    expect(wrong).toEqual([]);
    expect(await projectItems(rt, api.projectId)).toEqual(before);
  });

  it("a retried message id is one message; the same id with other content is a 409", async () => {
    const api = new ApiClient(rt, uniqueProject("retry"));
    const bot = new ApiClient(rt, api.projectId, botKey);
    const session = await newSession(api);
    const body = { id: "utt-1", senderName: "Ada", content: "hello", timestamp: now() };
    const first = await bot.post(`/sessions/${session.id}/messages`, body);
    const second = await bot.post(`/sessions/${session.id}/messages`, body);
    expect([first.status, second.status]).toEqual([201, 200]);
    expect(second.body).toEqual(first.body);
    const clash = await bot.post(`/sessions/${session.id}/messages`, { ...body, content: "bye" });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe("message_id_reused");
    const page = await api.get(`/sessions/${session.id}/messages`);
    expect(page.body.items.map((m: { id: string }) => m.id)).toEqual(["utt-1"]);
  });

  it("attendance links a user of the session's gathering to their member and invitation; an anonymous peer stays unlinked", async () => {
    const api = new ApiClient(rt, uniqueProject("attend"));
    const bot = new ApiClient(rt, api.projectId, botKey);
    const lobby = await api.create({ name: "Linked lobby", type: "lobby" });
    expect((await api.post(`/gatherings/${lobby.id}/members`, { participantId: "user-7" })).status).toBe(201);
    const invited = await api.post(`/gatherings/${lobby.id}/invitations`, { participantIds: ["user-7"] });
    const started = await api.post(`/gatherings/${lobby.id}/start`, { autoStartSession: true, roomId: "r" });
    const sessionId = started.body.sessionId as string;
    const report = (peerId: string, userId?: string) =>
      bot.post(`/sessions/${sessionId}/attendance`, { peerId, ...(userId && { userId }), event: "joined", at: now() });
    const linked = await report("peer-1", "user-7");
    expect(linked.body).toMatchObject({
      peerId: "peer-1",
      participantId: "user-7",
      invitationId: invited.body.invitations[0].id,
      present: true,
    });
    const anonymous = await report("peer-2");
    expect(anonymous.body.participantId).toBeUndefined();
    const list = await api.get(`/sessions/${sessionId}/attendance`);
    expect(list.body.items.map((a: { peerId: string }) => a.peerId)).toEqual(["peer-1", "peer-2"]);
    const transcript = await api.get(`/sessions/${sessionId}/messages`);
    expect(transcript.body.items).toEqual([
      expect.objectContaining({ type: "system", senderName: "[System]", content: "user-7 joined" }),
      expect.objectContaining({ type: "system", senderName: "[System]", content: "peer-2 joined" }),
    ]);
  });
});

describe("debug audio", () => {
  it("off: no audio is stored and the download is 404", async () => {
    const api = new ApiClient(rt, uniqueProject("audio-off"));
    const bot = new ApiClient(rt, api.projectId, botKey);
    const session = await newSession(api);
    const wav = makeWav(2);
    const posted = await bot.post(`/sessions/${session.id}/messages`, {
      senderName: "Ada",
      content: "hello",
      timestamp: now(),
      debugAudio: wav.toString("base64"),
    });
    expect(posted.body.hasDebugAudio).toBe(false);
    const download = await api.get(`/sessions/${session.id}/messages/${posted.body.id}/debug-audio`);
    expect(download.status).toBe(404);
    expect(download.body.code).toBe("no_debug_audio");
  });

  it("on: 302 to a presigned URL that returns the exact bytes; deleting the session removes it", async () => {
    const api = new ApiClient(rt, uniqueProject("audio-on"));
    const bot = new ApiClient(rt, api.projectId, botKey);
    expect((await api.patch("/settings", { debugAudioEnabled: true })).body).toMatchObject({ debugAudioEnabled: true });
    const session = await newSession(api);
    const report = await bot.post(`/sessions/${session.id}/bot`, {
      state: "in_room",
      commandId: session.bot.commandId,
    });
    expect(report.body).toMatchObject({ debugAudio: true, session: { bot: { state: "in_room" } } });
    const wav = makeWav(3);
    const posted = await bot.post(`/sessions/${session.id}/messages`, {
      senderName: "Ada",
      content: "hello",
      timestamp: now(),
      debugAudio: wav.toString("base64"),
    });
    expect(posted.body.hasDebugAudio).toBe(true);
    const path = `/v1/projects/${api.projectId}/sessions/${session.id}/messages/${posted.body.id}/debug-audio`;
    const redirect = await fetch(rt.apiUrl + path, {
      headers: { Authorization: `Bearer ${rt.apiKey}` },
      redirect: "manual",
    });
    expect(redirect.status).toBe(302);
    const url = redirect.headers.get("location")!;
    const audio = await fetch(url);
    expect(audio.status).toBe(200);
    expect(Buffer.from(await audio.arrayBuffer()).equals(wav)).toBe(true);

    expect((await api.delete(`/sessions/${session.id}`)).status).toBe(204);
    expect((await api.get(`/sessions/${session.id}`)).status).toBe(404);
    expect((await fetch(url)).status).toBe(404);
  });
});
