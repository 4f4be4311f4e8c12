import { describe, expect, it } from "vitest";
import {
  CortexClient,
  type CortexError,
  type DocumentChange,
  type GatheringData,
  type Member,
} from "../../sdk/src/index.js";
import { readEventStream, type SseMessage } from "../../sdk/src/sse.js";
import { diffLists } from "../../sdk/src/subscriptions.js";

/**
 * The live layer against a scripted server (a fake `fetch`): SSE parsing, resume with Last-Event-ID,
 * gap and reset handling, `event: end`, failures, idle connections, listener lifecycle, and the change
 * lists of collection snapshots. The same behaviour against the real runtime is in sdk.test.ts.
 */

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function parse(chunks: string[]): Promise<{ messages: SseMessage[]; retry?: number }> {
  const messages: SseMessage[] = [];
  let retry: number | undefined;
  for await (const chunk of readEventStream(streamOf(chunks))) {
    messages.push(...chunk.messages);
    if (chunk.retry !== undefined) retry = chunk.retry;
  }
  return { messages, ...(retry !== undefined && { retry }) };
}

describe("readEventStream", () => {
  it("parses events, ids, multi-line data, comments and retry, across any line ending and chunk split", async () => {
    const text =
      '\uFEFFretry: 1500\n: a comment\n\nid: 1\nevent: gathering.created\ndata: {"a":1}\n\n' +
      "id: 2\r\nevent: x\r\ndata: line one\r\ndata:line two\r\n\r\n" +
      "data: cr only\r\rid: 3\nevent: end\ndata: {}\n\n" +
      "data: no blank line at the end";
    const whole = await parse([text]);
    // Split everywhere, including between \r and \n, and inside the BOM's encoding.
    const bytes = new TextEncoder().encode(text);
    const pieces: string[] = [];
    const decoder = new TextDecoder();
    for (let i = 0; i < bytes.length; i += 3) pieces.push(decoder.decode(bytes.slice(i, i + 3), { stream: true }));
    const split = await parse(pieces);
    const expected = [
      { id: "1", event: "gathering.created", data: '{"a":1}' },
      { id: "2", event: "x", data: "line one\nline two" },
      { id: "2", event: "message", data: "cr only" },
      { id: "3", event: "end", data: "{}" },
    ];
    expect(whole).toEqual({ messages: expected, retry: 1500 });
    expect(split.messages).toEqual(expected);
  });
});

/** A scripted API: answers GETs of the gathering/members and serves queued SSE responses. */
class FakeApi {
  version = 1;
  gathering = (): GatheringData => ({
    id: "gth_1",
    projectId: "p",
    tenantId: "t",
    name: "Lobby",
    type: "lobby",
    status: "open",
    version: this.version,
    joinCode: "ABCD-1234",
    autoStartSession: false,
    listed: false,
    metadata: {},
    ownerId: null,
    memberCount: 0,
    readyCount: 0,
    createdAt: "2026-11-21T00:00:00Z",
    updatedAt: "2026-11-21T00:00:00Z",
  });
  members: Member[] = [];
  loads = 0;
  streams: Array<{ lastEventId: string | null; url: string; signal: AbortSignal }> = [];
  /** What each SSE connection answers, in order; the last one repeats. */
  script: Array<(signal: AbortSignal) => Response> = [];

  fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    const path = new URL(url).pathname;
    if (path.endsWith("/events")) {
      this.streams.push({ lastEventId: headers.get("last-event-id"), url, signal: init.signal! });
      const answer = this.script[Math.min(this.streams.length - 1, this.script.length - 1)]!;
      return answer(init.signal!);
    }
    if (path.endsWith("/members")) return Response.json({ items: this.members });
    this.loads++;
    return Response.json(this.gathering());
  };

  client(live: { idleTimeoutMs?: number } = {}) {
    return new CortexClient({
      baseUrl: "http://api.test",
      apiKey: "k",
      fetch: this.fetch,
      retryBaseMs: 1,
      live: { maxBackoffMs: 50, ...live },
    });
  }

  async lobby(live: { idleTimeoutMs?: number } = {}) {
    const lobby = await this.client(live).project("p").gatherings.get("gth_1");
    this.loads = 0;
    return lobby;
  }
}

/** An SSE event as the API sends it; gathering events carry the gathering at their version. */
const event = (
  version: number,
  type = "gathering.updated",
  data: Record<string, unknown> = { gathering: { ...new FakeApi().gathering(), version } },
) =>
  `id: ${version}\nevent: ${type}\ndata: ${JSON.stringify({ id: `evt_${version}`, type, version, projectId: "p", tenantId: "t", resource: "gathering:gth_1", occurredAt: "2026-11-21T00:00:00Z", data })}\n\n`;

