import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, uniqueProject } from "../support/http.js";
import {
  advanceClock,
  sharedRuntime,
  startRuntime,
  type RunningRuntime,
  type RuntimeEndpoints,
} from "../support/runtime.js";
import { openSse, type SseConnection } from "../support/sse.js";

/** SSE watches over real sockets against the local runtime: ordered, gapless, exactly once, resumable. */
const rt = sharedRuntime();
let short: RunningRuntime;
beforeAll(async () => {
  // Tiny replay window, heartbeat and stream lifetime, to see each limit act.
  short = await startRuntime(["--in-memory"], {
    EVENT_REPLAY_WINDOW_DAYS: String(2 / 86_400),
    SSE_HEARTBEAT_SECONDS: "1",
    SSE_MAX_DURATION_SECONDS: "3",
  });
});
afterAll(async () => {
  short.process.kill("SIGINT");
  await short.exited;
});

const auth = (r: RuntimeEndpoints) => ({ Authorization: `Bearer ${r.apiKey}` });
const eventsUrl = (api: ApiClient, id: string, query = "") =>
  `${api.rt.apiUrl}/v1/projects/${api.projectId}/gatherings/${id}/events${query}`;

async function collect(
  sse: SseConnection,
  untilVersion: number,
  into: Array<{ id: string; version: number; type: string; data: any }>,
  max = Infinity,
) {
  let taken = 0;
  while (taken < max) {
    const message = await sse.next(15_000);
    if (!message) return;
    if (message.event === "reset" || message.event === "end") throw new Error(`unexpected ${message.event}`);
    const event = JSON.parse(message.data);
    expect(message.id).toBe(String(event.version));
    expect(message.event).toBe(event.type);
    into.push(event);
    taken++;
    if (event.version >= untilVersion) return;
  }
}

