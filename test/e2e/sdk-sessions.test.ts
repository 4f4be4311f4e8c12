import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CortexClient, type Message } from "../../sdk/src/index.js";
import { CortexBot } from "../../sdk/src/bot.js";
import { ApiClient, mintApiKey, uniqueProject } from "../support/http.js";
import { receiveBotCommands } from "../support/bot-commands.js";
import { advanceClock, eventually, scheduleWrites, startRuntime, type RunningRuntime } from "../support/runtime.js";
import { makeWav } from "../support/wav.js";

/**
 * Seed 003's Session whole, through the SDK against the local runtime: a session with no gathering, the
 * bot commanded through the bot command queue, reporting and speaking with its own key (the SDK's bot
 * entry point), the transcript in getMessages() and live in watchMessages(), stop() releasing the bot.
 */
// A runtime of its own: the last test moves its clock.
let rt: RunningRuntime;
let botKey: string;
beforeAll(async () => {
  rt = await startRuntime(["--in-memory", "--port", "0"]);
  botKey = await mintApiKey(rt, "local", undefined, "bot");
});
afterAll(async () => {
  rt.process.kill("SIGINT");
  await rt.exited;
});

const client = () => new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey });

/** Resolves when a live view's latest snapshot satisfies `done`. */
function snapshots<T>(subscribe: (listener: (items: T) => void) => () => void) {
  let latest: T | undefined;
  const waiters: Array<() => void> = [];
  const unsubscribe = subscribe((items) => {
    latest = items;
    for (const w of waiters.splice(0)) w();
  });
  return {
    unsubscribe,
    async until(done: (items: T) => boolean): Promise<T> {
      while (latest === undefined || !done(latest)) await new Promise<void>((r) => waiters.push(r));
      return latest;
    },
  };
}

