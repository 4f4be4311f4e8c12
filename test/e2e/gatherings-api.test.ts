import { describe, expect, it } from "vitest";
import { ROUTES } from "../../shared/app/http/routes.js";
import { ApiClient, committedEvents, projectItems, uniqueProject } from "../support/http.js";
import { sharedRuntime } from "../support/runtime.js";
import { endAnnotationsPublished } from "../support/meetings.js";

/** Every gathering endpoint over real HTTP against the local runtime: success, and each error. */
const rt = sharedRuntime();

const client = () => new ApiClient(rt, uniqueProject());
const future = (hours: number) => new Date(Date.now() + hours * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Runs a request that must fail and asserts the project's items are byte-for-byte unchanged. */
async function rejects(
  api: ApiClient,
  status: number,
  run: () => Promise<{ status: number; body: any; headers: Headers }>,
) {
  const before = await projectItems(rt, api.projectId);
  const result = await run();
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.headers.get("content-type")).toBe("application/problem+json");
  expect(result.body).toMatchObject({ status, type: expect.stringMatching(/^urn:cortex:problem:/) });
  expect(await projectItems(rt, api.projectId)).toEqual(before);
  return result.body;
}

const paths = (problem: { errors?: Array<{ path: string }> }) => problem.errors?.map((e) => e.path);

describe("POST /gatherings", () => {
  it("creates each type with its initial status, a grouped join code, version 1, Location and ETag", async () => {
    const api = client();
    const lobby = await api.post("/gatherings", { name: "Ranked 5v5", type: "lobby", maxMembers: 10 });
    expect(lobby.status).toBe(201);
    expect(lobby.body).toMatchObject({
      type: "lobby",
      status: "open",
      version: 1,
      maxMembers: 10,
      listed: false,
      ownerId: null,
      memberCount: 0,
    });
    expect(lobby.body.joinCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
    expect(lobby.headers.get("location")).toBe(`/v1/projects/${api.projectId}/gatherings/${lobby.body.id}`);
    expect(lobby.headers.get("etag")).toBe('"1"');
    const appt = await api.create({
      name: "Quarterly Review",
      type: "appointment",
      startsAt: future(1),
      endsAt: future(2),
      autoStartSession: true,
    });
    expect(appt).toMatchObject({ status: "scheduled", autoStartSession: true });
    expect(await api.create({ name: "Hangout", type: "open" })).toMatchObject({ status: "open", listed: true });
  });

  it("rejects invalid bodies with 400 naming each field, and writes nothing", async () => {
    const api = client();
    expect(paths(await rejects(api, 400, () => api.post("/gatherings", { type: "lobby" })))).toEqual(["name"]);
    expect(paths(await rejects(api, 400, () => api.post("/gatherings", { name: "x", type: "party" })))).toEqual([
      "type",
    ]);
    const unknown = await rejects(api, 400, () => api.post("/gatherings", { name: "x", type: "lobby", colour: "red" }));
    expect(unknown.errors[0].message).toMatch(/unknown field: colour/);
    expect(paths(await rejects(api, 400, () => api.post("/gatherings", { name: "A", type: "appointment" })))).toEqual([
      "startsAt",
      "endsAt",
    ]);
    const past = await rejects(api, 400, () =>
      api.post("/gatherings", { name: "A", type: "appointment", startsAt: "2020-01-01T00:00:00Z", endsAt: future(1) }),
    );
    expect(paths(past)).toEqual(["startsAt"]);
    const backwards = await rejects(api, 400, () =>
      api.post("/gatherings", { name: "A", type: "appointment", startsAt: future(2), endsAt: future(1) }),
    );
    expect(paths(backwards)).toEqual(["endsAt"]);
    expect(
      paths(await rejects(api, 400, () => api.post("/gatherings", { name: "L", type: "lobby", startsAt: future(1) }))),
    ).toEqual(["startsAt"]);
    expect(
      paths(
        await rejects(api, 400, () =>
          api.post("/gatherings", { name: "O", type: "open", autoStart: { when: "allReady", minMembers: 2 } }),
        ),
      ),
    ).toEqual(["autoStart"]);
    expect(
      paths(
        await rejects(api, 400, () =>
          api.post("/gatherings", { name: "L", type: "lobby", metadata: { blob: "x".repeat(5000) } }),
        ),
      ),
    ).toEqual(["metadata"]);
    expect(
      paths(await rejects(api, 400, () => api.post("/gatherings", { name: "L", type: "lobby", maxMembers: 0 }))),
    ).toEqual(["maxMembers"]);
  });

  it("returns the first response for a retried Idempotency-Key and creates once; another body with the key is 422", async () => {
    const api = client();
    const headers = { "Idempotency-Key": "create-1" };
    const first = await api.post("/gatherings", { name: "Once", type: "lobby" }, headers);
    const retry = await api.post("/gatherings", { name: "Once", type: "lobby" }, headers);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await api.get("/gatherings")).body.items).toHaveLength(1);
    const reused = await rejects(api, 422, () => api.post("/gatherings", { name: "Other", type: "lobby" }, headers));
    expect(reused.code).toBe("idempotency_key_reused");
    await rejects(api, 400, () =>
      api.post("/gatherings", { name: "x", type: "lobby" }, { "Idempotency-Key": "bad key with spaces" }),
    );
  });
});

