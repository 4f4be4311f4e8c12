import { describe, expect, it } from "vitest";
import { ROUTES, type RouteDefinition } from "../../shared/app/http/routes.js";
import { ApiClient, projectItems, uniqueProject } from "../support/http.js";
import { sharedRuntime } from "../support/runtime.js";

/**
 * The reproductions of the outside fuzz run (issue 10, items 4, 5, 6 and 8) over real HTTP against the local
 * runtime: each is a 4xx problem+json naming the field, and changes nothing.
 */
const rt = sharedRuntime();
const client = () => new ApiClient(rt, uniqueProject("hard"));

interface Raw {
  status: number;
  headers: Headers;
  body: any;
}

/** A request with a raw path and body text (what a JSON client could not send). */
async function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Raw> {
  const response = await fetch(rt.apiUrl + path, {
    method,
    headers: {
      Authorization: `Bearer ${rt.apiKey}`,
      ...(body !== undefined && { "Content-Type": "application/json" }),
      ...headers,
    },
    ...(body !== undefined && { body }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text for the assertion message
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Runs a request that must be refused with `status` as problem+json, and asserts the project is unchanged. */
/**
 * A refused request: its status, a problem+json body, and the project's items unchanged. A loop of many
 * refusals passes `compare: false` and compares once around the whole loop (each comparison scans the
 * shared table, which every other test fills).
 */
async function rejects(
  projectId: string,
  status: number,
  run: () => Promise<Raw>,
  options: { compare?: boolean } = {},
): Promise<any> {
  const compare = options.compare ?? true;
  const before = compare ? await projectItems(rt, projectId) : undefined;
  const result = await run();
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.headers.get("content-type")).toBe("application/problem+json");
  expect(result.body).toMatchObject({ status, type: expect.stringMatching(/^urn:cortex:problem:/) });
  if (compare) expect(await projectItems(rt, projectId)).toEqual(before);
  return result.body;
}

const paths = (problem: { errors?: Array<{ path: string }> }) => problem.errors?.map((e) => e.path);
const nested = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

describe("metadata that DynamoDB cannot hold is refused up front (item 4)", () => {
  const cases: Array<[string, string, string]> = [
    ["an integer beyond 2^53", '{"discordId":1234567890123456789}', "metadata.discordId"],
    ["a number smaller than 1e-130", '{"tiny":1e-300}', "metadata.tiny"],
    ["an empty key", '{"":1}', "metadata."],
    ["an empty key deeper down", '{"a":{"b":[{"":true}]}}', "metadata.a.b.0."],
    ["nesting of 29 levels", `{"deep":${nested(28)}}`, "metadata.deep.0.0.0.0.0.0.0"],
  ];
  for (const [what, metadata, path] of cases) {
    it(`rejects ${what} on create and on update, naming the path`, async () => {
      const api = client();
      const created = await rejects(api.projectId, 400, () =>
        raw("POST", `/v1/projects/${api.projectId}/gatherings`, `{"name":"M","type":"lobby","metadata":${metadata}}`),
      );
      expect(paths(created)).toEqual([path]);
      const g = await api.create({ name: "M", type: "lobby" });
      const updated = await rejects(api.projectId, 400, () =>
        raw("PATCH", `/v1/projects/${api.projectId}/gatherings/${g.id}`, `{"metadata":${metadata}}`),
      );
      expect(paths(updated)).toEqual([path]);
    });
  }

  it("accepts what it can store exactly: safe integers, big ids as strings, small decimals, eight levels", async () => {
    const api = client();
    const metadata = {
      discordId: "1234567890123456789",
      max: Number.MAX_SAFE_INTEGER,
      min: -Number.MAX_SAFE_INTEGER,
      ratio: 0.1,
      small: 1e-100,
      zero: 0,
      deep: { a: { b: { c: { d: { e: { f: { g: "in the eighth level" } } } } } } },
    };
    const created = await api.create({ name: "M", type: "lobby", metadata });
    expect((await api.get(`/gatherings/${created.id}`)).body.metadata).toEqual(metadata);
  });

  it("rejects bodies nested 5,000 (and 100,000) levels deep with a 400, not a crash", async () => {
    const api = client();
    for (const levels of [5_000, 100_000]) {
      const problem = await rejects(api.projectId, 400, () =>
        raw(
          "POST",
          `/v1/projects/${api.projectId}/gatherings`,
          `{"name":"D","type":"lobby","metadata":{"x":${nested(levels)}}}`,
        ),
      );
      expect(problem.detail).toMatch(/deeper than 32 levels/);
    }
  });
});

describe("path parameters are validated before any work, on every route (item 4)", () => {
  const sample: Record<string, string> = {
    gatheringId: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa",
    participantId: "p1",
    invitationId: "inv_01aaaaaaaaaaaaaaaaaaaaaaaa",
    sessionId: "sess_01aaaaaaaaaaaaaaaaaaaaaaaa",
    webhookId: "whk_01aaaaaaaaaaaaaaaaaaaaaaaa",
    eventId: "evt_01aaaaaaaaaaaaaaaaaaaaaaaa",
    token: "abc.def",
    pluginId: "summary",
    actionId: "generate-minutes",
  };
  const withParams = (ROUTES as readonly RouteDefinition[]).filter((r) => r.path.includes("{"));

  it("answers 400 naming the parameter for a 5,000-character id on every route with path parameters", async () => {
    const api = client();
    const long = "a".repeat(5_000);
    const before = await projectItems(rt, api.projectId);
    let checked = 0;
    for (const route of withParams) {
      for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) {
        const path = route.path.replace(/\{(\w+)\}/g, (_, p: string) =>
          p === name ? long : p === "projectId" ? api.projectId : sample[p]!,
        );
        const body = route.body ? "{}" : undefined;
        const problem = await rejects(api.projectId, 400, () => raw(route.method, path, body), { compare: false });
        expect(paths(problem), `${route.method} ${route.path} {${name}}`).toEqual([name]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(37);
    expect(await projectItems(rt, api.projectId)).toEqual(before);
  });

  it("caps a path participantId at 128 characters, as the body schema does", async () => {
    const api = client();
    const g = await api.create({ name: "P", type: "lobby" });
    const id129 = "p".repeat(129);
    for (const [method, path, body] of [
      ["PUT", `/participants/${id129}`, '{"displayName":"Bob"}'],
      ["GET", `/participants/${id129}`, undefined],
      ["GET", `/gatherings/${g.id}/members/${id129}`, undefined],
      ["POST", `/gatherings/${g.id}/members/${id129}/join`, undefined],
      ["DELETE", `/gatherings/${g.id}/members/${id129}`, undefined],
    ] as const) {
      const problem = await rejects(api.projectId, 400, () =>
        raw(method, `/v1/projects/${api.projectId}${path}`, body),
      );
      expect(paths(problem)).toEqual(["participantId"]);
    }
    expect((await api.request("PUT", `/participants/${"p".repeat(128)}`, { displayName: "Bob" })).status).toBe(200);
  });

  it("validates the path of the streaming (SSE) routes too", async () => {
    const api = client();
    for (const path of [`/gatherings/${"g".repeat(5_000)}/events`, `/sessions/${"s".repeat(65)}/events`]) {
      const problem = await rejects(api.projectId, 400, () => raw("GET", `/v1/projects/${api.projectId}${path}`));
      expect(paths(problem)?.[0]).toMatch(/^(gatheringId|sessionId)$/);
    }
  });
});

describe("cursors are opaque and authenticated (item 5)", () => {
  const listPaths = (gatheringId: string, sessionId: string) => [
    "/gatherings",
    "/sessions",
    `/sessions/${sessionId}/messages`,
    `/sessions/${sessionId}/attendance`,
    `/sessions/${sessionId}/message-annotations`,
    `/gatherings/${gatheringId}/members`,
    `/gatherings/${gatheringId}/invitations`,
    "/webhooks",
    "/webhooks/whk_01aaaaaaaaaaaaaaaaaaaaaaaa/attempts",
    "/events/evt_01aaaaaaaaaaaaaaaaaaaaaaaa/attempts",
    "/activity",
    "/keys",
    "/v1/keys", // the tenant's keys: not under the project
  ];
  const urlOf = (projectId: string, list: string) =>
    list.startsWith("/v1/") ? list : `/v1/projects/${projectId}${list}`;

  it("answers 400 with the cursor's field path for a made-up cursor on all 13 list routes", async () => {
    const api = client();
    const g = await api.create({ name: "C", type: "lobby" });
    const session = await api.post("/sessions", { title: "C", externalRoomId: "r", autoStart: false });
    const lists = listPaths(g.id, session.body.id);
    expect(lists).toHaveLength((ROUTES as readonly RouteDefinition[]).filter((r) => r.query?.shape.cursor).length);
    const before = await projectItems(rt, api.projectId);
    for (const list of lists) {
      for (const cursor of ["e30", "eyJQSyI6IngiLCJTSyI6InkifQ", "garbage.garbage"]) {
        const problem = await rejects(
          api.projectId,
          400,
          () => raw("GET", `${urlOf(api.projectId, list)}?cursor=${cursor}`),
          { compare: false },
        );
        expect(paths(problem), `${list} ${cursor}`).toEqual(["cursor"]);
        expect(problem.code).toBe("validation_failed");
      }
    }
    expect(await projectItems(rt, api.projectId)).toEqual(before);
  });

  it("refuses a cursor that was altered or issued for another listing, and follows a genuine one", async () => {
    const api = client();
    const a = await api.create({ name: "A", type: "lobby" });
    const b = await api.create({ name: "B", type: "lobby" });
    await api.create({ name: "C", type: "open" });
    for (const p of ["p1", "p2", "p3"]) {
      await api.post(`/gatherings/${a.id}/members`, { participantId: p });
      await api.post(`/gatherings/${b.id}/members`, { participantId: p });
    }
    const page = await api.get(`/gatherings/${a.id}/members?limit=1`);
    const cursor: string = page.body.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const next = await api.get(`/gatherings/${a.id}/members?limit=1&cursor=${encodeURIComponent(cursor)}`);
    expect(next.status).toBe(200);
    expect(next.body.items[0].participantId).not.toBe(page.body.items[0].participantId);

    const tampered = cursor.slice(0, 2) + (cursor[2] === "A" ? "B" : "A") + cursor.slice(3);
    const gatherings = await api.get("/gatherings?limit=1");
    const listCursor: string = gatherings.body.nextCursor;
    const other = new ApiClient(rt, uniqueProject("hard"));
    for (const [projectId, path] of [
      [api.projectId, `/gatherings/${a.id}/members?cursor=${encodeURIComponent(tampered)}`],
      [api.projectId, `/gatherings/${b.id}/members?cursor=${encodeURIComponent(cursor)}`], // another gathering
      [api.projectId, `/gatherings/${a.id}/members?status=joined&cursor=${encodeURIComponent(cursor)}`], // filter
      [api.projectId, `/gatherings?cursor=${encodeURIComponent(cursor)}`], // another listing
      [api.projectId, `/gatherings?type=lobby&cursor=${encodeURIComponent(listCursor)}`], // filter added
      [other.projectId, `/gatherings?cursor=${encodeURIComponent(listCursor)}`], // another project
    ] as const) {
      const problem = await rejects(projectId, 400, () => raw("GET", `/v1/projects/${projectId}${path}`));
      expect(paths(problem), path).toEqual(["cursor"]);
      expect(problem.detail).toMatch(/cursor is not valid/);
    }
  });
});

describe("project ids are validated up front, and a failed create commits nothing (item 6)", () => {
  it("answers 400 (not 502 or 409) for project ids with control characters, DEL, emoji or 5,000 characters, and creates nothing", async () => {
    for (const projectId of ["\u0000x", "a\r\nb", "a\nb", "x\u007f", "p🎉", "p".repeat(5_000), "-leading", "a#b"]) {
      const problem = await rejects(projectId, 400, () =>
        raw("POST", `/v1/projects/${encodeURIComponent(projectId)}/gatherings`, '{"name":"Dup","type":"lobby"}', {
          "Idempotency-Key": "k1",
        }),
      );
      expect(paths(problem), JSON.stringify(projectId.slice(0, 10))).toEqual(["projectId"]);
      expect(await projectItems(rt, projectId)).toEqual([]);
    }
  });

  it("accepts the project ids the seeds, docs and tests use", async () => {
    for (const projectId of ["demo", "your-project-id", "final-auth", "p", "proj_e2e", uniqueProject("a.b")]) {
      const api = new ApiClient(rt, projectId);
      expect((await api.get("/gatherings?limit=1")).status, projectId).toBe(200);
    }
  });
});

describe("smaller gaps (item 8)", () => {
  it("refuses an appointment shorter than a minute on create and on reschedule", async () => {
    const api = client();
    const base = Date.now() + 3600_000;
    const future = (ms: number) => new Date(base + ms).toISOString();
    const start = future(0);
    const problem = await rejects(api.projectId, 400, () =>
      raw(
        "POST",
        `/v1/projects/${api.projectId}/gatherings`,
        JSON.stringify({ name: "Blink", type: "appointment", startsAt: start, endsAt: future(500) }),
      ),
    );
    expect(problem.errors).toEqual([{ path: "endsAt", message: "must be at least 1 minute after startsAt" }]);
    const g = await api.create({ name: "Ok", type: "appointment", startsAt: start, endsAt: future(60_000) });
    const shorter = await rejects(api.projectId, 400, () =>
      raw("PATCH", `/v1/projects/${api.projectId}/gatherings/${g.id}`, JSON.stringify({ endsAt: future(59_000) })),
    );
    expect(paths(shorter)).toEqual(["endsAt"]);
  });

  it("answers HEAD on GET routes like GET without a body; HEAD on a stream and OPTIONS are 404, never 5xx", async () => {
    const api = client();
    const g = await api.create({ name: "H", type: "lobby" });
    const head = await raw("HEAD", `/v1/projects/${api.projectId}/gatherings/${g.id}`);
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe('"1"');
    expect(head.headers.get("content-type")).toBe("application/json");
    expect(head.body).toBeUndefined();
    expect((await raw("HEAD", "/v1/openapi.json")).status).toBe(200);
    expect((await raw("HEAD", `/v1/projects/${api.projectId}/gatherings/gth_01aaaaaaaaaaaaaaaaaaaaaaaa`)).status).toBe(
      404,
    );
    expect((await raw("HEAD", `/v1/projects/${api.projectId}/gatherings/${g.id}/events`)).status).toBe(404);
    const options = await raw("OPTIONS", `/v1/projects/${api.projectId}/gatherings`);
    expect(options.status).toBe(404);
    expect(options.body).toMatchObject({ code: "route_not_found" });
  });

  it("documents the metadata limits, the join-code pattern, RSVP's 409, reset beyond the current version and path-id rules", async () => {
    const doc = (await raw("GET", "/v1/openapi.json")).body;
    const schemas = doc.components.schemas;
    const metadata = schemas.CreateGatheringRequest.properties.metadata;
    expect(metadata).toMatchObject({ "x-maxBytes": 4096, "x-maxDepth": 8 });
    expect(metadata.description).toMatch(/4096 bytes/);
    expect(schemas.Gathering.properties.joinCode.pattern).toBe("^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$");
    expect(schemas.JoinByCodeRequest.properties.joinCode.description).toMatch(/O→0/);
    expect(doc.paths["/v1/rsvp/{token}"].post.responses["409"]).toBeDefined();
    const stream = doc.paths["/v1/projects/{projectId}/gatherings/{gatheringId}/events"].get;
    const after = stream.parameters.find((p: { name: string }) => p.name === "after");
    expect(after.schema.description).toMatch(/beyond the\s+current one.*event: reset/s);
    const projectId = stream.parameters.find((p: { name: string }) => p.name === "projectId");
    expect(projectId.schema.pattern).toBe("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
    const participant = doc.paths["/v1/projects/{projectId}/participants/{participantId}"].put.parameters.find(
      (p: { name: string }) => p.name === "participantId",
    );
    expect(participant.schema).toMatchObject({ maxLength: 128, pattern: expect.any(String) });
  });
});