/** An SSE response that sends `chunks` and then stays open until the client goes away. */
function openStream(...chunks: string[]) {
  return (signal: AbortSignal) => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const text of chunks) controller.enqueue(encoder.encode(text));
        signal.addEventListener("abort", () => controller.error(signal.reason));
      },
    });
    return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
  };
}

const closedStream = (text: string) => () =>
  new Response(streamOf([text]), { headers: { "Content-Type": "text/event-stream" } });

const until = async (condition: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("live views against a scripted server", () => {
  it("applies consecutive events, and reloads the snapshot on a version gap of an unfiltered stream", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    api.script = [
      (signal) => {
        api.version = 5; // what a reload will find
        const two = { ...api.gathering(), version: 2, name: "Two" };
        const three = { ...api.gathering(), version: 3, name: "Three" };
        return openStream(
          event(2, "gathering.updated", { gathering: two }),
          event(3, "gathering.updated", { gathering: three }) + event(5),
        )(signal);
      },
      openStream(""),
    ];
    const seen: number[] = [];
    const sub = lobby.watch();
    sub.onSnapshot((g) => seen.push(g!.version));
    await until(() => seen.includes(5) && api.streams.length === 2);
    sub.close();
    expect(seen).toEqual([1, 2, 3, 5]);
    expect(api.loads).toBe(2);
    expect(api.streams.map((s) => s.lastEventId)).toEqual(["1", "5"]);
    expect(api.streams[0]!.url).not.toContain("types=");
    // The live object followed along.
    expect(lobby.version).toBe(5);
  });

  it("tolerates version jumps on a filtered stream (the server skips other types) and drops duplicates", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const member = (participantId: string, status: Member["status"], version: number): Member => ({
      gatheringId: "gth_1",
      participantId,
      role: "member",
      status,
      presentSince: "2026-11-21T00:00:01Z",
      version,
      createdAt: "2026-11-21T00:00:01Z",
      updatedAt: "2026-11-21T00:00:01Z",
    });
    api.script = [
      openStream(
        event(3, "gathering.member.joined", { member: member("a", "joined", 3) }) +
          event(7, "gathering.member.ready", { member: member("a", "ready", 7) }) +
          event(7, "gathering.member.unready", { member: member("a", "joined", 7) }),
      ),
    ];
    const statuses: string[] = [];
    const sub = lobby.watchMembers();
    sub.onSnapshot((items) => statuses.push(items.map((m) => m.status).join(",")));
    await until(() => statuses.at(-1) === "ready");
    await new Promise((r) => setTimeout(r, 50));
    sub.close();
    expect(statuses).toEqual(["", "ready"]);
    expect(api.loads).toBe(1);
    expect(new URL(api.streams[0]!.url).searchParams.get("types")).toBe("gathering.member.*,gathering.owner.changed");
  });

  it("reloads on `event: reset`, and resumes after `event: end` with its lastEventId without reloading", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    api.script = [
      closedStream(`retry: 10\n\n${event(2)}event: end\ndata: {"reason":"max_duration","lastEventId":9}\n\n`),
      (signal) => {
        api.version = 20;
        return openStream('event: reset\ndata: {"reason":"replay_window_exceeded","version":20}\n\n')(signal);
      },
      openStream(event(21)),
    ];
    const seen: number[] = [];
    const sub = lobby.watch();
    sub.onSnapshot((g) => seen.push(g!.version));
    await until(() => seen.includes(21));
    sub.close();
    expect(seen).toEqual([1, 2, 20, 21]);
    expect(api.streams.map((s) => s.lastEventId)).toEqual(["1", "9", "20"]);
    expect(api.loads).toBe(2);
  });

  it("retries a failing stream with backoff, reporting each failure, and stops for good on a 4xx", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const problem = (status: number, code: string) => () =>
      Response.json({ type: `urn:cortex:problem:${code}`, title: code, status, code }, { status });
    api.script = [problem(503, "unavailable"), problem(503, "unavailable"), problem(404, "not_found")];
    const errors: Array<[number, string, boolean]> = [];
    const sub = lobby.watch();
    sub.onError((error, { willRetry }) => errors.push([error.status, error.code, willRetry]));
    sub.onSnapshot(() => undefined);
    await until(() => errors.length === 3);
    await new Promise((r) => setTimeout(r, 100));
    expect(errors).toEqual([
      [503, "unavailable", true],
      [503, "unavailable", true],
      [404, "not_found", false],
    ]);
    expect(api.streams).toHaveLength(3);
    expect(sub.active).toBe(false);
  });

  it("reconnects a connection that goes silent (no event, no heartbeat) for longer than idleTimeoutMs", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby({ idleTimeoutMs: 100 });
    api.script = [openStream(""), openStream(event(2))];
    const errors: CortexError[] = [];
    const sub = lobby.watch();
    sub.onError((error) => errors.push(error));
    const seen: number[] = [];
    sub.onSnapshot((g) => seen.push(g!.version));
    await until(() => seen.includes(2));
    sub.close();
    expect(errors.map((e) => e.code)).toEqual(["timeout"]);
    expect(api.streams[0]!.signal.aborted).toBe(true);
  });

  it("opens the stream with the first listener, gives late listeners the current snapshot, and closes with the last", async () => {
    const api = new FakeApi();
    api.members = [
      {
        gatheringId: "gth_1",
        participantId: "a",
        role: "owner",
        status: "ready",
        version: 1,
        createdAt: "2026-11-21T00:00:00Z",
        updatedAt: "2026-11-21T00:00:00Z",
      },
    ];
    const lobby = await api.lobby();
    api.script = [openStream("")];
    const sub = lobby.watchMembers();
    expect(sub.active).toBe(false);
    const first: Array<DocumentChange<Member>[]> = [];
    const stopFirst = sub.onSnapshot((_, changes) => first.push(changes));
    await until(() => first.length === 1);
    const late: Array<DocumentChange<Member>[]> = [];
    const stopLate = sub.onSnapshot((_, changes) => late.push(changes));
    await until(() => late.length === 1);
    expect(late[0]).toEqual([{ type: "added", id: "a", data: api.members[0], oldIndex: -1, newIndex: 0 }]);
    expect(sub.current.map((m) => m.participantId)).toEqual(["a"]);
    expect(api.streams).toHaveLength(1);
    stopFirst();
    expect(api.streams[0]!.signal.aborted).toBe(false);
    stopLate();
    expect(api.streams[0]!.signal.aborted).toBe(true);
    expect(sub.active).toBe(false);
  });

  it("says on the console when a view stops for good and nobody listens for errors", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    api.script = [
      () => Response.json({ type: "x", title: "Forbidden", status: 403, code: "forbidden" }, { status: 403 }),
    ];
    const logged: string[] = [];
    const original = console.error;
    console.error = (message: string) => logged.push(message);
    try {
      const sub = lobby.watch();
      sub.onSnapshot(() => undefined);
      await until(() => logged.length > 0);
    } finally {
      console.error = original;
    }
    expect(logged).toEqual(["[cortex] watch of gathering gth_1 stopped: Forbidden"]);
  });
});

