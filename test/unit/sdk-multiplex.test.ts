import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CortexClient,
  type CortexError,
  type DocumentChange,
  type GatheringData,
  type Invitation,
  type Member,
} from "../../sdk/src/index.js";

/**
 * The SDK's shared live stream against a scripted server (a fake `fetch`): the views of one gathering on
 * one client share one SSE connection, each taking exactly the events after its own snapshot, and
 * `onSnapshot(next, error)` tells a listener when its view stops for good. The same against the local
 * runtime, counted at a proxy, is in test/e2e/sdk-multiplex.test.ts.
 */

const GATHERING = "/v1/projects/p/gatherings/gth_1";
const T = "2026-11-21T00:00:00Z";

interface Connection {
  types: string | null;
  lastEventId: string | null;
  signal: AbortSignal;
  /** Sends SSE text on this connection. */
  send(text: string): void;
}

/** A scripted gathering API: the gathering, its members and invitations, and event streams the test writes to. */
class FakeApi {
  version = 1;
  members: Member[] = [];
  invitations: Invitation[] = [];
  connections: Connection[] = [];
  /** GETs of the gathering, members and invitations, by path suffix ("", "/members", "/invitations"). */
  gets: string[] = [];
  /** A GET whose answer waits for the test (path suffix → release). */
  held = new Map<string, Promise<void>>();
  /** Answers an /events request instead of opening a stream (e.g. a problem). */
  refuseStreams: (() => Response) | undefined;
  /** Answers a GET of the gathering instead (e.g. a problem). */
  refuseGathering: (() => Response) | undefined;
  /** GETs (by path suffix) answered with a 503 until removed. */
  unavailable = new Set<string>();

  fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const href = new URL(url);
    const suffix = href.pathname.slice(GATHERING.length);
    if (suffix === "/events") {
      if (this.refuseStreams) return this.refuseStreams();
      const signal = init.signal!;
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      signal.addEventListener("abort", () => controller.error(signal.reason), { once: true });
      const encoder = new TextEncoder();
      this.connections.push({
        types: href.searchParams.get("types"),
        lastEventId: new Headers(init.headers).get("last-event-id"),
        signal,
        send: (text) => controller.enqueue(encoder.encode(text)),
      });
      return new Response(body, { headers: { "Content-Type": "text/event-stream" } });
    }
    this.gets.push(suffix);
    if (this.unavailable.has(suffix)) {
      return Response.json({ type: "x", title: "Unavailable", status: 503, code: "unavailable" }, { status: 503 });
    }
    // What the answer holds is read when it is asked for, whatever it then waits for.
    const answer =
      suffix === "" ? this.gathering() : { items: suffix === "/members" ? [...this.members] : [...this.invitations] };
    await this.held.get(suffix);
    if (suffix === "" && this.refuseGathering) return this.refuseGathering();
    return Response.json(answer);
  };

  /** Holds the next GETs of `suffix` until the returned function is called. */
  hold(suffix: string): () => void {
    let release!: () => void;
    this.held.set(suffix, new Promise<void>((r) => (release = r)));
    return () => {
      this.held.delete(suffix);
      release();
    };
  }

  gathering(): GatheringData {
    return {
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
      memberCount: this.members.length,
      readyCount: 0,
      createdAt: T,
      updatedAt: T,
    };
  }

  client() {
    return new CortexClient({
      baseUrl: "http://api.test",
      apiKey: "k",
      fetch: this.fetch,
      retryBaseMs: 1,
      live: { maxBackoffMs: 20 },
    });
  }

  async lobby() {
    const lobby = await this.client().project("p").gatherings.get("gth_1");
    this.gets = [];
    return lobby;
  }

  get open(): Connection[] {
    return this.connections.filter((c) => !c.signal.aborted);
  }
}

const member = (participantId: string, version: number): Member => ({
  gatheringId: "gth_1",
  participantId,
  role: "member",
  status: "joined",
  presentSince: `2026-11-21T00:00:${String(version).padStart(2, "0")}Z`,
  version,
  createdAt: T,
  updatedAt: T,
});

const invitation = (id: string, version: number): Invitation => ({
  id,
  gatheringId: "gth_1",
  email: `${id}@example.com`,
  status: "sent",
  version,
  createdAt: `2026-11-21T00:00:${String(version).padStart(2, "0")}Z`,
  updatedAt: T,
});

/** An SSE event as the API sends it. */
const sse = (version: number, type: string, data: Record<string, unknown>) =>
  `id: ${version}\nevent: ${type}\ndata: ${JSON.stringify({ id: `evt_${version}`, type, version, projectId: "p", tenantId: "t", resource: "gathering:gth_1", occurredAt: T, data })}\n\n`;

