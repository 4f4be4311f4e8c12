import { describe, expect, it } from "vitest";
import { ApiClient, committedEvents, projectItems, uniqueProject } from "../support/http.js";
import { sharedRuntime } from "../support/runtime.js";

/** Correctness under concurrency, over real HTTP against the local runtime and DynamoDB Local. */
const rt = sharedRuntime();

const client = () => new ApiClient(rt, uniqueProject("conc"));
const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe("gatherings under concurrency", () => {
  it("50 concurrent joins into a lobby with maxMembers 10: exactly 10 succeed, 40 get 409, 10 joined events", async () => {
    const api = client();
    const lobby = await api.create({ name: "Ten seats", type: "lobby", maxMembers: 10 });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.post(`/gatherings/${lobby.id}/members`, { participantId: `player-${i}` }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(count(statuses, 201)).toBe(10);
    expect(count(statuses, 409)).toBe(40);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.code).toBe("gathering_full");
    const events = await committedEvents(rt, api.projectId, lobby.id);
    expect(events.filter((e) => e.type === "gathering.member.joined")).toHaveLength(10);
    expect((await api.get(`/gatherings/${lobby.id}`)).body.memberCount).toBe(10);
    expect((await api.get(`/gatherings/${lobby.id}/members?limit=100`)).body.items).toHaveLength(10);
  });

  it("20 concurrent starts: one succeeds, 19 get 409, one gathering.started event", async () => {
    const api = client();
    const lobby = await api.create({ name: "Race", type: "lobby" });
    const statuses = (
      await Promise.all(Array.from({ length: 20 }, () => api.post(`/gatherings/${lobby.id}/start`)))
    ).map((r) => r.status);
    expect(count(statuses, 200)).toBe(1);
    expect(count(statuses, 409)).toBe(19);
    const started = (await committedEvents(rt, api.projectId, lobby.id)).filter((e) => e.type === "gathering.started");
    expect(started).toHaveLength(1);
  });

  it("a lobby with autoStart allReady/minMembers 3 starts exactly once when 3 members ready concurrently", async () => {
    const api = client();
    const lobby = await api.create({ name: "Auto", type: "lobby", autoStart: { when: "allReady", minMembers: 3 } });
    for (const p of ["a", "b", "c"]) await api.post(`/gatherings/${lobby.id}/members`, { participantId: p });
    const results = await Promise.all(
      ["a", "b", "c"].map((p) => api.post(`/gatherings/${lobby.id}/members/${p}/ready`)),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const events = await committedEvents(rt, api.projectId, lobby.id);
    const started = events.filter((e) => e.type === "gathering.started");
    expect(started).toHaveLength(1);
    expect(started[0]!.actor).toEqual({ type: "system", id: "ready-check" });
    // The start lands in the same commit as the last ready, right after it.
    const lastReady = events.filter((e) => e.type === "gathering.member.ready").at(-1)!;
    expect(started[0]!.version).toBe(lastReady.version + 1);
    expect((await api.get(`/gatherings/${lobby.id}`)).body).toMatchObject({ status: "started", readyCount: 3 });
  });

  it("after a mixed concurrent workload on one gathering, its event versions are exactly 1..n and its state adds up", async () => {
    const api = client();
    const g = await api.create({ name: "Busy", type: "open" });
    const players = Array.from({ length: 12 }, (_, i) => `p${i}`);
    await Promise.all(players.map((p) => api.post(`/gatherings/${g.id}/members`, { participantId: p })));
    const work = players.flatMap((p, i) => [
      api.post(`/gatherings/${g.id}/members/${p}/ready`),
      i % 3 === 0
        ? api.post(`/gatherings/${g.id}/members/${p}/leave`)
        : api.post(`/gatherings/${g.id}/members/${p}/unready`),
      api.patch(`/gatherings/${g.id}`, { metadata: { round: i } }),
    ]);
    work.push(
      api.post(`/gatherings/${g.id}/join-code`),
      api.post(`/gatherings/${g.id}/owner`, { participantId: "p5" }),
    );
    const results = await Promise.all(work);
    for (const r of results) expect([200, 201, 409]).toContain(r.status);

    const events = await committedEvents(rt, api.projectId, g.id);
    expect(events.map((e) => e.version)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
    const final = (await api.get(`/gatherings/${g.id}`)).body;
    expect(final.version).toBe(events.length);
    // Each event carries the gathering as it was at its version.
    for (const e of events) expect((e.data.gathering as { version: number }).version).toBe(e.version);
    const members = (await api.get(`/gatherings/${g.id}/members?limit=100`)).body.items as Array<{ status: string }>;
    expect(final.memberCount).toBe(members.filter((m) => m.status === "joined" || m.status === "ready").length);
    expect(final.readyCount).toBe(members.filter((m) => m.status === "ready").length);
  });

  it("concurrent retries with one Idempotency-Key create one gathering and all get its response", async () => {
    const api = client();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        api.post("/gatherings", { name: "Once", type: "lobby" }, { "Idempotency-Key": "same-key" }),
      ),
    );
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const roots = (await projectItems(rt, api.projectId)).filter((i) => i.SK === "#ROOT");
    expect(roots).toHaveLength(1);
  });

  it("concurrent retries of one ready with one Idempotency-Key apply it once", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    await api.post(`/gatherings/${g.id}/members`, { participantId: "p" });
    await api.post(`/gatherings/${g.id}/members/p/ready`);
    // unready → the same request retried 6 times at once
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        api.post(`/gatherings/${g.id}/members/p/unready`, undefined, { "Idempotency-Key": "unready-1" }),
      ),
    );
    // Every retry gets the first answer; the bodies are in the message so a failure says what came back.
    expect(
      results.map((r) => r.status),
      JSON.stringify(results.map((r) => r.body)),
    ).toEqual([200, 200, 200, 200, 200, 200]);
    expect(new Set(results.map((r) => r.body.gathering.version)).size).toBe(1);
    const unready = (await committedEvents(rt, api.projectId, g.id)).filter(
      (e) => e.type === "gathering.member.unready",
    );
    expect(unready).toHaveLength(1);
  });
});
