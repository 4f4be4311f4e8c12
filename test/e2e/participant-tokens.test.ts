import { beforeAll, describe, expect, it } from "vitest";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { storeClient } from "../support/dynamodb.js";
import { mintParticipantToken, SIGNING_PURPOSE } from "../../shared/domain/auth/participant-tokens.js";
import { signingKey } from "../../shared/domain/auth/signing-key.js";
import { ROUTES, type RouteDefinition } from "../../shared/app/http/routes.js";
import { ApiClient, committedEvents, mintApiKey, uniqueProject } from "../support/http.js";
import { sharedRuntime } from "../support/runtime.js";

/**
 * Participant tokens, generated from the route table: every authenticated route is called with a token
 * of participant p1 listing gathering G1, in six cases, and must answer as its `participant` policy says:
 *   own                — p1 on G1:                       2xx where the route has a policy, else 403
 *   other participant  — p2's member record / join as p2: 403 where the route names a participant
 *   other gathering    — G2 (not listed, p1 not a member): 404 where the route names a gathering
 *   other project      — a token of another project:      404 everywhere
 *   expired token      — signed with the real key, past:  401 everywhere
 *   tampered token     — one claim character changed:      401 everywhere
 * A route added to ROUTES gets the same six calls; one with a policy must be given a probe body below.
 */
const rt = sharedRuntime();
const CASES = ["own", "other participant", "other gathering", "other project", "expired", "tampered"] as const;
type Case = (typeof CASES)[number];

/** Bodies for the routes a token may use (the rest answer 403 before reading a body). */
const BODIES: Record<string, (w: World) => unknown> = {
  joinByCode: (w) => ({ joinCode: w.values.joinCode, participantId: w.values.joiner }),
};

interface World {
  projectId: string;
  values: Record<string, string>;
}

const authenticated = (ROUTES as readonly RouteDefinition[]).filter((r) => !r.public);
const names = (route: RouteDefinition) => [...route.path.matchAll(/\{(\w+)\}/g)].map(([, n]) => n!);

/** A lobby G1 with members p1 and p2 (and a code p3 may join by), and a lobby G2 of p2 alone. */
async function buildWorld(projectId: string): Promise<World> {
  const api = new ApiClient(rt, projectId);
  const g1 = await api.create({ name: "Token lobby", type: "lobby", maxMembers: 10 });
  const g2 = await api.create({ name: "Other lobby", type: "lobby", maxMembers: 10 });
  for (const [gathering, participantId] of [
    [g1.id, "p1"],
    [g1.id, "p2"],
    [g2.id, "p2"],
  ] as const) {
    expect((await api.post(`/gatherings/${gathering}/members`, { participantId })).status).toBe(201);
  }
  return {
    projectId,
    values: {
      projectId,
      gatheringId: g1.id,
      otherGatheringId: g2.id,
      participantId: "p1",
      joinCode: g1.joinCode,
      otherJoinCode: g2.joinCode,
      joiner: "p1",
    },
  };
}

async function mint(projectId: string, body: Record<string, unknown>, key = rt.apiKey) {
  return new ApiClient(rt, projectId, key).post("/tokens", body);
}

async function tokenFor(projectId: string, participantId: string, gatherings?: string[]): Promise<string> {
  const minted = await mint(projectId, { participantId, ttlSeconds: 600, ...(gatherings && { gatherings }) });
  expect(minted.status).toBe(201);
  return minted.body.token as string;
}

const tableStore = () =>
  new DynamoDbStore({
    tableName: "cortex",
    client: storeClient(rt.dynamodbEndpoint),
  });

/** A token the deployment really signed, that expired an hour ago. */
async function expiredToken(projectId: string, gatheringId: string): Promise<string> {
  const key = await signingKey(tableStore(), SIGNING_PURPOSE);
  const past = new Date(Date.now() - 2 * 3600_000);
  const request = { tenantId: "local", projectId, participantId: "p1", gatherings: [gatheringId], ttlSeconds: 3600 };
  return mintParticipantToken(key, request, past).token;
}