const joined = (m: Member) => sse(m.version!, "gathering.member.joined", { member: m });
const invited = (i: Invitation) => sse(i.version!, "gathering.invitation.created", { invitation: i });

const until = async (condition: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 2));
  }
};

/** Records a collection view's snapshots: ids, and the changes replayed from nothing (a duplicate add would show). */
function record<T>(idOf: (item: T) => string) {
  const state = { calls: 0, ids: [] as string[], replayed: [] as string[], changes: [] as DocumentChange<T>[][] };
  const listener = (items: T[], changes: DocumentChange<T>[]) => {
    state.calls++;
    state.ids = items.map(idOf);
    state.changes.push(changes);
    for (const c of changes) {
      if (c.type !== "added") state.replayed.splice(c.oldIndex, 1);
      if (c.type !== "removed") state.replayed.splice(c.newIndex, 0, c.id);
    }
  };
  return { state, listener };
}

afterEach(() => vi.restoreAllMocks());

describe("one connection per gathering per client", () => {
  it("watchMembers and watchInvitations share one connection asking for both families; each view takes only its own events; it closes with the last view", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const members = record<Member>((m) => m.participantId);
    const invites = record<Invitation>((i) => i.id);
    const stopMembers = lobby.watchMembers().onSnapshot(members.listener);
    const stopInvites = lobby.watchInvitations().onSnapshot(invites.listener);
    await until(() => api.connections.length === 1 && members.state.calls === 1 && invites.state.calls === 1);
    expect(api.connections[0]).toMatchObject({
      types: "gathering.member.*,gathering.owner.changed,gathering.invitation.*",
      lastEventId: "1",
    });

    api.connections[0]!.send(joined(member("a", 2)) + invited(invitation("inv_1", 3)));
    api.connections[0]!.send(invited(invitation("inv_2", 4)));
    await until(() => invites.state.ids.length === 2 && members.state.ids.length === 1);
    expect(members.state.ids).toEqual(["a"]);
    expect(members.state.calls).toBe(2); // the invitation events did not touch it
    expect(invites.state.ids).toEqual(["inv_1", "inv_2"]);
    expect(invites.state.calls).toBe(3);

    stopMembers();
    expect(api.open).toHaveLength(1);
    stopInvites();
    expect(api.open).toHaveLength(0);
    expect(api.connections).toHaveLength(1);
  });

  it("views on different clients each have their own connection", async () => {
    const api = new FakeApi();
    const one = await api.lobby();
    const two = await api.lobby();
    const stops = [one.watchMembers().onSnapshot(() => undefined), two.watchMembers().onSnapshot(() => undefined)];
    await until(() => api.connections.length === 2);
    for (const stop of stops) stop();
    expect(api.open).toHaveLength(0);
  });

  it("a view joining a live stream whose snapshot is older than what the stream delivered meanwhile replays what the stream kept: no gap, no duplicate, no reconnect", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const first = record<Member>((m) => m.participantId);
    lobby.watchMembers().onSnapshot(first.listener);
    await until(() => api.connections.length === 1 && first.state.calls === 1);
    api.version = 2;
    api.members.push(member("a", 2));
    api.connections[0]!.send(joined(member("a", 2)));
    await until(() => first.state.ids.length === 1);

    // The late view reads the version (2) and asks for the list, which answers only after event 3 streamed.
    const release = api.hold("/members");
    const late = record<Member>((m) => m.participantId);
    lobby.watchMembers().onSnapshot(late.listener);
    await until(() => api.gets.filter((g) => g === "/members").length === 1);
    api.version = 3;
    api.members.push(member("b", 3));
    api.connections[0]!.send(joined(member("b", 3)));
    await until(() => first.state.ids.length === 2);
    release();

    await until(() => late.state.calls === 1);
    expect(late.state.ids).toEqual(["a", "b"]);
    expect(late.state.changes[0]!.map((c) => c.type)).toEqual(["added", "added"]);
    api.version = 4;
    api.connections[0]!.send(joined(member("c", 4)));
    await until(() => late.state.ids.length === 3 && first.state.ids.length === 3);
    expect(late.state.replayed).toEqual(["a", "b", "c"]);
    expect(first.state.replayed).toEqual(["a", "b", "c"]);
    expect(api.connections).toHaveLength(1);
  });

  it("a view whose snapshot predates everything the stream kept rewinds the stream to it; the other views skip what they already have", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const first = record<Member>((m) => m.participantId);
    lobby.watchMembers().onSnapshot(first.listener);
    await until(() => api.connections.length === 1 && first.state.calls === 1);
    api.connections[0]!.send(joined(member("a", 2)) + joined(member("b", 3)));
    await until(() => first.state.ids.length === 2);

    // A snapshot as of version 2 (a lagging read) arrives after the stream is at 3: the stream kept nothing before 3.
    api.version = 2;
    api.members = [member("a", 2)];
    const late = record<Member>((m) => m.participantId);
    lobby.watchMembers().onSnapshot(late.listener);
    await until(() => api.connections.length === 2);
    expect(api.connections[0]!.signal.aborted).toBe(true);
    expect(api.connections[1]).toMatchObject({ lastEventId: "2", types: "gathering.member.*,gathering.owner.changed" });
    api.connections[1]!.send(joined(member("b", 3)) + joined(member("c", 4)));
    await until(() => late.state.ids.length === 3 && first.state.ids.length === 3);
    expect(late.state.replayed).toEqual(["a", "b", "c"]);
    expect(first.state.replayed).toEqual(["a", "b", "c"]);
    expect(first.state.calls).toBe(3); // the replayed event 3 changed nothing for it
  });

  it("a view needing types the connection lacks reconnects it at once from where it was; the unfiltered watch() makes it unfiltered, with gap detection for all", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const members = record<Member>((m) => m.participantId);
    lobby.watchMembers().onSnapshot(members.listener);
    await until(() => api.connections.length === 1 && members.state.calls === 1);
    api.version = 2;
    api.members = [member("a", 2)];
    api.connections[0]!.send(joined(member("a", 2)));
    await until(() => members.state.ids.length === 1);

    const versions: number[] = [];
    lobby.watch().onSnapshot((g) => versions.push(g!.version));
    await until(() => api.connections.length === 2 && versions.length === 1);
    expect(api.connections[0]!.signal.aborted).toBe(true);
    expect(api.connections[1]).toMatchObject({ types: null, lastEventId: "2" });
    api.connections[1]!.send(sse(3, "gathering.updated", { gathering: { ...api.gathering(), version: 3 } }));
    await until(() => versions.includes(3));
    expect(members.state.calls).toBe(2);

    // A gap on the unfiltered stream: every view reloads, and one connection opens from their snapshots.
    api.version = 6;
    api.members = [member("a", 2), member("z", 5)];
    api.gets = [];
    api.connections[1]!.send(sse(6, "gathering.updated", { gathering: { ...api.gathering(), version: 6 } }));
    await until(() => api.connections.length === 3 && members.state.ids.length === 2 && versions.includes(6));
    expect(api.gets.sort()).toEqual(["", "", "/members"]);
    expect(api.connections[2]).toMatchObject({ types: null, lastEventId: "6" });
    expect(api.open).toHaveLength(1);
  });

  it("a view whose snapshot keeps failing does not hold back the others' stream; it joins once it loads, taking only the events after its own snapshot", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    api.unavailable.add("/invitations");
    const members = record<Member>((m) => m.participantId);
    const invites = record<Invitation>((i) => i.id);
    const retries: boolean[] = [];
    lobby.watchMembers().onSnapshot(members.listener);
    const invitesView = lobby.watchInvitations();
    invitesView.onError((_, { willRetry }) => retries.push(willRetry));
    invitesView.onSnapshot(invites.listener);
    await until(() => api.connections.length === 1 && members.state.calls === 1 && retries.length > 0);
    expect(retries.every(Boolean)).toBe(true);
    // The connection already carries the waiting view's types.
    expect(api.connections[0]).toMatchObject({
      types: "gathering.member.*,gathering.owner.changed,gathering.invitation.*",
      lastEventId: "1",
    });

    api.connections[0]!.send(invited(invitation("inv_1", 2)) + joined(member("a", 3)));
    await until(() => members.state.ids.length === 1);
    // The invitations come back, as of version 4: newer than the stream so far.
    api.version = 4;
    api.invitations = [invitation("inv_1", 2), invitation("inv_2", 4)];
    api.unavailable.clear();
    await until(() => invites.state.calls === 1);
    expect(invites.state.ids).toEqual(["inv_1", "inv_2"]);
    api.connections[0]!.send(invited(invitation("inv_2", 4)) + invited(invitation("inv_3", 5)));
    await until(() => invites.state.ids.length === 3);
    expect(invites.state.replayed).toEqual(["inv_1", "inv_2", "inv_3"]);
    expect(members.state.ids).toEqual(["a"]);
    expect(api.connections).toHaveLength(1);
  });

  it("event: reset reloads every view on the stream and reopens one connection from their snapshots", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const members = record<Member>((m) => m.participantId);
    const invites = record<Invitation>((i) => i.id);
    lobby.watchMembers().onSnapshot(members.listener);
    lobby.watchInvitations().onSnapshot(invites.listener);
    await until(() => api.connections.length === 1 && members.state.calls === 1 && invites.state.calls === 1);
    api.version = 20;
    api.members = [member("a", 12)];
    api.invitations = [invitation("inv_1", 15)];
    api.gets = [];
    api.connections[0]!.send('event: reset\ndata: {"reason":"replay_window_exceeded","version":20}\n\n');
    await until(() => api.connections.length === 2 && members.state.ids.length === 1 && invites.state.ids.length === 1);
    expect(api.gets.sort()).toEqual(["", "", "/invitations", "/members"]);
    expect(api.connections[1]!.lastEventId).toBe("20");
    expect(api.open).toHaveLength(1);
  });

  it("event: end resumes the shared connection from its lastEventId, for every view", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const members = record<Member>((m) => m.participantId);
    const invites = record<Invitation>((i) => i.id);
    lobby.watchMembers().onSnapshot(members.listener);
    lobby.watchInvitations().onSnapshot(invites.listener);
    await until(() => api.connections.length === 1 && invites.state.calls === 1);
    api.connections[0]!.send(
      `${joined(member("a", 2))}event: end\ndata: {"reason":"max_duration","lastEventId":7}\n\n`,
    );
    await until(() => api.connections.length === 2);
    expect(api.connections[1]!.lastEventId).toBe("7");
    api.connections[1]!.send(invited(invitation("inv_1", 8)));
    await until(() => invites.state.ids.length === 1);
    expect(members.state.ids).toEqual(["a"]);
    // One snapshot per view, none reloaded.
    expect([...api.gets].sort()).toEqual(["", "", "/invitations", "/members"]);
  });
});

