import { describe, expect, it } from "vitest";
import { CortexClient, type Message } from "../../sdk/src/index.js";
import { ApiClient, committedEvents, mintApiKey, uniqueProject } from "../support/http.js";
import { sharedRuntime } from "../support/runtime.js";

/**
 * Five speakers post into one session at once — 200 utterances each, one in ten sent twice with the same
 * id (a bot's retry) while the first is in flight. Posts never contend on the session's version (they only
 * insert), and the sequencer gives the messages a gapless place in the session's event log.
 */
const rt = sharedRuntime();
const SPEAKERS = 5;
const LINES = 200;

describe("messages into one session under concurrency", () => {
  it("5 speakers × 200 concurrent posts with 10 % retried: 1,000 messages, no duplicate, gapless versions, a watcher sees all in order", async () => {
    const api = new ApiClient(rt, uniqueProject("throughput"));
    const bot = new ApiClient(rt, api.projectId, await mintApiKey(rt, "local", api.projectId, "bot"));
    const created = await api.post("/sessions", { title: "Busy room", externalRoomId: "busy", autoStart: false });
    expect(created.status).toBe(201);
    const sessionId = created.body.id as string;
    const session = await new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey })
      .project(api.projectId)
      .sessions.get(sessionId);
    let watched: Message[] = [];
    let notify: () => void = () => undefined;
    const unsubscribe = session.watchMessages().onSnapshot((items) => {
      watched = items;
      notify();
    });

    const base = Date.now() - 10 * 60_000;
    const statuses: number[] = [];
    const speaker = async (s: number) => {
      for (let i = 0; i < LINES; i++) {
        const body = {
          id: `s${s}-${i}`,
          senderName: `Speaker ${s}`,
          peerId: `peer-${s}`,
          content: `Speaker ${s}, line ${i}`,
          timestamp: new Date(base + i * 500 + s).toISOString(),
        };
        const post = () => bot.post(`/sessions/${sessionId}/messages`, body);
        const answers = await Promise.all(i % 10 === 0 ? [post(), post()] : [post()]);
        statuses.push(...answers.map((a) => a.status));
      }
    };
    await Promise.all(Array.from({ length: SPEAKERS }, (_, s) => speaker(s)));
    expect(statuses.filter((s) => s !== 201 && s !== 200)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(SPEAKERS * LINES);

    const transcript = await session.getMessages();
    expect(transcript).toHaveLength(SPEAKERS * LINES);
    expect(new Set(transcript.map((m) => m.id)).size).toBe(SPEAKERS * LINES);
    const chronological = [...transcript].sort((a, b) =>
      a.timestamp === b.timestamp ? (a.id < b.id ? -1 : 1) : a.timestamp < b.timestamp ? -1 : 1,
    );
    expect(transcript.map((m) => m.id)).toEqual(chronological.map((m) => m.id));

    // The watcher opened before the first post has every message, in the same order.
    while (watched.length < SPEAKERS * LINES) await new Promise<void>((r) => (notify = r));
    unsubscribe();
    expect(watched.map((m) => m.id)).toEqual(transcript.map((m) => m.id));

    // The session's event log: versions 1..n without a gap, one message.created per message.
    const events = await committedEvents(rt, api.projectId, sessionId);
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    const published = events.filter((e) => e.type === "message.created").map((e) => (e.data.message as Message).id);
    expect(published).toHaveLength(SPEAKERS * LINES);
    expect(new Set(published).size).toBe(SPEAKERS * LINES);
    expect((await session.refresh()).messageCount).toBe(SPEAKERS * LINES);
  });
});
