import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CortexClient,
  type CortexError,
  type DocumentChange,
  type Invitation,
  type Member,
  type Message,
  type SessionData,
} from "../../sdk/src/index.js";
import { deepEqual } from "../../sdk/src/subscriptions.js";
import { uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";

/**
 * The SDK's live views against the local runtime, through a proxy that counts the SSE connections the
 * server is asked for: the views of one aggregate on one client share one connection, each equal to a
 * fresh read after a burst of changes, a view added late joins with no gap and no duplicate, the last
 * one leaving closes the connection, and `onSnapshot(next, error)` hears when a view stops for good.
 */
const rt = sharedRuntime();

/** An HTTP proxy in front of the runtime that tracks its event-stream requests. */
class CountingProxy {
  url = "";
  /** Every event-stream request, in order. */
  streams: Array<{
    path: string;
    lastEventId: string | undefined;
    open: boolean;
    response: ServerResponse;
    concurrent: number;
  }> = [];
  readonly #server = createServer((req, res) => this.#forward(req, res));

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** Open event-stream connections whose path contains `fragment`. */
  open(fragment: string) {
    return this.streams.filter((s) => s.open && s.path.includes(fragment));
  }

  /** The most event-stream connections whose path contains `fragment` open at once, so far. */
  maxOpen(fragment: string): number {
    return Math.max(0, ...this.opened(fragment).map((s) => s.concurrent));
  }

  /** Event-stream requests whose path contains `fragment`. */
  opened(fragment: string) {
    return this.streams.filter((s) => s.path.includes(fragment));
  }

  /** Cuts every open event stream whose path contains `fragment`, as a lost network would. */
  drop(fragment: string): void {
    for (const stream of this.open(fragment)) stream.response?.socket?.destroy();
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(req.url!, rt.apiUrl);
    const isStream = target.pathname.endsWith("/events");
    const record = {
      path: req.url!,
      lastEventId: req.headers["last-event-id"] as string | undefined,
      open: true,
      response: res,
      /** Connections to the same aggregate open with this one, itself included. */
      concurrent: 1,
    };
    if (isStream) {
      const aggregate = target.pathname;
      this.streams.push(record);
      const alongside = this.streams.filter((s) => s.open && new URL(s.path, rt.apiUrl).pathname === aggregate);
      for (const s of alongside) s.concurrent = Math.max(s.concurrent, alongside.length);
      res.once("close", () => (record.open = false));
    }
    const upstream = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    res.once("close", () => upstream.destroy());
    req.pipe(upstream);
  }
}

let proxy: CountingProxy;
beforeAll(async () => {
  proxy = new CountingProxy();
  await proxy.start();
});
afterAll(async () => {
  await proxy.stop();
});

/** A client whose requests go through the proxy. */
const proxied = (apiKey = rt.apiKey) => new CortexClient({ baseUrl: proxy.url, apiKey });
/** A client straight to the runtime: the writer, and the fresh reads. */
const direct = () => new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey });

/** A collection view's latest items, and its changes replayed from nothing (a duplicate or a gap shows there). */
function follow<T>(idOf: (item: T) => string) {
  const state = { items: [] as T[], replayed: [] as T[], snapshots: 0 };
  const listener = (items: T[], changes: DocumentChange<T>[]) => {
    for (const c of changes) {
      if (c.type !== "added") {
        expect(idOf(state.replayed[c.oldIndex]!)).toBe(c.id);
        state.replayed.splice(c.oldIndex, 1);
      }
      if (c.type !== "removed") state.replayed.splice(c.newIndex, 0, c.data);
    }
    state.items = items;
    state.snapshots++;
  };
  return { state, listener };
}

const byId = <T>(items: T[], idOf: (item: T) => string) => [...items].sort((a, b) => idOf(a).localeCompare(idOf(b)));
const memberId = (m: Member) => m.participantId;
const invitationId = (i: Invitation) => i.id;