describe("GET /gatherings/{id} and GET /gatherings", () => {
  it("gets a gathering with its ETag, and 404s for unknown or malformed ids", async () => {
    const api = client();
    const created = await api.create({ name: "G", type: "lobby" });
    const read = await api.get(`/gatherings/${created.id}`);
    expect(read).toMatchObject({ status: 200, body: created });
    expect(read.headers.get("etag")).toBe('"1"');
    expect((await api.get("/gatherings/gth_01aaaaaaaaaaaaaaaaaaaaaaaa")).body.code).toBe("not_found");
    expect((await api.get("/gatherings/not-an-id")).status).toBe(404);
    // Another project does not see it.
    expect((await new ApiClient(rt, uniqueProject()).get(`/gatherings/${created.id}`)).status).toBe(404);
  });

  it("lists newest first with filters and a cursor that visits every match exactly once", async () => {
    const api = client();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await api.create({ name: `L${i}`, type: "lobby" })).id);
    const open = await api.create({ name: "O", type: "open", listed: false });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.get(
        `/gatherings?type=lobby&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((g: { id: string }) => g.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    expect((await api.get("/gatherings?listed=false&type=open")).body.items.map((g: { id: string }) => g.id)).toEqual([
      open.id,
    ]);
    expect((await api.get("/gatherings?status=started")).body.items).toEqual([]);
  });

  it("rejects bad filters, limits and cursors with 400", async () => {
    const api = client();
    expect(paths((await api.get("/gatherings?type=party")).body)).toEqual(["type"]);
    expect(paths((await api.get("/gatherings?limit=1000")).body)).toEqual(["limit"]);
    expect(paths((await api.get("/gatherings?listed=maybe")).body)).toEqual(["listed"]);
    expect((await api.get("/gatherings?cursor=garbage")).status).toBe(400);
  });
});

describe("PATCH /gatherings/{id}", () => {
  it("changes fields, emits gathering.updated naming them, and honours If-Match", async () => {
    const api = client();
    const g = await api.create({ name: "Before", type: "lobby" });
    const updated = await api.patch(
      `/gatherings/${g.id}`,
      { name: "After", maxMembers: 4, metadata: { map: "dust" } },
      { "If-Match": '"1"' },
    );
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: "After", maxMembers: 4, metadata: { map: "dust" }, version: 2 });
    expect(updated.headers.get("etag")).toBe('"2"');
    const events = await committedEvents(rt, api.projectId, g.id);
    expect(events.at(-1)).toMatchObject({
      type: "gathering.updated",
      version: 2,
      data: { changes: ["name", "maxMembers", "metadata"] },
    });
    expect((await api.patch(`/gatherings/${g.id}`, { maxMembers: null })).body.maxMembers).toBeUndefined();
  });

  it("answers 412 for a stale If-Match and writes nothing; 400 for a malformed one", async () => {
    const api = client();
    const g = await api.create({ name: "G", type: "lobby" });
    await api.patch(`/gatherings/${g.id}`, { name: "v2" });
    const stale = await rejects(api, 412, () =>
      api.patch(`/gatherings/${g.id}`, { name: "v3" }, { "If-Match": '"1"' }),
    );
    expect(stale.currentVersion).toBe(2);
    expect(
      paths(
        await rejects(api, 400, () => api.patch(`/gatherings/${g.id}`, { name: "v3" }, { "If-Match": "yesterday" })),
      ),
    ).toEqual(["If-Match"]);
  });

  it("a change to nothing is 200 without an event", async () => {
    const api = client();
    const g = await api.create({ name: "Same", type: "lobby" });
    expect((await api.patch(`/gatherings/${g.id}`, { name: "Same" })).body.version).toBe(1);
    expect(await committedEvents(rt, api.projectId, g.id)).toHaveLength(1);
  });

  it("rejects invalid changes (400), capacity below the members present (409), closed gatherings (409), unknown ids (404)", async () => {
    const api = client();
    const g = await api.create({ name: "G", type: "lobby" });
    await rejects(api, 400, () => api.patch(`/gatherings/${g.id}`, {}));
    expect(paths(await rejects(api, 400, () => api.patch(`/gatherings/${g.id}`, { startsAt: future(1) })))).toEqual([
      "startsAt",
    ]);
    await api.post(`/gatherings/${g.id}/members`, { participantId: "a" });
    await api.post(`/gatherings/${g.id}/members`, { participantId: "b" });
    expect((await rejects(api, 409, () => api.patch(`/gatherings/${g.id}`, { maxMembers: 1 }))).code).toBe(
      "below_member_count",
    );
    await api.post(`/gatherings/${g.id}/cancel`);
    expect((await rejects(api, 409, () => api.patch(`/gatherings/${g.id}`, { name: "x" }))).code).toBe(
      "gathering_closed",
    );
    await rejects(api, 404, () => api.patch("/gatherings/gth_01aaaaaaaaaaaaaaaaaaaaaaaa", { name: "x" }));
    const appt = await api.create({ name: "A", type: "appointment", startsAt: future(1), endsAt: future(2) });
    expect(paths(await rejects(api, 400, () => api.patch(`/gatherings/${appt.id}`, { endsAt: future(0.5) })))).toEqual([
      "endsAt",
    ]);
  });
});

describe("start, end, cancel", () => {
  it("starts with a room and a session, ends both, and refuses illegal transitions with 409 saying why", async () => {
    const api = client();
    const g = await api.create({ name: "Ranked", type: "lobby" });
    const started = await api.post(`/gatherings/${g.id}/start`, { roomId: "ranked-room", autoStartSession: true });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ status: "started", roomId: "ranked-room", version: 2 });
    expect(started.body.sessionId).toMatch(/^sess_/);
    const again = await rejects(api, 409, () => api.post(`/gatherings/${g.id}/start`));
    expect(again).toMatchObject({ code: "invalid_transition", detail: "Cannot start a gathering that is started" });
    const ended = await api.post(`/gatherings/${g.id}/end`);
    expect(ended.body).toMatchObject({ status: "ended", version: 3 });
    // Its session ended too: the plugins annotate it, so wait for that before comparing the project's items.
    await endAnnotationsPublished(api, started.body.sessionId);
    expect((await committedEvents(rt, api.projectId, g.id)).map((e) => e.type)).toEqual([
      "gathering.created",
      "gathering.started",
      "gathering.ended",
    ]);
    expect((await rejects(api, 409, () => api.post(`/gatherings/${g.id}/cancel`))).code).toBe("gathering_closed");
  });

  it("cannot end a lobby that never started, but can cancel it once", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    expect((await rejects(api, 409, () => api.post(`/gatherings/${g.id}/end`))).detail).toMatch(
      /only a started gathering can end/,
    );
    expect((await api.post(`/gatherings/${g.id}/cancel`)).body.status).toBe("cancelled");
    expect((await rejects(api, 409, () => api.post(`/gatherings/${g.id}/cancel`))).code).toBe("gathering_closed");
    await rejects(api, 404, () => api.post("/gatherings/gth_01aaaaaaaaaaaaaaaaaaaaaaaa/start"));
    await rejects(api, 400, () => api.post(`/gatherings/${g.id}/start`, { roomId: "" }));
  });

  it("an open space can close without starting", async () => {
    const api = client();
    const g = await api.create({ name: "Hangout", type: "open" });
    expect((await api.post(`/gatherings/${g.id}/end`)).body.status).toBe("ended");
  });
});

describe("join codes", () => {
  it("join by code in any spelling returns the gathering and the member", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    const messy = ` ${g.joinCode.toLowerCase().replace("-", " ").replace(/0/g, "o").replace(/1/g, "l")} `;
    const joined = await api.post("/gatherings/join", { joinCode: messy, participantId: "p9" });
    expect(joined.status).toBe(200);
    expect(joined.body.gathering).toMatchObject({ id: g.id, memberCount: 1 });
    expect(joined.body.member).toMatchObject({ participantId: "p9", status: "joined" });
  });

  it("unknown codes are 404, malformed codes 400, codes of another project 404, closed gatherings 409", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    expect(
      (await rejects(api, 404, () => api.post("/gatherings/join", { joinCode: "ZZZZ-ZZZZ", participantId: "p" }))).code,
    ).toBe("join_code_not_found");
    expect(
      paths(await rejects(api, 400, () => api.post("/gatherings/join", { joinCode: "!!", participantId: "p" }))),
    ).toEqual(["joinCode"]);
    expect(paths(await rejects(api, 400, () => api.post("/gatherings/join", { joinCode: g.joinCode })))).toEqual([
      "participantId",
    ]);
    const other = new ApiClient(rt, uniqueProject());
    await rejects(other, 404, () => other.post("/gatherings/join", { joinCode: g.joinCode, participantId: "p" }));
    await api.post(`/gatherings/${g.id}/cancel`);
    expect(
      (await rejects(api, 409, () => api.post("/gatherings/join", { joinCode: g.joinCode, participantId: "p" }))).code,
    ).toBe("gathering_closed");
  });

  it("regenerating a code frees the old one", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    const regenerated = await api.post(`/gatherings/${g.id}/join-code`);
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.joinCode).not.toBe(g.joinCode);
    expect((await api.post("/gatherings/join", { joinCode: g.joinCode, participantId: "p" })).status).toBe(404);
    expect(
      (await api.post("/gatherings/join", { joinCode: regenerated.body.joinCode, participantId: "p" })).status,
    ).toBe(200);
    expect((await committedEvents(rt, api.projectId, g.id)).at(1)).toMatchObject({
      type: "gathering.updated",
      data: { changes: ["joinCode"] },
    });
  });
});

describe("members", () => {
  it("adds (201), re-adds without change (200, no event), gets and lists members with pagination and status filter", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    const added = await api.post(`/gatherings/${g.id}/members`, { participantId: "p1", displayName: "Alice" });
    expect(added.status).toBe(201);
    expect(added.body.member).toMatchObject({
      participantId: "p1",
      displayName: "Alice",
      role: "owner",
      status: "joined",
    });
    expect(added.body.gathering).toMatchObject({ ownerId: "p1", memberCount: 1 });
    const again = await api.post(`/gatherings/${g.id}/members`, { participantId: "p1" });
    expect(again.status).toBe(200);
    expect(again.body.gathering.version).toBe(added.body.gathering.version);
    for (const p of ["p2", "p3", "p4"]) await api.post(`/gatherings/${g.id}/members`, { participantId: p });
    await api.post(`/gatherings/${g.id}/members/p2/ready`);
    expect((await api.get(`/gatherings/${g.id}/members/p1`)).body).toMatchObject({
      participantId: "p1",
      role: "owner",
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.get(
        `/gatherings/${g.id}/members?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      seen.push(...page.body.items.map((m: { participantId: string }) => m.participantId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(["p1", "p2", "p3", "p4"]);
    expect(
      (await api.get(`/gatherings/${g.id}/members?status=ready`)).body.items.map(
        (m: { participantId: string }) => m.participantId,
      ),
    ).toEqual(["p2"]);
  });

  it("rejects bad member input (400), unknown members and gatherings (404), a second owner (409)", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    expect(
      paths(await rejects(api, 400, () => api.post(`/gatherings/${g.id}/members`, { participantId: "has space" }))),
    ).toEqual(["participantId"]);
    expect(
      paths(
        await rejects(api, 400, () => api.post(`/gatherings/${g.id}/members`, { participantId: "p", role: "king" })),
      ),
    ).toEqual(["role"]);
    await rejects(api, 404, () =>
      api.post("/gatherings/gth_01aaaaaaaaaaaaaaaaaaaaaaaa/members", { participantId: "p" }),
    );
    await rejects(api, 404, () => api.get(`/gatherings/${g.id}/members/ghost`));
    await rejects(api, 404, () => api.post(`/gatherings/${g.id}/members/ghost/ready`));
    await rejects(api, 404, () => api.delete(`/gatherings/${g.id}/members/ghost`));
    await api.post(`/gatherings/${g.id}/members`, { participantId: "p1" });
    expect(
      (await rejects(api, 409, () => api.post(`/gatherings/${g.id}/members`, { participantId: "p2", role: "owner" })))
        .code,
    ).toBe("owner_exists");
  });

  it("walks a member through joined → ready → joined → left → joined, refusing what the lifecycle forbids", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    await api.post(`/gatherings/${g.id}/members`, { participantId: "p1" });
    const member = (action: string) => api.post(`/gatherings/${g.id}/members/p1/${action}`);
    expect((await member("ready")).body.member.status).toBe("ready");
    const readyAgain = await member("ready");
    expect(readyAgain.status).toBe(200); // already ready: no change, no event
    expect((await member("unready")).body).toMatchObject({
      member: { status: "joined" },
      gathering: { readyCount: 0 },
    });
    expect((await member("leave")).body).toMatchObject({ member: { status: "left" }, gathering: { memberCount: 0 } });
    expect((await rejects(api, 409, () => member("ready"))).code).toBe("invalid_member_transition");
    expect((await member("join")).body.member.status).toBe("joined");
    expect((await committedEvents(rt, api.projectId, g.id)).map((e) => e.type)).toEqual([
      "gathering.created",
      "gathering.member.joined",
      "gathering.owner.changed",
      "gathering.member.ready",
      "gathering.member.unready",
      "gathering.member.left",
      "gathering.owner.changed",
      "gathering.member.joined",
      "gathering.owner.changed",
    ]);
  });

  it("when the owner leaves, the longest-present member inherits ownership, announced by an event", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    for (const p of ["host", "early", "late"]) await api.post(`/gatherings/${g.id}/members`, { participantId: p });
    const left = await api.post(`/gatherings/${g.id}/members/host/leave`);
    expect(left.body.gathering.ownerId).toBe("early");
    expect((await api.get(`/gatherings/${g.id}/members/early`)).body.role).toBe("owner");
    expect((await api.get(`/gatherings/${g.id}/members/host`)).body.role).toBe("member");
    expect((await committedEvents(rt, api.projectId, g.id)).at(-1)).toMatchObject({
      type: "gathering.owner.changed",
      data: { previousOwnerId: "host", ownerId: "early", reason: "owner_left" },
    });
  });

  it("transfers ownership to a present member only; removing the owner passes it on", async () => {
    const api = client();
    const g = await api.create({ name: "L", type: "lobby" });
    for (const p of ["a", "b", "c"]) await api.post(`/gatherings/${g.id}/members`, { participantId: p });
    await api.post(`/gatherings/${g.id}/members/c/leave`);
    expect((await rejects(api, 409, () => api.post(`/gatherings/${g.id}/owner`, { participantId: "c" }))).code).toBe(
      "not_present",
    );
    const transferred = await api.post(`/gatherings/${g.id}/owner`, { participantId: "b" });
    expect(transferred.body.gathering.ownerId).toBe("b");
    expect((await api.get(`/gatherings/${g.id}/members/a`)).body.role).toBe("member");
    const removed = await api.delete(`/gatherings/${g.id}/members/b`);
    expect(removed.status).toBe(200);
    expect(removed.body.gathering).toMatchObject({ ownerId: "a", memberCount: 1 });
    await rejects(api, 404, () => api.get(`/gatherings/${g.id}/members/b`));
    const types = (await committedEvents(rt, api.projectId, g.id)).map((e) => e.type);
    expect(types.slice(-2)).toEqual(["gathering.member.removed", "gathering.owner.changed"]);
  });

  it("enforces maxMembers with 409 gathering_full", async () => {
    const api = client();
    const g = await api.create({ name: "Duo", type: "lobby", maxMembers: 2 });
    await api.post(`/gatherings/${g.id}/members`, { participantId: "a" });
    await api.post(`/gatherings/${g.id}/members`, { participantId: "b" });
    expect((await rejects(api, 409, () => api.post(`/gatherings/${g.id}/members`, { participantId: "c" }))).code).toBe(
      "gathering_full",
    );
    await api.post(`/gatherings/${g.id}/members/b/leave`);
    expect((await api.post(`/gatherings/${g.id}/members`, { participantId: "c" })).status).toBe(201);
  });
});

describe("the OpenAPI document", () => {
  it("covers every route with its operation id", async () => {
    const doc = (await new ApiClient(rt, "x").request("GET", "/v1/openapi.json")).body;
    for (const route of ROUTES) {
      expect(doc.paths[route.path]?.[route.method.toLowerCase()]?.operationId, `${route.method} ${route.path}`).toBe(
        route.operationId,
      );
    }
    expect(doc.components.schemas.Member).toBeDefined();
    expect(
      doc.paths["/v1/projects/{projectId}/gatherings/{gatheringId}"].patch.parameters.map(
        (p: { name: string }) => p.name,
      ),
    ).toContain("If-Match");
  });
});