/** The same claim with one character of its payload changed (the signature no longer matches). */
function tampered(token: string): string {
  const at = 12;
  const swapped = token[at] === "A" ? "B" : "A";
  return token.slice(0, at) + swapped + token.slice(at + 1);
}

/** What the table expects: from the route's policy, and what it names. */
function expected(route: RouteDefinition, c: Case): number | "2xx" {
  if (c === "expired" || c === "tampered") return 401;
  // A tenant-level route (/v1/keys) belongs to no project: a token is refused there whatever it names.
  if (route.tenant) return 403;
  if (c === "other project") return 404;
  if (!route.participant) return 403;
  const params = names(route);
  if (c === "other participant") return params.includes("participantId") || route.participant === "join" ? 403 : "2xx";
  if (c === "other gathering") return params.includes("gatheringId") || route.participant === "join" ? 404 : "2xx";
  return "2xx";
}

async function call(route: RouteDefinition, world: World, token: string, c: Case) {
  const values = { ...world.values };
  if (c === "other participant") {
    values.participantId = "p2";
    values.joiner = "p2";
  }
  if (c === "other gathering") {
    values.gatheringId = values.otherGatheringId!;
    values.joinCode = values.otherJoinCode!;
  }
  // Ids the token may never reach: any well-formed value (the token is refused before it is looked up).
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? "x_probe"));
  const body = BODIES[route.operationId]?.({ ...world, values }) ?? (route.body ? {} : undefined);
  const abort = new AbortController();
  const response = await fetch(rt.apiUrl + path, {
    method: route.method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: abort.signal,
    redirect: "manual",
  });
  let text = "";
  if (route.handler === "sse" && response.ok) abort.abort();
  else text = await response.text();
  return { status: response.status, text, contentType: response.headers.get("content-type") ?? "" };
}