describe("one SSE connection per aggregate per client", () => {
  it("seed 001's watchMembers + watchInvitations hold one connection, and after a burst of changes both views equal fresh reads; the last to leave closes it", async () => {
    const projectId = uniqueProject("mux");
    const project = proxied().project(projectId);
    const { id } = await direct().project(projectId).gatherings.create({ name: "Book club", type: "open" });
    const path = `/gatherings/${id}/events`;

    // Seed 001's sample, as written.
    const gathering = await project.gatherings.get(id);
    await gathering.addMember({ participantId: "p1" });
    await gathering.listMembers();
    const members = follow(memberId);
    const invites = follow(invitationId);
    const errors: string[] = [];
    const membersView = gathering.watchMembers();
    const invitesView = gathering.watchInvitations();
    membersView.onError((e) => errors.push(e.message));
    invitesView.onError((e) => errors.push(e.message));
    const stopMembers = membersView.onSnapshot(members.listener);
    const stopInvites = invitesView.onSnapshot(invites.listener);
    await eventually(async () => (members.state.snapshots > 0 && invites.state.snapshots > 0 ? true : undefined));

    // The burst, from another client: members join and ready, invitations go out and are answered.
    const writer = await direct().project(projectId).gatherings.get(id);
    const ids = Array.from({ length: 12 }, (_, i) => `player-${String(i).padStart(2, "0")}`);
    await Promise.all([
      ...ids.map(async (participantId, i) => {
        await writer.addMember({ participantId });
        if (i % 2 === 0) await writer.ready(participantId);
      }),
      (async () => {
        const sent = await writer.sendInvitations({ emails: ["a@example.com", "b@example.com", "c@example.com"] });
        await writer.acceptInvitation(sent[0]!.id);
        await writer.declineInvitation(sent[1]!.id);
      })(),
    ]);

    const fresh = async () => ({ members: await writer.listMembers(), invitations: await writer.listInvitations() });
    await eventually(async () => {
      const server = await fresh();
      const equal =
        deepEqual(byId(members.state.items, memberId), byId(server.members, memberId)) &&
        deepEqual(byId(invites.state.items, invitationId), byId(server.invitations, invitationId));
      return equal ? true : undefined;
    }, 30_000);
    expect(members.state.items).toHaveLength(13);
    expect(invites.state.items).toHaveLength(3);
    expect(members.state.replayed).toEqual(members.state.items);
    expect(invites.state.replayed).toEqual(invites.state.items);
    expect(errors).toEqual([]);

    // Counted at the server's door: one connection, asking for both views' events.
    expect(proxy.opened(path)).toHaveLength(1);
    expect(proxy.open(path)).toHaveLength(1);
    expect(proxy.maxOpen(path)).toBe(1);
    const types = new URL(proxy.opened(path)[0]!.path, "http://x").searchParams.get("types");
    expect(types).toBe("gathering.member.*,gathering.owner.changed,gathering.invitation.*");

    stopMembers();
    expect(membersView.active).toBe(false);
    expect(invitesView.active).toBe(true);
    stopInvites();
    await eventually(async () => (proxy.open(path).length === 0 ? true : undefined));
    expect(proxy.opened(path)).toHaveLength(1);
  });

  it("views added to a live stream mid-burst join with no gap and no duplicate; one that needs more types moves the stream to the union with one reconnect", async () => {
    const projectId = uniqueProject("mux-late");
    const { id } = await direct().project(projectId).gatherings.create({ name: "Late", type: "lobby" });
    const path = `/gatherings/${id}/events`;
    const gathering = await proxied().project(projectId).gatherings.get(id);
    const writer = await direct().project(projectId).gatherings.get(id);

    const first = follow(memberId);
    const stopFirst = gathering.watchMembers().onSnapshot(first.listener);
    await eventually(async () => (first.state.snapshots > 0 && proxy.open(path).length === 1 ? true : undefined));

    const ids = Array.from({ length: 24 }, (_, i) => `late-${String(i).padStart(2, "0")}`);
    const late = follow(memberId);
    const versions: number[] = [];
    const stops: Array<() => void> = [];
    // Writes run one after another; the late views subscribe while they do.
    for (const [i, participantId] of ids.entries()) {
      await writer.addMember({ participantId });
      if (i === 6) stops.push(gathering.watchMembers().onSnapshot(late.listener));
      if (i === 12) stops.push(gathering.watch().onSnapshot((g) => g && versions.push(g.version)));
      if (i % 3 === 0) await writer.ready(participantId);
    }
    const server = await writer.listMembers();
    const { version } = await writer.refresh();
    await eventually(
      async () =>
        deepEqual(byId(late.state.items, memberId), byId(server, memberId)) &&
        deepEqual(byId(first.state.items, memberId), byId(server, memberId)) &&
        versions.at(-1) === version
          ? true
          : undefined,
      30_000,
    );
    expect(late.state.replayed).toEqual(late.state.items);
    expect(first.state.replayed).toEqual(first.state.items);
    // watch() only ever moved forward.
    expect(versions.every((v, i) => i === 0 || v > versions[i - 1]!)).toBe(true);
    expect(gathering.version).toBe(version);

    // The unfiltered watch() widened the stream once: a reconnect from where it was, never two at a time.
    const requests = proxy.opened(path);
    expect(requests).toHaveLength(2);
    expect(new URL(requests[1]!.path, "http://x").searchParams.get("types")).toBeNull();
    expect(Number(requests[1]!.lastEventId)).toBeGreaterThan(Number(requests[0]!.lastEventId));
    // (The client closes the first before opening the second; the server may see the two overlap briefly.)
    await eventually(async () => (proxy.open(path).length === 1 ? true : undefined));
    expect(proxy.open(path)[0]).toBe(requests[1]);

    stopFirst();
    for (const stop of stops) stop();
    await eventually(async () => (proxy.open(path).length === 0 ? true : undefined));
  });
});