describe("SSE watch of a gathering", () => {
  it("receives v+1..v+100 in order exactly once while 100 member changes happen concurrently, across a reconnect with Last-Event-ID", async () => {
    const api = new ApiClient(rt, uniqueProject("sse"));
    const g = await api.create({ name: "Busy", type: "open" });
    await api.post(`/gatherings/${g.id}/members`, { participantId: "host" });
    const v = (await api.get(`/gatherings/${g.id}`)).body.version;

    const first = await openSse(eventsUrl(api, g.id, `?after=${v}`), auth(rt));
    expect(first.status).toBe(200);
    expect(first.contentType).toBe("text/event-stream");
    const changes = Promise.all(
      Array.from({ length: 100 }, (_, i) => api.post(`/gatherings/${g.id}/members`, { participantId: `p${i}` })),
    );
    const received: Array<{ id: string; version: number; type: string; data: any }> = [];
    await collect(first, v + 100, received, 40);
    first.close();
    const resumeFrom = received.at(-1)!.version;
    const second = await openSse(eventsUrl(api, g.id), { ...auth(rt), "Last-Event-ID": String(resumeFrom) });
    await changes;
    await collect(second, v + 100, received);
    second.close();

    expect(received.map((e) => e.version)).toEqual(Array.from({ length: 100 }, (_, i) => v + 1 + i));
    expect(new Set(received.map((e) => e.id)).size).toBe(100);
    expect(received.every((e) => e.type === "gathering.member.joined")).toBe(true);
  });

  it("a snapshot plus the events after its version equals a fresh snapshot taken at the end", async () => {
    const api = new ApiClient(rt, uniqueProject("sse"));
    const g = await api.create({ name: "Lobby", type: "lobby", maxMembers: 6 });
    for (const p of ["a", "b", "c"]) await api.post(`/gatherings/${g.id}/members`, { participantId: p });
    // The snapshot: the gathering (with its version) and its members.
    const snapshot = (await api.get(`/gatherings/${g.id}`)).body;
    const members = new Map<string, any>(
      (await api.get(`/gatherings/${g.id}/members?limit=100`)).body.items.map((m: any) => [m.participantId, m]),
    );
    const sse = await openSse(eventsUrl(api, g.id, `?after=${snapshot.version}`), auth(rt));
    await Promise.all([
      api.post(`/gatherings/${g.id}/members/a/ready`),
      api.post(`/gatherings/${g.id}/members/b/leave`),
      api.post(`/gatherings/${g.id}/members`, { participantId: "d" }),
      api.post(`/gatherings/${g.id}/members/c/ready`),
      api.patch(`/gatherings/${g.id}`, { name: "Renamed" }),
      api.delete(`/gatherings/${g.id}/members/c`),
      api.post(`/gatherings/${g.id}/owner`, { participantId: "d" }),
    ]);
    const final = (await api.get(`/gatherings/${g.id}`)).body;
    const received: any[] = [];
    await collect(sse, final.version, received);
    sse.close();

    // Fold the events into the snapshot: each carries the gathering (and member) at its version.
    let gathering = snapshot;
    for (const e of received) {
      gathering = e.data.gathering;
      const m = e.data.member;
      if (m && e.type === "gathering.member.removed") members.delete(m.participantId);
      else if (m) members.set(m.participantId, m);
      if (e.type === "gathering.owner.changed") {
        for (const [id, member] of members)
          members.set(id, { ...member, role: id === e.data.ownerId ? "owner" : "member" });
      }
    }
    expect(gathering).toEqual(final);
    const fresh = (await api.get(`/gatherings/${g.id}/members?limit=100`)).body.items;
    const strip = (m: any) => ({ participantId: m.participantId, status: m.status, role: m.role });
    expect([...members.values()].map(strip).sort((x, y) => x.participantId.localeCompare(y.participantId))).toEqual(
      fresh.map(strip),
    );
  });

  it("filters by event type with ?types=, wildcards included", async () => {
    const api = new ApiClient(rt, uniqueProject("sse"));
    const g = await api.create({ name: "L", type: "lobby" });
    const sse = await openSse(eventsUrl(api, g.id, "?after=0&types=gathering.member.*,gathering.started"), auth(rt));
    await api.post(`/gatherings/${g.id}/members`, { participantId: "a" });
    await api.post(`/gatherings/${g.id}/members/a/ready`);
    await api.post(`/gatherings/${g.id}/start`);
    const types: string[] = [];
    for (let i = 0; i < 3; i++) types.push((await sse.next())!.event);
    sse.close();
    expect(types).toEqual(["gathering.member.joined", "gathering.member.ready", "gathering.started"]);
  });

  it("answers bad requests before streaming: 400 for a bad filter or Last-Event-ID, 404 for an unknown gathering, 401 without a key", async () => {
    const api = new ApiClient(rt, uniqueProject("sse"));
    const g = await api.create({ name: "L", type: "lobby" });
    const badType = await fetch(eventsUrl(api, g.id, "?types=gathering.nope"), { headers: auth(rt) });
    expect(badType.status).toBe(400);
    expect(badType.headers.get("content-type")).toBe("application/problem+json");
    expect(((await badType.json()) as any).errors[0].path).toBe("types.0");
    expect((await fetch(eventsUrl(api, g.id), { headers: { ...auth(rt), "Last-Event-ID": "abc" } })).status).toBe(400);
    expect((await fetch(eventsUrl(api, "gth_01aaaaaaaaaaaaaaaaaaaaaaaa"), { headers: auth(rt) })).status).toBe(404);
    expect((await fetch(eventsUrl(api, g.id))).status).toBe(401);
  });

  it("tells a client whose version is older than the replay window to reload its snapshot", async () => {
    const api = new ApiClient(short, uniqueProject("sse"));
    const g = await api.create({ name: "Old", type: "lobby" });
    await api.post(`/gatherings/${g.id}/members`, { participantId: "a" });
    await advanceClock(short, 3); // the 2-second replay window passes, on the runtime's clock
    const sse = await openSse(eventsUrl(api, g.id, "?after=0"), auth(short));
    const message = await sse.next();
    sse.close();
    expect(message?.event).toBe("reset");
    expect(JSON.parse(message!.data)).toEqual({ reason: "replay_window_exceeded", version: 3 });
  });

  it("sends a retry hint and comment heartbeats, and ends cleanly before its time limit", async () => {
    const api = new ApiClient(short, uniqueProject("sse"));
    const g = await api.create({ name: "Quiet", type: "lobby" });
    const sse = await openSse(eventsUrl(api, g.id), auth(short));
    const end = await sse.next(10_000);
    await sse.ended;
    expect(sse.retry).toBe(1000);
    expect(sse.comments.some((c) => c.startsWith("heartbeat"))).toBe(true);
    expect(end?.event).toBe("end");
    expect(JSON.parse(end!.data)).toEqual({ reason: "max_duration", lastEventId: 1 });
  });
});
