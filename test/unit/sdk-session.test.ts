import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applyMessageAnnotationEvent,
  applyMessageEvent,
  applySessionAnnotationEvent,
  compareMessageAnnotations,
  compareMessages,
  compareSessionAnnotations,
  CortexClient,
  type AnnotationType,
  type DocumentChange,
  type EventEnvelope,
  type Message,
  type MessageAnnotation,
  type SessionAnnotation,
  type SessionData,
  sessionAfter,
} from "../../sdk/src/index.js";
import { withCurrent } from "../../shared/domain/plugins/annotations.js";

/**
 * The SDK's Session against a scripted fetch (no server): what it asks for, in which order, with which
 * headers, and how live views fold the answers. The same behaviour against the local runtime is in
 * test/e2e/sdk-sessions.test.ts.
 */

const BASE = "http://api.test";
const KEY = "test-key";
const PATH = "/v1/projects/demo/sessions/sess_1";

interface Call {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
}

type Route = (call: Call) => Response | Promise<Response>;

/** A fetch that answers from routes ("GET /path" → handler) and records every call. */
function fakeFetch(routes: Record<string, Route>) {
  const calls: Call[] = [];
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const url = new URL(input);
    const call: Call = {
      method: init.method ?? "GET",
      url,
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? init.body : undefined,
    };
    calls.push(call);
    const route = routes[`${call.method} ${url.pathname}`] ?? routes[`${call.method} ${url.origin}${url.pathname}`];
    if (!route) return json(404, { type: "about:blank", title: "Not Found", status: 404, code: "not_found" });
    const response = await route(call);
    // The SSE route's stream ends when the caller aborts, as a real connection would.
    init.signal?.addEventListener("abort", () => void response.body?.cancel().catch(() => undefined), { once: true });
    return response;
  };
  return { fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

/** An event stream the test writes to. */
function eventStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const encoder = new TextEncoder();
  return {
    response: () => new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } }),
    send(...events: EventEnvelope[]) {
      const text = events.map((e) => `id: ${e.version}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
      controller.enqueue(encoder.encode(text));
    },
  };
}

const T0 = Date.parse("2030-01-01T09:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function session(version: number, patch: Partial<SessionData> = {}): SessionData {
  return {
    id: "sess_1",
    tenantId: "t",
    projectId: "demo",
    externalRoomId: "room",
    gateway: "gateway.odin.4players.io",
    title: "Daily stand-up",
    status: "active",
    bot: { state: "requested", commandId: "cmd_1", updatedAt: at(0) },
    messageCount: 0,
    createdByUserId: "key_1",
    version,
    createdAt: at(0),
    updatedAt: at(0),
    ...patch,
  };
}

function message(id: string, second: number, content = `said at ${second}`): Message {
  return {
    id,
    sessionId: "sess_1",
    tenantId: "t",
    projectId: "demo",
    type: "user",
    senderName: "Alice",
    peerId: "alice",
    content,
    timestamp: at(second),
    hasDebugAudio: false,
    createdAt: at(second),
  };
}

function event(version: number, type: string, data: Record<string, unknown>): EventEnvelope {
  return {
    id: `evt_${version}`,
    type,
    version,
    projectId: "demo",
    tenantId: "t",
    resource: "session:sess_1",
    occurredAt: at(version),
    data,
  };
}

const created = (version: number, m: Message) => event(version, "message.created", { message: m });

async function until<T>(probe: () => T | undefined, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

function project(fetch: ReturnType<typeof fakeFetch>["fetch"]) {
  return new CortexClient({ baseUrl: BASE, apiKey: KEY, fetch, retryBaseMs: 1 }).project("demo");
}

describe("compareMessages and applyMessageEvent", () => {
  it("order by timestamp, then by id", () => {
    const list = [message("b", 2), message("c", 1), message("a", 2)];
    expect(list.sort(compareMessages).map((m) => m.id)).toEqual(["c", "a", "b"]);
  });

  it("a message.created for a listed id replaces it instead of adding a second entry", () => {
    const items = new Map([["m1", message("m1", 1)]]);
    applyMessageEvent(items, created(4, message("m1", 1)));
    applyMessageEvent(items, created(5, message("m2", 0)));
    applyMessageEvent(items, event(6, "session.updated", { session: session(6) }));
    expect([...items.keys()]).toEqual(["m1", "m2"]);
  });
});

describe("Session actions", () => {
  it("start() and stop() answer { message } only, and the object takes the session they return", async () => {
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(2)),
      [`POST ${PATH}/start`]: () =>
        json(202, {
          message: "Bot start command sent",
          session: session(3, { bot: { state: "requested", updatedAt: at(3) } }),
        }),
      [`POST ${PATH}/stop`]: () =>
        json(202, {
          message: "Bot stop command sent",
          session: session(5, { status: "ended", endedReason: "stopped" }),
        }),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    expect(await s.start()).toEqual({ message: "Bot start command sent" });
    expect(s.version).toBe(3);
    expect(await s.stop()).toEqual({ message: "Bot stop command sent" });
    expect(s).toMatchObject({ status: "ended", endedReason: "stopped", version: 5 });
    expect(s.data.status).toBe("ended");
    expect(JSON.parse(JSON.stringify(s))).toEqual(session(5, { status: "ended", endedReason: "stopped" }));
  });

  it("getMessages() follows every cursor with pages of 1000 and returns one array", async () => {
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(9)),
      [`GET ${PATH}/messages`]: ({ url }) =>
        url.searchParams.get("cursor") === "p2"
          ? json(200, { items: [message("m3", 3)] })
          : json(200, { items: [message("m1", 1), message("m2", 2)], nextCursor: "p2" }),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    expect((await s.getMessages()).map((m) => m.id)).toEqual(["m1", "m2", "m3"]);
    const pages = api.calls.filter((c) => c.url.pathname.endsWith("/messages"));
    expect(pages.map((c) => [c.url.searchParams.get("limit"), c.url.searchParams.get("cursor")])).toEqual([
      ["1000", null],
      ["1000", "p2"],
    ]);
  });

  it("update() sends If-Match with the object's version when asked, and takes the answer", async () => {
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(4)),
      [`PATCH ${PATH}`]: ({ body }) => json(200, session(5, JSON.parse(body!) as Partial<SessionData>)),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    await s.update({ title: "Retro", idleTimeout: 300 }, { ifMatch: true });
    const patch = api.calls.find((c) => c.method === "PATCH")!;
    expect(patch.headers.get("if-match")).toBe('"4"');
    expect(JSON.parse(patch.body!)).toEqual({ title: "Retro", idleTimeout: 300 });
    expect(s).toMatchObject({ title: "Retro", idleTimeout: 300, version: 5 });
  });

  it("downloadDebugAudio() asks for the link as JSON, then fetches it without credentials: the exact bytes, as audio/wav", async () => {
    const wav = new Uint8Array([0x52, 0x49, 0x46, 0x46, 4, 0, 0, 0, 0x57, 0x41, 0x56, 0x45, 0, 255, 128, 7]);
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(2)),
      [`GET ${PATH}/messages/utt_1/debug-audio`]: () =>
        json(200, { url: "https://bucket.test/audio/utt_1.wav?X-Amz-Signature=abc", expiresAt: at(300) }),
      "GET https://bucket.test/audio/utt_1.wav": () => new Response(wav, { status: 200 }),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    const blob = await s.downloadDebugAudio("utt_1");
    expect(blob.type).toBe("audio/wav");
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(wav);
    const [link, download] = api.calls.slice(-2);
    expect(link!.url.searchParams.get("redirect")).toBe("false");
    expect(link!.headers.get("authorization")).toBe(`Bearer ${KEY}`);
    expect(download!.url.toString()).toBe("https://bucket.test/audio/utt_1.wav?X-Amz-Signature=abc");
    expect(download!.headers.get("authorization")).toBeNull();
  });

  it("downloadDebugAudio() reports a gone recording as a 410 CortexError", async () => {
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(2)),
      [`GET ${PATH}/messages/utt_1/debug-audio`]: () =>
        json(410, { type: "urn:cortex:problem:gone", title: "Gone", status: 410, code: "gone" }),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    await expect(s.downloadDebugAudio("utt_1")).rejects.toMatchObject({ status: 410, code: "gone" });
  });
});

describe("Session.watch()", () => {
  it("folds message.created into the session without reloading, and becomes undefined when the session is deleted", async () => {
    const stream = eventStream();
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(1)),
      [`GET ${PATH}/events`]: () => stream.response(),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    const seen: Array<number | undefined> = [];
    const view = s.watch();
    view.onSnapshot((value) => seen.push(value?.version));
    await until(() => (seen.length === 1 ? true : undefined));
    const inRoom = session(2, { bot: { state: "in_room", commandId: "cmd_1", updatedAt: at(2) } });
    stream.send(event(2, "session.bot.updated", { session: inRoom, previousState: "requested" }));
    stream.send(created(3, message("m1", 3)), created(4, message("m2", 4)));
    stream.send(event(5, "session.updated", { session: session(5, { title: "Renamed" }), changes: ["title"] }));
    await until(() => (seen.at(-1) === 5 ? true : undefined));
    expect(s.title).toBe("Renamed");
    stream.send(event(6, "session.deleted", { session: session(6) }));
    await until(() => (seen.length === 5 ? true : undefined));
    view.close();
    // The two messages arrived together: one snapshot at version 4, with both counted.
    expect(seen).toEqual([1, 2, 4, 5, undefined]);
    expect(view.current).toBeUndefined();
    // One load: the versions were consecutive, message events included, so nothing looked like a gap.
    expect(api.calls.filter((c) => c.method === "GET" && c.url.pathname === PATH)).toHaveLength(2);
    const sse = api.calls.find((c) => c.url.pathname.endsWith("/events"))!;
    expect(sse.url.searchParams.get("types")).toBeNull();
    expect(sse.headers.get("last-event-id")).toBe("1");
  });
});

describe("Session.watchMessages()", () => {
  it("reads the version, then every page, then the events after that version: chronological, no gap, no duplicate", async () => {
    const stream = eventStream();
    const order: string[] = [];
    const api = fakeFetch({
      [`GET ${PATH}`]: () => {
        order.push("session");
        return json(200, session(5, { messageCount: 2 }));
      },
      [`GET ${PATH}/messages`]: ({ url }) => {
        order.push(`messages ${url.searchParams.get("cursor") ?? "first"}`);
        // m4 is listed (posted) before its event is sequenced after version 5.
        return url.searchParams.get("cursor") === "p2"
          ? json(200, { items: [message("m4", 40)] })
          : json(200, { items: [message("m1", 10), message("m3", 30)], nextCursor: "p2" });
      },
      [`GET ${PATH}/events`]: () => {
        order.push("events");
        return stream.response();
      },
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    order.length = 0;
    const view = s.watchMessages();
    const snapshots: Array<{ ids: string[]; changes: DocumentChange<Message>[] }> = [];
    view.onSnapshot((items, changes) => snapshots.push({ ids: items.map((m) => m.id), changes }));
    await until(() => (order.includes("events") ? true : undefined));
    expect(order).toEqual(["session", "messages first", "messages p2", "events"]);
    const sse = api.calls.find((c) => c.url.pathname.endsWith("/events"))!;
    expect(sse.url.searchParams.get("types")).toBe("message.created");
    expect(sse.headers.get("last-event-id")).toBe("5");

    // m2 was said earlier than m3 but sequenced later; m4's event follows its listing; m5 is new.
    stream.send(created(6, message("m2", 20)), created(7, message("m4", 40)));
    stream.send(created(8, message("m5", 50)));
    await until(() => (snapshots.at(-1)?.ids.length === 5 ? true : undefined));
    view.close();

    expect(snapshots[0]!.ids).toEqual(["m1", "m3", "m4"]);
    expect(snapshots[0]!.changes.map((c) => c.type)).toEqual(["added", "added", "added"]);
    expect(snapshots.at(-1)!.ids).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    const later = snapshots.slice(1).flatMap((s) => s.changes);
    expect(later.map((c) => [c.type, c.id, c.newIndex])).toEqual([
      ["added", "m2", 1],
      ["added", "m5", 4],
    ]);
    expect(view.current.map((m) => m.id)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
  });
});

describe("the live session during a meeting", () => {
  it("folds message.created into the session as the server commits it: next version, one more message, utterance time", () => {
    const current = {
      id: "sess_1",
      version: 7,
      messageCount: 3,
      lastActivityAt: "2026-11-28T09:00:00.000Z",
    } as SessionData;
    const event = (type: "user" | "system") =>
      ({
        type: "message.created",
        version: 8,
        occurredAt: "2026-11-28T09:00:05.000Z",
        data: { message: { id: "m", type } },
      }) as unknown as EventEnvelope;
    expect(sessionAfter(event("user"), current)).toMatchObject({
      version: 8,
      messageCount: 4,
      lastActivityAt: "2026-11-28T09:00:05.000Z",
    });
    expect(sessionAfter(event("system"), current)).toMatchObject({
      version: 8,
      lastActivityAt: current.lastActivityAt,
    });
    expect(sessionAfter(event("user"), undefined)).toBeUndefined();
  });
});

describe("the live session and the plugins' events", () => {
  const current = { id: "sess_1", version: 7, messageCount: 3, lastActivityAt: at(1), updatedAt: at(0) } as SessionData;

  it("an annotation event advances only the session's version; an action request carries the session", () => {
    for (const type of ["message.annotation.created", "session.annotation.created"]) {
      expect(sessionAfter(event(8, type, { annotation: { id: "ann_1" } }), current)).toEqual({
        ...current,
        version: 8,
      });
      expect(sessionAfter(event(8, type, { annotation: { id: "ann_1" } }), undefined)).toBeUndefined();
    }
    const requested = session(8, { title: "Carried" });
    expect(
      sessionAfter(
        event(8, "session.action.requested", {
          session: requested,
          action: { pluginId: "summary", actionId: "generate-minutes", requestId: "req_1" },
        }),
        current,
      ),
    ).toBe(requested);
    // An event this SDK does not know, carrying no session, says nothing about it.
    expect(sessionAfter(event(8, "session.something.new", {}), current)).toBeUndefined();
  });

  it("watch() keeps version in step through annotation events, so update({ ifMatch: true }) sends the server's version", async () => {
    const stream = eventStream();
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(1)),
      [`GET ${PATH}/events`]: () => stream.response(),
      [`PATCH ${PATH}`]: () => json(200, session(4, { title: "Retro" })),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    const seen: Array<number | undefined> = [];
    const view = s.watch();
    view.onSnapshot((value) => seen.push(value?.version));
    await until(() => (seen.length === 1 ? true : undefined));
    stream.send(created(2, message("m1", 2)));
    stream.send(event(3, "message.annotation.created", { annotation: messageAnnotation("ann_1", "m1", "sentiment") }));
    await until(() => (seen.at(-1) === 3 ? true : undefined));
    expect(s).toMatchObject({ version: 3, messageCount: 1, title: "Daily stand-up" });
    await s.update({ title: "Retro" }, { ifMatch: true });
    view.close();
    expect(api.calls.find((c) => c.method === "PATCH")!.headers.get("if-match")).toBe('"3"');
  });
});

// ── Annotations ─────────────────────────────────────────────────────────────────────────────────────────

function messageAnnotation(
  id: string,
  messageId: string,
  type: "profanity" | "sentiment",
  patch: Partial<MessageAnnotation> = {},
): MessageAnnotation {
  return {
    id,
    tenantId: "t",
    projectId: "demo",
    sessionId: "sess_1",
    messageId,
    pluginId: type,
    pluginInstanceId: `demo/${type}`,
    type,
    data: { engine: "test@1", score: 0.5 },
    trigger: { kind: "message.created" },
    createdAt: at(1),
    ...patch,
  };
}

function sessionAnnotation(
  id: string,
  type: AnnotationType,
  second: number,
  current: boolean,
  patch: Partial<SessionAnnotation> = {},
): SessionAnnotation {
  return {
    id,
    tenantId: "t",
    projectId: "demo",
    sessionId: "sess_1",
    pluginId: type === "profanity" ? "profanity" : type,
    type,
    data: { engine: "test@1" },
    trigger: { kind: "session.ended" },
    createdAt: at(second),
    current,
    ...patch,
  };
}

describe("message annotation folds", () => {
  it("order as the listing's sort key does: by message id, then plugin", () => {
    const list = [
      messageAnnotation("ann_1", "msg_2", "profanity"),
      messageAnnotation("ann_2", "msg_10", "sentiment"),
      messageAnnotation("ann_3", "msg_1", "sentiment"),
      messageAnnotation("ann_4", "msg_2", "sentiment"),
      messageAnnotation("ann_5", "msg_1", "profanity"),
    ];
    expect(list.sort(compareMessageAnnotations).map((a) => `${a.messageId}/${a.pluginId}`)).toEqual([
      "msg_1/profanity",
      "msg_1/sentiment",
      "msg_10/sentiment",
      "msg_2/profanity",
      "msg_2/sentiment",
    ]);
  });

  it("an event for a listed annotation replaces it (now with its version); other events change nothing", () => {
    const listed = messageAnnotation("ann_1", "m1", "sentiment");
    const items = new Map([[listed.id, listed]]);
    applyMessageAnnotationEvent(
      items,
      event(5, "message.annotation.created", { annotation: { ...listed, version: 5 } }),
    );
    applyMessageAnnotationEvent(
      items,
      event(6, "message.annotation.created", { annotation: messageAnnotation("ann_2", "m1", "profanity") }),
    );
    applyMessageAnnotationEvent(
      items,
      event(7, "session.annotation.created", { annotation: sessionAnnotation("ann_3", "summary", 7, true) }),
    );
    expect([...items.keys()]).toEqual(["ann_1", "ann_2"]);
    expect(items.get("ann_1")!.version).toBe(5);
  });
});

describe("session annotation folds", () => {
  it("a regenerated summary becomes current and the one it supersedes turns current: false; other types keep theirs", () => {
    const items = new Map(
      [sessionAnnotation("ann_a", "summary", 10, true), sessionAnnotation("ann_b", "action_items", 11, true)].map(
        (a) => [a.id, a] as const,
      ),
    );
    applySessionAnnotationEvent(
      items,
      event(9, "session.annotation.created", {
        annotation: sessionAnnotation("ann_c", "summary", 20, true, { version: 9 }),
      }),
    );
    const folded = [...items.values()].sort(compareSessionAnnotations);
    expect(folded.map((a) => [a.id, a.current])).toEqual([
      ["ann_a", false],
      ["ann_b", true],
      ["ann_c", true],
    ]);
  });

  it("an older annotation arriving after a newer one of its type does not take current from it", () => {
    const items = new Map([["ann_new", sessionAnnotation("ann_new", "sentiment", 30, true)]]);
    applySessionAnnotationEvent(
      items,
      event(4, "session.annotation.created", { annotation: sessionAnnotation("ann_old", "sentiment", 20, true) }),
    );
    expect(items.get("ann_new")!.current).toBe(true);
    expect(items.get("ann_old")!.current).toBe(false);
  });

  it("snapshot plus events, in any order and with any overlap, equals a fresh read (the server's withCurrent)", () => {
    const annotationsArb = fc
      .uniqueArray(
        fc.record({
          n: fc.integer({ min: 0, max: 999 }),
          type: fc.constantFrom<AnnotationType>("summary", "action_items", "sentiment"),
          second: fc.integer({ min: 0, max: 3 }),
        }),
        { selector: (a) => a.n, minLength: 1, maxLength: 12 },
      )
      .map((list) =>
        list.map(({ n, type, second }) => sessionAnnotation(`ann_${String(n).padStart(3, "0")}`, type, second, false)),
      );
    const scenario = annotationsArb.chain((all) =>
      fc.record({
        all: fc.constant(all),
        listed: fc.array(fc.boolean(), { minLength: all.length, maxLength: all.length }),
        replayed: fc.array(fc.boolean(), { minLength: all.length, maxLength: all.length }),
        order: fc.shuffledSubarray(
          all.map((_, i) => i),
          { minLength: all.length, maxLength: all.length },
        ),
      }),
    );
    fc.assert(
      fc.property(scenario, ({ all, listed, replayed, order }) => {
        // The snapshot lists what was written by then (current as the server marks it); every annotation
        // not listed has its event after the snapshot's version, and a listed one may have its event too.
        const snapshot = withCurrent(all.filter((_, i) => listed[i]));
        const items = new Map(snapshot.map((a) => [a.id, a] as const));
        let version = 1;
        for (const i of order) {
          if (listed[i] && !replayed[i]) continue;
          const published = { ...all[i]!, current: true };
          applySessionAnnotationEvent(items, event(++version, "session.annotation.created", { annotation: published }));
        }
        expect([...items.values()].sort(compareSessionAnnotations)).toEqual(withCurrent(all));
      }),
    );
  });
});

describe("Session plugin calls", () => {
  const accepted = (actionId: string, pluginId = "summary") => ({
    message: "Generate minutes requested",
    sessionId: "sess_1",
    pluginId,
    actionId,
    requestId: "req_1",
  });

  it("getActions() reads …/actions; runAction() POSTs the plugin's action; regenerateSummary() resolves with nothing once accepted", async () => {
    const actions = {
      sessionId: "sess_1",
      plugins: [
        {
          id: "summary",
          pluginInstanceId: "demo/summary",
          name: "Summary",
          description: "Summarizes the meeting.",
          actions: [{ id: "generate-minutes", name: "Generate minutes", description: "Summarize." }],
        },
      ],
    };
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(2)),
      [`GET ${PATH}/actions`]: () => json(200, actions),
      [`POST ${PATH}/actions/action_items/extract-action-items`]: () =>
        json(202, accepted("extract-action-items", "action_items")),
      [`POST ${PATH}/summary/regenerate`]: () => json(202, accepted("generate-minutes")),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    expect(await s.getActions()).toEqual(actions);
    expect(await s.runAction("action_items", "extract-action-items")).toEqual(
      accepted("extract-action-items", "action_items"),
    );
    expect(await s.regenerateSummary({ idempotencyKey: "minutes-1" })).toBeUndefined();
    await s.regenerateSummary();
    const posts = api.calls.filter((c) => c.method === "POST");
    expect(posts.map((c) => c.url.pathname)).toEqual([
      `${PATH}/actions/action_items/extract-action-items`,
      `${PATH}/summary/regenerate`,
      `${PATH}/summary/regenerate`,
    ]);
    expect(posts[1]!.headers.get("idempotency-key")).toBe("minutes-1");
    // Without one, each call gets its own generated key.
    expect(posts[2]!.headers.get("idempotency-key")).toMatch(/^[0-9a-f-]{36}$/);
    expect(posts[0]!.headers.get("idempotency-key")).not.toBe(posts[2]!.headers.get("idempotency-key"));
  });

  it("a disabled plugin's action rejects with the API's 409", async () => {
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(2)),
      [`POST ${PATH}/summary/regenerate`]: () =>
        json(409, {
          type: "urn:cortex:problem:plugin_disabled",
          title: "Conflict",
          status: 409,
          code: "plugin_disabled",
        }),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    await expect(s.regenerateSummary()).rejects.toMatchObject({ status: 409, code: "plugin_disabled" });
  });

  it("getMessageAnnotations() follows every cursor with pages of 1000; a messageId narrows it; getSessionAnnotations() passes the type", async () => {
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(2)),
      [`GET ${PATH}/message-annotations`]: ({ url }) =>
        url.searchParams.get("cursor") === "p2"
          ? json(200, { items: [messageAnnotation("ann_3", "m2", "sentiment")] })
          : json(200, {
              items: [messageAnnotation("ann_1", "m1", "profanity"), messageAnnotation("ann_2", "m1", "sentiment")],
              nextCursor: "p2",
            }),
      [`GET ${PATH}/annotations`]: () => json(200, { items: [sessionAnnotation("ann_9", "summary", 9, true)] }),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    expect((await s.getMessageAnnotations()).map((a) => a.id)).toEqual(["ann_1", "ann_2", "ann_3"]);
    await s.messageAnnotations({ messageId: "m1", limit: 2 }).page();
    expect((await s.getSessionAnnotations({ type: "summary" })).map((a) => a.id)).toEqual(["ann_9"]);
    await s.getSessionAnnotations();
    const reads = api.calls
      .filter((c) => c.url.pathname !== PATH)
      .map((c) => `${c.url.pathname}?${c.url.searchParams}`);
    expect(reads).toEqual([
      `${PATH}/message-annotations?limit=1000`,
      `${PATH}/message-annotations?limit=1000&cursor=p2`,
      `${PATH}/message-annotations?messageId=m1&limit=2`,
      `${PATH}/annotations?type=summary`,
      `${PATH}/annotations?`,
    ]);
  });
});

describe("Session.watchSessionAnnotations() and watchMessageAnnotations()", () => {
  it("session annotations: version, then the listing, then its events; a regenerated summary turns the old one not current", async () => {
    const stream = eventStream();
    const order: string[] = [];
    const summary = sessionAnnotation("ann_1", "summary", 10, true, { version: 3 });
    const items = sessionAnnotation("ann_2", "action_items", 11, true, { version: 4 });
    const api = fakeFetch({
      [`GET ${PATH}`]: () => {
        order.push("session");
        return json(200, session(4));
      },
      [`GET ${PATH}/annotations`]: () => {
        order.push("annotations");
        return json(200, { items: [summary, items] });
      },
      [`GET ${PATH}/events`]: () => {
        order.push("events");
        return stream.response();
      },
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    order.length = 0;
    const view = s.watchSessionAnnotations();
    const snapshots: Array<{ items: SessionAnnotation[]; changes: DocumentChange<SessionAnnotation>[] }> = [];
    view.onSnapshot((all, changes) => snapshots.push({ items: all, changes }));
    await until(() => (order.includes("events") && snapshots.length === 1 ? true : undefined));
    expect(order).toEqual(["session", "annotations", "events"]);
    const sse = api.calls.find((c) => c.url.pathname.endsWith("/events"))!;
    expect(sse.url.searchParams.get("types")).toBe("session.annotation.created");
    expect(sse.headers.get("last-event-id")).toBe("4");

    const regenerated = sessionAnnotation("ann_3", "summary", 30, true, {
      version: 6,
      trigger: { kind: "action", actionId: "generate-minutes", requestId: "req_1" },
    });
    stream.send(event(6, "session.annotation.created", { annotation: regenerated }));
    await until(() => (snapshots.length === 2 ? true : undefined));
    view.close();
    expect(snapshots[1]!.items.map((a) => [a.id, a.current])).toEqual([
      ["ann_1", false],
      ["ann_2", true],
      ["ann_3", true],
    ]);
    expect(snapshots[1]!.changes.map((c) => [c.type, c.id, c.oldIndex, c.newIndex])).toEqual([
      ["modified", "ann_1", 0, 0],
      ["added", "ann_3", -1, 2],
    ]);
  });

  it("message annotations: version, then every page (1000 a page), then their events folded in by id", async () => {
    const stream = eventStream();
    const listedEarly = messageAnnotation("ann_2", "m2", "sentiment"); // listed before it was sequenced
    const api = fakeFetch({
      [`GET ${PATH}`]: () => json(200, session(5)),
      [`GET ${PATH}/message-annotations`]: ({ url }) =>
        url.searchParams.get("cursor") === "p2"
          ? json(200, { items: [listedEarly] })
          : json(200, { items: [messageAnnotation("ann_1", "m1", "sentiment", { version: 4 })], nextCursor: "p2" }),
      [`GET ${PATH}/events`]: () => stream.response(),
    });
    const s = await project(api.fetch).sessions.get("sess_1");
    const view = s.watchMessageAnnotations();
    const snapshots: string[][] = [];
    view.onSnapshot((all) => snapshots.push(all.map((a) => `${a.id}@${a.version ?? "-"}`)));
    await until(() => (snapshots.length === 1 ? true : undefined));
    const sse = api.calls.find((c) => c.url.pathname.endsWith("/events"))!;
    expect(sse.url.searchParams.get("types")).toBe("message.annotation.created");
    expect(sse.headers.get("last-event-id")).toBe("5");
    const pages = api.calls.filter((c) => c.url.pathname.endsWith("/message-annotations"));
    expect(pages.map((c) => c.url.searchParams.get("limit"))).toEqual(["1000", "1000"]);

    stream.send(event(6, "message.annotation.created", { annotation: { ...listedEarly, version: 6 } }));
    stream.send(
      event(7, "message.annotation.created", {
        annotation: messageAnnotation("ann_0", "m1", "profanity", { version: 7 }),
      }),
    );
    await until(() => (snapshots.at(-1)!.length === 3 ? true : undefined));
    view.close();
    expect(snapshots[0]).toEqual(["ann_1@4", "ann_2@-"]);
    expect(view.current.map((a) => `${a.id}@${a.version}`)).toEqual(["ann_0@7", "ann_1@4", "ann_2@6"]);
  });
});

describe("project.plugins", () => {
  const instance = (id: string, enabled: boolean) => ({
    id,
    pluginInstanceId: `demo/${id}`,
    name: id,
    description: `The ${id} plugin.`,
    writes: [id],
    listensTo: ["session.ended"],
    actions: [],
    enabled,
    config: {},
  });

  it("list() reads every plugin; get() picks one from it; update() PUTs { enabled?, config? } and answers the instance", async () => {
    const api = fakeFetch({
      "GET /v1/projects/demo/plugins": () =>
        json(200, { items: [instance("profanity", true), instance("summary", true)] }),
      "PUT /v1/projects/demo/plugins/summary": ({ body }) =>
        json(200, { ...instance("summary", true), ...(JSON.parse(body!) as object), updatedAt: at(5) }),
    });
    const plugins = project(api.fetch).plugins;
    expect((await plugins.list()).map((p) => p.id)).toEqual(["profanity", "summary"]);
    expect(await plugins.get("summary")).toMatchObject({ id: "summary", enabled: true });
    expect(await plugins.get("nonesuch")).toBeUndefined();
    expect(await plugins.update("summary", { enabled: false })).toMatchObject({ id: "summary", enabled: false });
    const put = api.calls.find((c) => c.method === "PUT")!;
    expect(JSON.parse(put.body!)).toEqual({ enabled: false });
    expect(put.headers.get("content-type")).toBe("application/json");
  });
});