describe("onSnapshot(next, error)", () => {
  it("tells the error callback once when the view stops for good (the stream answers 404), as the listener's last call, and keeps the console quiet", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    let calls = 0;
    const problem = (status: number, code: string) => () =>
      Response.json({ type: `urn:cortex:problem:${code}`, title: code, status, code }, { status });
    api.refuseStreams = problem(503, "unavailable");
    const failures: CortexError[] = [];
    const retried: boolean[] = [];
    const view = lobby.watchMembers();
    view.onError((_, { willRetry }) => retried.push(willRetry));
    view.onSnapshot(
      () => calls++,
      (error) => failures.push(error),
    );
    await until(() => retried.length === 2);
    // Transient failures are not the end: the error callback waits.
    expect(failures).toEqual([]);
    api.refuseStreams = problem(404, "not_found");
    await until(() => failures.length === 1);
    expect(failures[0]).toMatchObject({ status: 404, code: "not_found" });
    expect(retried.at(-1)).toBe(false);
    expect(view.active).toBe(false);
    expect(calls).toBe(1);
    expect(logged).not.toHaveBeenCalled();
  });

  it("every view sharing a stream that fails for good stops, each telling its own listeners; one without an error callback still says so on the console", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    api.refuseStreams = () =>
      Response.json({ type: "x", title: "Forbidden", status: 403, code: "forbidden" }, { status: 403 });
    const failures: string[] = [];
    lobby.watchMembers().onSnapshot(
      () => undefined,
      (error) => failures.push(`members ${error.status}`),
    );
    const invitations = lobby.watchInvitations();
    invitations.onSnapshot(() => undefined);
    await until(() => failures.length === 1 && logged.mock.calls.length === 1);
    expect(failures).toEqual(["members 403"]);
    expect(logged.mock.calls[0]).toEqual(["[cortex] watch of the invitations of gathering gth_1 stopped: Forbidden"]);
    expect(invitations.active).toBe(false);
    expect(api.connections).toHaveLength(0);
  });

  it("a snapshot that cannot load (403) goes to the error callback; the view can be started again later", async () => {
    const api = new FakeApi();
    const lobby = await api.lobby();
    api.refuseGathering = () =>
      Response.json({ type: "x", title: "Forbidden", status: 403, code: "forbidden" }, { status: 403 });
    const view = lobby.watch();
    const failures: number[] = [];
    view.onSnapshot(
      () => undefined,
      (error) => failures.push(error.status),
    );
    await until(() => failures.length === 1);
    expect(failures).toEqual([403]);
    expect(view.active).toBe(false);
    expect(api.connections).toHaveLength(0);

    api.refuseGathering = undefined;
    const versions: number[] = [];
    const stop = view.onSnapshot((g) => versions.push(g!.version));
    await until(() => versions.length === 1 && api.connections.length === 1);
    stop();
    expect(api.open).toHaveLength(0);
  });
});