describe("participant tokens across every route", () => {
  let shared: World;
  let otherProjectToken: string;

  beforeAll(async () => {
    shared = await buildWorld(uniqueProject("tokens"));
    otherProjectToken = await tokenFor(uniqueProject("tokens-other"), "p1");
  });

  it("every route a token may use has a policy the table can drive", () => {
    const policies = authenticated.filter((r) => r.participant).map((r) => `${r.operationId}:${r.participant}`);
    expect(policies.sort()).toEqual([
      "getGathering:member",
      "getMember:self",
      "joinByCode:join",
      "leaveMember:self",
      "listMembers:member",
      "readyMember:self",
      "streamGatheringEvents:member",
      "unreadyMember:self",
    ]);
  });

  for (const c of CASES) {
    it(`${c}: every route answers as its participant policy says`, async () => {
      const wrong: string[] = [];
      for (const route of authenticated) {
        // A route a token may use changes state: each call gets a world of its own.
        const world = route.participant ? await buildWorld(uniqueProject("tokens")) : shared;
        const joiner = route.participant === "join" ? "p3" : "p1";
        if (route.participant === "join") world.values.joiner = joiner;
        const token =
          c === "other project"
            ? otherProjectToken
            : c === "expired"
              ? await expiredToken(world.projectId, world.values.gatheringId!)
              : await tokenFor(world.projectId, joiner, [world.values.gatheringId!]);
        const { status, text, contentType } = await call(route, world, c === "tampered" ? tampered(token) : token, c);
        const want = expected(route, c);
        const ok = want === "2xx" ? status >= 200 && status < 300 : status === want;
        if (!ok) wrong.push(`${route.operationId}: expected ${want}, got ${status} ${text}`);
        if (status >= 400 && !contentType.includes("problem+json")) {
          wrong.push(`${route.operationId}: ${status} without problem+json (${contentType})`);
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it("a token without a gatherings list reads only gatherings its participant is a member of", async () => {
    const world = await buildWorld(uniqueProject("tokens"));
    const token = await tokenFor(world.projectId, "p1");
    const as = new ApiClient(rt, world.projectId, token);
    expect((await as.get(`/gatherings/${world.values.gatheringId}`)).status).toBe(200);
    const other = await as.get(`/gatherings/${world.values.otherGatheringId}`);
    expect(other.status).toBe(404);
    expect((await as.get(`/gatherings/${world.values.gatheringId}/members`)).status).toBe(200);
    expect((await as.get(`/gatherings/${world.values.otherGatheringId}/members`)).status).toBe(404);
    const stream = await fetch(
      `${rt.apiUrl}/v1/projects/${world.projectId}/gatherings/${world.values.otherGatheringId}/events`,
      { headers: { Authorization: `Bearer ${token}` } },
    );
    expect(stream.status).toBe(404);
    await stream.text();
  });

  it("a token acts as its participant: ready is recorded with the participant as the actor", async () => {
    const world = await buildWorld(uniqueProject("tokens"));
    const token = await tokenFor(world.projectId, "p1", [world.values.gatheringId!]);
    const as = new ApiClient(rt, world.projectId, token);
    const ready = await as.post(`/gatherings/${world.values.gatheringId}/members/p1/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.member.status).toBe("ready");
    // The owner's key sees the change.
    const member = await new ApiClient(rt, world.projectId).get(`/gatherings/${world.values.gatheringId}/members/p1`);
    expect(member.body.status).toBe("ready");
    const events = await committedEvents(rt, world.projectId, world.values.gatheringId!);
    const readied = events.find((e) => e.type === "gathering.member.ready");
    expect(readied?.actor).toEqual({ type: "participant", id: "p1" });
  });

  it("minting validates its body with clear 400s and changes nothing", async () => {
    const projectId = uniqueProject("tokens");
    for (const body of [
      {},
      { participantId: "p1", ttlSeconds: 10 },
      { participantId: "p1", ttlSeconds: 86_401 },
      { participantId: "p1", ttlSeconds: 1.5 },
      { participantId: "p1", gatherings: [] },
      { participantId: "p1", gatherings: Array.from({ length: 21 }, (_, i) => `gth_${i}`) },
      { participantId: "p1", gatherings: ["not an id"] },
      { participantId: "p1", extra: true },
    ]) {
      const result = await mint(projectId, body);
      expect(result.status, JSON.stringify(body)).toBe(400);
      expect(result.body.code).toBe("validation_failed");
    }
    const minted = await mint(projectId, { participantId: "p1" });
    expect(minted.status).toBe(201);
    expect(Date.parse(minted.body.expiresAt) - Date.now()).toBeGreaterThan(3000_000);
    expect(minted.headers.get("cache-control")).toBe("no-store");
  });

  it("a bot key, a key of another project and a participant token cannot mint tokens", async () => {
    const projectId = uniqueProject("tokens");
    const bot = await mintApiKey(rt, "local", projectId, "bot");
    expect((await mint(projectId, { participantId: "p1" }, bot)).status).toBe(403);
    const neighbour = await mintApiKey(rt, "local", uniqueProject("tokens-neighbour"));
    expect((await mint(projectId, { participantId: "p1" }, neighbour)).status).toBe(404);
    const token = await tokenFor(projectId, "p1");
    expect((await mint(projectId, { participantId: "p1" }, token)).status).toBe(403);
  });

  it("a token of another tenant using the same project id reaches nothing of this tenant", async () => {
    const world = await buildWorld(uniqueProject("tokens"));
    const evil = await mintApiKey(rt, "evil");
    const token = (await mint(world.projectId, { participantId: "p1" }, evil)).body.token as string;
    const as = new ApiClient(rt, world.projectId, token);
    expect((await as.get(`/gatherings/${world.values.gatheringId}`)).status).toBe(404);
    const join = await as.post("/gatherings/join", { joinCode: world.values.joinCode, participantId: "p1" });
    expect(join.status).toBe(404);
  });
});
