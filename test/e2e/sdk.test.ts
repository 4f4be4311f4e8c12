import { describe, expect, it } from "vitest";
import {
  CortexClient,
  CortexError,
  Gathering,
  Session,
  type GatheringData,
  type SessionData,
} from "../../sdk/src/index.js";
import { ApiClient, uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";

/** The SDK against the local runtime: errors, idempotency, pagination, live objects, sessions, directory. */
const rt = sharedRuntime();

const client = () => new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey });
const newProject = () => client().project(uniqueProject("sdk"));
const future = (hours: number) => new Date(Date.now() + hours * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

async function failure(promise: Promise<unknown>): Promise<CortexError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CortexError);
  return error as CortexError;
}

describe("errors", () => {
  it("turns every problem+json into a CortexError with status, code and the problem", async () => {
    const project = newProject();
    const missing = await failure(project.gatherings.get("gth_01aaaaaaaaaaaaaaaaaaaaaaaa"));
    expect(missing).toMatchObject({
      status: 404,
      code: "not_found",
      problem: { type: "urn:cortex:problem:not_found" },
    });
    expect(missing.requestId).toEqual(expect.any(String));

    const invalid = await failure(project.gatherings.create({ name: "", type: "lobby" }));
    expect(invalid).toMatchObject({ status: 400, code: "validation_failed" });
    expect(invalid.errors.map((e) => e.path)).toEqual(["name"]);

    const lobby = await project.gatherings.create({ name: "L", type: "lobby" });
    const conflict = await failure(lobby.end());
    expect(conflict).toMatchObject({ status: 409, code: "invalid_transition", problem: { gatheringStatus: "open" } });

    const badKey = new CortexClient({ baseUrl: rt.apiUrl, apiKey: "not-a-key" }).project(project.id);
    expect(await failure(badKey.gatherings.get(lobby.id))).toMatchObject({ status: 401, code: "unauthorized" });
  });

  it("ifMatch: true pins a change to the version the live object has, and a stale one fails with 412", async () => {
    const project = newProject();
    const mine = await project.gatherings.create({ name: "Mine", type: "lobby" });
    const theirs = await project.gatherings.get(mine.id);
    await theirs.update({ name: "Theirs" }, { ifMatch: true });
    const stale = await failure(mine.update({ name: "Mine again" }, { ifMatch: true }));
    expect(stale).toMatchObject({ status: 412, code: "precondition_failed", problem: { currentVersion: 2 } });
    await mine.refresh();
    await mine.update({ name: "Mine again" }, { ifMatch: true });
    expect(mine).toMatchObject({ name: "Mine again", version: 3 });
  });

  it("a POST repeated with the same Idempotency-Key is applied once (the server replays its answer)", async () => {
    const project = newProject();
    const first = await project.gatherings.create({ name: "Once", type: "open" }, { idempotencyKey: "create-once" });
    const again = await project.gatherings.create({ name: "Once", type: "open" }, { idempotencyKey: "create-once" });
    expect(again.id).toBe(first.id);
    expect(await project.gatherings.list().toArray()).toHaveLength(1);
  });
});

describe("pagination", () => {
  it("iterates every gathering across pages, page by page, or one page at a time", async () => {
    const project = newProject();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      created.push((await project.gatherings.create({ name: `G${i}`, type: i % 2 ? "open" : "lobby" })).id);
    }
    const newestFirst = [...created].reverse();

    const all: Gathering[] = [];
    for await (const gathering of project.gatherings.list({ limit: 3 })) all.push(gathering);
    expect(all.map((g) => g.id)).toEqual(newestFirst);
    expect(all.every((g) => g instanceof Gathering)).toBe(true);

    const sizes: number[] = [];
    for await (const page of project.gatherings.list({ limit: 3 }).pages()) sizes.push(page.items.length);
    expect(sizes).toEqual([3, 3, 1]);

    const first = await project.gatherings.listPage({ limit: 3 });
    expect(first.items.map((g) => g.id)).toEqual(newestFirst.slice(0, 3));
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await project.gatherings.list({ limit: 3 }).page(first.nextCursor);
    expect(second.items.map((g) => g.id)).toEqual(newestFirst.slice(3, 6));

    const lobbies = await project.gatherings.list({ type: "lobby", limit: 2 }).toArray();
    expect(lobbies.map((g) => g.type)).toEqual(["lobby", "lobby", "lobby", "lobby"]);
  });

  it("members() walks every page of members; listMembers() returns them all", async () => {
    const lobby = await newProject().gatherings.create({ name: "Big", type: "open" });
    for (let i = 0; i < 25; i++) await lobby.addMember({ participantId: `m${String(i).padStart(2, "0")}` });
    const sizes: number[] = [];
    for await (const page of lobby.members({ limit: 10 }).pages()) sizes.push(page.items.length);
    expect(sizes).toEqual([10, 10, 5]);
    const members = await lobby.listMembers();
    expect(members.map((m) => m.participantId).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `m${String(i).padStart(2, "0")}`),
    );
  });
});