describe("one SSE connection per session per client", () => {
  it("the session page's four views (watch, messages, message and session annotations) hold one unfiltered connection, closed with the last", async () => {
    const projectId = uniqueProject("mux-session");
    const { id } = await direct()
      .project(projectId)
      .sessions.create({ title: "Page", externalRoomId: "room-page", autoStart: false });
    const session = await proxied().project(projectId).sessions.get(id);
    const path = `/sessions/${id}/events`;
    const seen = new Set<string>();
    const stops = [
      session.watch().onSnapshot(() => seen.add("watch")),
      session.watchMessages().onSnapshot(() => seen.add("messages")),
      session.watchMessageAnnotations().onSnapshot(() => seen.add("message annotations")),
      session.watchSessionAnnotations().onSnapshot(() => seen.add("session annotations")),
    ];
    await eventually(async () => (seen.size === 4 && proxy.open(path).length === 1 ? true : undefined));
    await direct()
      .project(projectId)
      .sessions.get(id)
      .then((s) => s.update({ title: "Renamed" }));
    await eventually(async () => (session.title === "Renamed" ? true : undefined));
    expect(proxy.opened(path)).toHaveLength(1);
    expect(new URL(proxy.opened(path)[0]!.path, "http://x").searchParams.get("types")).toBeNull();
    for (const stop of stops) stop();
    await eventually(async () => (proxy.open(path).length === 0 ? true : undefined));
  });
});

describe("onSnapshot(next, error)", () => {
  it("the error callback hears a 403 when a bot key's session is watched: the stream (watch()) and the listing (watchMessages()) are not the bot's to read", async () => {
    const projectId = uniqueProject("mux-403");
    const session = await direct()
      .project(projectId)
      .sessions.create({ title: "Not for bots", externalRoomId: "room-403", autoStart: false });
    // A bot key may read the session itself, nothing else of it.
    const asBot = await proxied(rt.botKey).project(projectId).sessions.get(session.id);
    const failures: Array<[string, number, string]> = [];
    let snapshots = 0;
    asBot.watch().onSnapshot(
      () => snapshots++,
      (error: CortexError) => failures.push(["watch", error.status, error.code]),
    );
    asBot.watchMessages().onSnapshot(
      () => snapshots++,
      (error: CortexError) => failures.push(["watchMessages", error.status, error.code]),
    );
    await eventually(async () => (failures.length === 2 ? true : undefined));
    expect(failures.sort()).toEqual([
      ["watch", 403, "forbidden"],
      ["watchMessages", 403, "forbidden"],
    ]);
    expect(proxy.open(`/sessions/${session.id}/events`)).toHaveLength(0);
  });

  it("the error callback hears a 404 when a watched session is deleted and its stream comes back to nothing", async () => {
    const projectId = uniqueProject("mux-404");
    const created = await direct()
      .project(projectId)
      .sessions.create({ title: "Short-lived", externalRoomId: "room-404", autoStart: false });
    const session = await proxied().project(projectId).sessions.get(created.id);
    const path = `/sessions/${created.id}/events`;
    const documents: Array<SessionData | undefined> = [];
    const messages: Message[][] = [];
    const failures: Array<[string, number]> = [];
    session.watch().onSnapshot(
      (s) => documents.push(s),
      (error) => failures.push(["watch", error.status]),
    );
    session.watchMessages().onSnapshot(
      (items) => messages.push(items),
      (error) => failures.push(["watchMessages", error.status]),
    );
    await eventually(async () =>
      documents.length > 0 && messages.length > 0 && proxy.open(path).length === 1 ? true : undefined,
    );
    expect(proxy.opened(path)).toHaveLength(1);

    await created.delete();
    await eventually(async () => (documents.length > 1 && documents.at(-1) === undefined ? true : undefined));
    expect(failures).toEqual([]);
    // The connection drops; the reconnect finds no session.
    proxy.drop(path);
    await eventually(async () => (failures.length === 2 ? true : undefined));
    expect(failures.sort()).toEqual([
      ["watch", 404],
      ["watchMessages", 404],
    ]);
    expect(proxy.open(path)).toHaveLength(0);
  });
});