describe("the SDK's Session, whole (seed 003)", () => {
  it("start, bot in the room, messages in order in getMessages() and live before and after, stop releases the bot", async () => {
    const project = client().project(uniqueProject("sdk-session"));
    const session = await project.sessions.create({
      title: "Daily Standup",
      externalRoomId: "room_abc123",
      autoStart: false,
    });
    expect(session.title).toBe("Daily Standup");
    expect(session.data.externalRoomId).toBe("room_abc123");
    expect(session.status).toBe("active");

    const started = await session.start();
    expect(started).toEqual({ message: "Bot start command sent" });
    const [join] = await receiveBotCommands(rt, { sessionId: session.id });
    expect(join!.data.command).toMatchObject({
      kind: "join",
      sessionId: session.id,
      externalRoomId: "room_abc123",
      commandId: session.bot.commandId,
    });

    const bot = new CortexBot({ baseUrl: rt.apiUrl, botKey }).forCommand(join!.data.command);
    await bot.report("joining", join!.data.command.commandId);
    await bot.report("in_room", join!.data.command.commandId);
    expect((await session.refresh()).bot.state).toBe("in_room");

    const before = snapshots<Message[]>((l) => session.watchMessages().onSnapshot(l));
    const base = Date.now() - 60_000;
    const lines = ["Morning all.", "Yesterday I shipped the lobby.", "Today the invites.", "No blockers."];
    for (const [i, content] of lines.entries()) {
      await bot.postMessage({
        id: `line-${i}`,
        senderName: i % 2 ? "Bob" : "Alice",
        peerId: `peer-${i % 2}`,
        content,
        timestamp: new Date(base + i * 1000).toISOString(),
      });
    }
    const transcript = await session.getMessages();
    expect(transcript.map((m) => m.content)).toEqual(lines);
    expect(transcript[0]).toMatchObject({
      type: "user",
      senderName: "Alice",
      sessionId: session.id,
      hasDebugAudio: false,
    });

    const live = await before.until((items) => items.length === lines.length);
    expect(live.map((m) => m.id)).toEqual(transcript.map((m) => m.id));
    const after = snapshots<Message[]>((l) => session.watchMessages().onSnapshot(l));
    expect((await after.until((items) => items.length === lines.length)).map((m) => m.id)).toEqual(
      transcript.map((m) => m.id),
    );
    // One more line reaches both live views, in place.
    await bot.postMessage({
      id: "line-late",
      senderName: "Alice",
      content: "Oh, one more thing.",
      timestamp: new Date(base + 10_000).toISOString(),
    });
    for (const view of [before, after]) {
      const items = await view.until((all) => all.length === lines.length + 1);
      expect(items.at(-1)!.id).toBe("line-late");
    }
    before.unsubscribe();
    after.unsubscribe();

    const stopped = await session.stop();
    expect(stopped).toEqual({ message: "Bot stop command sent" });
    const [leave] = await receiveBotCommands(rt, { sessionId: session.id });
    await bot.report("left", leave!.data.command.commandId);
    await session.refresh();
    expect(session).toMatchObject({ status: "ended", endedReason: "stopped", bot: { state: "left" } });
  });

  it("downloadDebugAudio() returns the bot's WAV byte for byte, as a Blob", async () => {
    const project = client().project(uniqueProject("sdk-audio"));
    await project.settings.update({ debugAudioEnabled: true });
    const session = await project.sessions.create({ title: "Audio", externalRoomId: "room-audio" });
    const bot = new CortexBot({ baseUrl: rt.apiUrl, botKey }).session(session.projectId, session.id);
    const wav = makeWav(5);
    const posted = await bot.postMessage({
      senderName: "Alice",
      content: "testing",
      timestamp: new Date().toISOString(),
      debugAudio: wav,
    });
    expect(posted.hasDebugAudio).toBe(true);
    const [message] = await session.getMessages();
    expect(message!.hasDebugAudio).toBe(true);
    const blob = await session.downloadDebugAudio(message!.id);
    expect(blob.type).toBe("audio/wav");
    expect(Buffer.from(await blob.arrayBuffer()).equals(wav)).toBe(true);
  });

  it("a gathering's getSession() is the live Session", async () => {
    const project = client().project(uniqueProject("sdk-gathering-session"));
    const lobby = await project.gatherings.create({ name: "Ranked", type: "lobby" });
    await lobby.start({ autoStartSession: true, roomId: "ranked-room" });
    const session = (await lobby.getSession())!;
    expect(session).toMatchObject({
      gatheringId: lobby.id,
      externalRoomId: "ranked-room",
      bot: { state: "requested" },
    });
    const doc = snapshots<unknown>((l) => session.watch().onSnapshot(l));
    await lobby.end();
    await doc.until(() => session.status === "ended");
    expect(session.endedReason).toBe("gathering_ended");
    doc.unsubscribe();
    await eventually(async () => ((await lobby.refresh()).status === "ended" ? true : undefined));
  });

  it("an appointment with autoStartSession creates its session at startsAt and commands the bot; ending it stops the session", async () => {
    const api = new ApiClient(rt, uniqueProject("appt-session"));
    const startsAt = new Date(Date.now() + 3_600_000).toISOString();
    const appt = await api.create({
      name: "Quarterly Review",
      type: "appointment",
      startsAt,
      endsAt: new Date(Date.now() + 7_200_000).toISOString(),
      autoStartSession: true,
    });
    // The start schedule exists once the sync consumer has seen the gathering.
    await eventually(async () => ((await api.get("/activity")).body.items.length > 0 ? true : undefined));
    await advanceClock(rt, 3_600 + 5);
    const started = await eventually(async () => {
      const g = await api.get(`/gatherings/${appt.id}`);
      return g.body.status === "started" ? g.body : undefined;
    }, 30_000);
    const [join] = await receiveBotCommands(rt, { sessionId: started.sessionId });
    expect(join!.data.command).toMatchObject({ kind: "join", externalRoomId: appt.id });
    const session = await api.get(`/sessions/${started.sessionId}`);
    expect(session.body).toMatchObject({ gatheringId: appt.id, status: "active", bot: { state: "requested" } });

    expect((await api.post(`/gatherings/${appt.id}/end`)).status).toBe(200);
    const [leave] = await receiveBotCommands(rt, { sessionId: started.sessionId });
    expect(leave!.data.command.kind).toBe("leave");
    expect((await api.get(`/sessions/${started.sessionId}`)).body).toMatchObject({
      status: "ended",
      endedReason: "gathering_ended",
      bot: { state: "leaving" },
    });
  });

  it("a join command nobody acknowledges fails the bot at its ack deadline and ends the session (bot_failed)", async () => {
    const project = client().project(uniqueProject("sdk-unacked"));
    const session = await project.sessions.create({ title: "Nobody home", externalRoomId: "room-empty" });
    expect(session.bot).toMatchObject({ state: "requested", ackDeadline: expect.any(String) });
    // The ack deadline schedule exists once the sync has seen the command.
    await eventually(async () => ((await scheduleWrites(rt, `${session.id}-bot-ack`)).total > 0 ? true : undefined));
    await advanceClock(rt, 61);
    await eventually(async () => ((await session.refresh()).status === "ended" ? true : undefined), 30_000);
    expect(session).toMatchObject({
      endedReason: "bot_failed",
      bot: { state: "failed", reason: "join command not acknowledged" },
    });
  });

  // Last in the file: it moves this runtime's clock a day ahead.
  it("debug audio answers 410 once 24 hours have passed since its message, though the object is still stored", async () => {
    const project = client().project(uniqueProject("sdk-audio-gone"));
    await project.settings.update({ debugAudioEnabled: true });
    const session = await project.sessions.create({ title: "Gone", externalRoomId: "room-gone", autoStart: false });
    const bot = new CortexBot({ baseUrl: rt.apiUrl, botKey }).session(session.projectId, session.id);
    const posted = await bot.postMessage({
      senderName: "Alice",
      content: "kept for a day",
      timestamp: new Date().toISOString(),
      debugAudio: makeWav(6),
    });
    const api = new ApiClient(rt, session.projectId);
    const link = await api.get(`/sessions/${session.id}/messages/${posted.id}/debug-audio?redirect=false`);
    expect(link.status).toBe(200);
    await advanceClock(rt, 24 * 3600 + 60);
    const gone = await api.get(`/sessions/${session.id}/messages/${posted.id}/debug-audio`);
    expect(gone.status).toBe(410);
    expect(gone.body.code).toBe("gone");
    await expect(session.downloadDebugAudio(posted.id)).rejects.toMatchObject({ status: 410 });
    // S3's lifecycle is lazy: the object is still there; the API's answer does not depend on it.
    expect((await fetch(link.body.url)).status).toBe(200);
  });
});