describe("the Gathering live object", () => {
  it("has the API fields on itself, a deprecated data accessor with the raw response, and serializes as the API shape", async () => {
    const project = newProject();
    const lobby = await project.gatherings.create({ name: "Ranked 5v5", type: "lobby", maxMembers: 5 });
    const api = new ApiClient(rt, project.id);
    const raw: GatheringData = (await api.get(`/gatherings/${lobby.id}`)).body;
    expect(lobby).toMatchObject({ id: raw.id, name: "Ranked 5v5", type: "lobby", status: "open", maxMembers: 5 });
    expect(JSON.parse(JSON.stringify(lobby))).toEqual(raw);
    expect(lobby.data).toEqual(raw);
    expect(Object.keys(lobby).sort()).toEqual(Object.keys(raw).sort());
  });

  it("updates its fields from the answer of every change, including fields that go away", async () => {
    const project = newProject();
    const lobby = await project.gatherings.create({ name: "L", type: "lobby", maxMembers: 5 });
    const joinCode = lobby.joinCode;

    const p1 = await lobby.addMember({ participantId: "p1", displayName: "Ann" });
    expect(p1).toMatchObject({ participantId: "p1", status: "joined", role: "owner", displayName: "Ann" });
    expect(lobby).toMatchObject({ memberCount: 1, ownerId: "p1", version: 3 });
    await lobby.addMember({ participantId: "p2" });
    expect(await lobby.ready("p1")).toMatchObject({ status: "ready" });
    expect(lobby).toMatchObject({ memberCount: 2, readyCount: 1 });
    expect(await lobby.unready("p1")).toMatchObject({ status: "joined" });
    expect(lobby.readyCount).toBe(0);
    expect(await lobby.transferOwnership("p2")).toMatchObject({ participantId: "p2", role: "owner" });
    expect(lobby.ownerId).toBe("p2");
    expect(await lobby.leave("p1")).toMatchObject({ status: "left" });
    expect(lobby.memberCount).toBe(1);
    expect(await lobby.join("p1")).toMatchObject({ status: "joined" });
    expect(await lobby.getMember("p1")).toMatchObject({ participantId: "p1", status: "joined", role: "member" });
    expect(await lobby.removeMember("p1")).toMatchObject({ participantId: "p1" });
    expect((await lobby.listMembers()).map((m) => m.participantId)).toEqual(["p2"]);
    expect(await lobby.listMembers({ status: "ready" })).toEqual([]);

    await lobby.update({ name: "Renamed", maxMembers: null });
    expect(lobby.name).toBe("Renamed");
    expect("maxMembers" in lobby).toBe(false);
    expect(lobby.data.maxMembers).toBeUndefined();

    await lobby.regenerateJoinCode();
    expect(lobby.joinCode).not.toBe(joinCode);
    const before = lobby.version;
    await lobby.cancel();
    expect(lobby).toMatchObject({ status: "cancelled", version: before + 1, cancelledAt: expect.any(String) });
  });

  it("refresh() picks up changes made elsewhere, and watch() keeps the object current as they happen", async () => {
    const project = newProject();
    const mine = await project.gatherings.create({ name: "Live", type: "open" });
    const theirs = await client().project(project.id).gatherings.get(mine.id);
    await theirs.addMember({ participantId: "a" });
    expect(mine.memberCount).toBe(0);
    await mine.refresh();
    expect(mine.memberCount).toBe(1);

    const versions: number[] = [];
    const watch = mine.watch();
    watch.onSnapshot((g) => versions.push(g!.version));
    await eventually(async () => versions[0]);
    await theirs.addMember({ participantId: "b" });
    await theirs.ready("b");
    await theirs.update({ name: "Changed elsewhere" });
    await eventually(async () => (mine.name === "Changed elsewhere" ? true : undefined));
    watch.close();
    expect(mine).toMatchObject({ memberCount: 2, readyCount: 1, version: theirs.version });
    expect(watch.current).toEqual(JSON.parse(JSON.stringify(theirs)));
    expect(versions.at(-1)).toBe(theirs.version);
  });

  it("joinByCode returns the live gathering and the member, whatever the code's case and hyphens", async () => {
    const project = newProject();
    const open = await project.gatherings.create({ name: "Hangout", type: "open" });
    const typed = open.joinCode.replace("-", "").toLowerCase();
    const result = await project.gatherings.joinByCode({ joinCode: typed, participantId: "p9", displayName: "Nine" });
    expect(result.gathering).toBeInstanceOf(Gathering);
    expect(result.gathering).toMatchObject({ id: open.id, memberCount: 1 });
    expect(result.member).toMatchObject({ participantId: "p9", displayName: "Nine", status: "joined" });
    const wrong = await failure(project.gatherings.joinByCode({ joinCode: "ZZZZ-ZZZZ", participantId: "p9" }));
    expect(wrong).toMatchObject({ status: 404, code: "join_code_not_found" });
  });
});