describe("diffLists", () => {
  const replay = <T>(before: T[], changes: DocumentChange<T>[]) => {
    const list = [...before];
    for (const c of changes) {
      if (c.type === "removed") {
        expect(list.splice(c.oldIndex, 1)).toHaveLength(1);
      } else if (c.type === "added") {
        list.splice(c.newIndex, 0, c.data);
      } else {
        list.splice(c.oldIndex, 1);
        list.splice(c.newIndex, 0, c.data);
      }
    }
    return list;
  };

  it("turns any sorted list into any other when its changes are applied in order, reporting only what changed", () => {
    type Item = { id: string; key: number };
    const compare = (a: Item, b: Item) => a.key - b.key || a.id.localeCompare(b.id);
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 2000; round++) {
      const ids = Array.from({ length: 12 }, (_, i) => `m${i}`);
      const before = ids.filter(() => random(3) > 0).map((id) => ({ id, key: random(6) }));
      const after = ids
        .filter(() => random(3) > 0)
        .map((id) => {
          const old = before.find((b) => b.id === id);
          return old && random(2) === 0 ? old : { id, key: random(6) };
        });
      before.sort(compare);
      after.sort(compare);
      const changes = diffLists(before, after, (item) => item.id);
      expect(replay(before, changes)).toEqual(after);
      const unchanged = after.filter((a) => before.some((b) => b.id === a.id && b.key === a.key));
      for (const item of unchanged) expect(changes.some((c) => c.id === item.id)).toBe(false);
      expect(new Set(changes.map((c) => c.id)).size).toBe(changes.length);
    }
  });
});