describe("the Session live object", () => {
  it("comes from a started gathering or by id, has the API fields and a data accessor, and watch() follows it to its end", async () => {
    const project = newProject();
    const lobby = await project.gatherings.create({ name: "Match", type: "lobby" });
    expect(await lobby.getSession()).toBeUndefined();
    await lobby.addMember({ participantId: "p1" });
    await lobby.start({ roomId: "room-1", autoStartSession: true });
    expect(lobby).toMatchObject({ status: "started", roomId: "room-1", sessionId: expect.stringMatching(/^sess_/) });

    const session = (await lobby.getSession())!;
    expect(session).toBeInstanceOf(Session);
    expect(session).toMatchObject({ id: lobby.sessionId, externalRoomId: "room-1", status: "active", title: "Match" });
    const raw: SessionData = (await new ApiClient(rt, project.id).get(`/sessions/${session.id}`)).body;
    expect(session.data).toEqual(raw);
    expect(JSON.parse(JSON.stringify(session))).toEqual(raw);
    const byId = await project.sessions.get(session.id);
    expect(byId).toMatchObject({ id: session.id, gateway: raw.gateway, version: raw.version });

    const statuses: string[] = [];
    const watch = session.watch();
    watch.onSnapshot((s) => statuses.push(s!.status));
    await eventually(async () => statuses[0]);
    await lobby.end();
    await eventually(async () => (statuses.includes("ended") ? true : undefined));
    watch.close();
    // Ending releases the bot first (a snapshot still active, leaving), then ends the session: each state
    // once, in order, however the two events are batched.
    expect(statuses.filter((s, i) => s !== statuses[i - 1])).toEqual(["active", "ended"]);
    expect(session).toMatchObject({ status: "ended", endedAt: expect.any(String), bot: { state: "leaving" } });
    expect(lobby.status).toBe("ended");
  });
});

describe("participants", () => {
  it("puts and gets a directory entry; an unknown one is a 404", async () => {
    const project = newProject();
    const put = await project.participants.put("p2", { displayName: "Bea", email: "bea@example.com" });
    expect(put).toMatchObject({ participantId: "p2", displayName: "Bea", email: "bea@example.com" });
    expect(await project.participants.get("p2")).toEqual(put);
    const replaced = await project.participants.put("p2", { displayName: "Beatrice" });
    expect(replaced).toMatchObject({ participantId: "p2", displayName: "Beatrice" });
    expect(await failure(project.participants.get("nobody"))).toMatchObject({ status: 404 });
  });
});

describe("project activity", () => {
  it("lists the project's delivered events, oldest first", async () => {
    const project = newProject();
    const lobby = await project.gatherings.create({ name: "Logged", type: "lobby" });
    await lobby.addMember({ participantId: "p1" });
    const types = await eventually(async () => {
      const events = await project.activity({ limit: 2 }).toArray();
      return events.length >= 3 ? events.map((e) => e.type) : undefined;
    });
    expect(types).toEqual(["gathering.created", "gathering.member.joined", "gathering.owner.changed"]);
  });
});

describe("future appointments", () => {
  it("create with startsAt/endsAt and autoStartSession, as the seeds do with a date that is still ahead", async () => {
    const appointment = await newProject().gatherings.create({
      name: "Quarterly Review",
      type: "appointment",
      startsAt: future(24),
      endsAt: future(25),
      autoStartSession: true,
    });
    expect(appointment).toMatchObject({ status: "scheduled", autoStartSession: true });
  });
});
