import { beforeAll, describe, expect, it } from "vitest";
import { ROUTES, type RouteDefinition } from "../../shared/app/http/routes.js";
import { ApiClient, committedEvents, mintApiKey, projectItems, uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";
import { makeWav } from "../support/wav.js";

/**
 * Tenant isolation, generated from the route table: every authenticated route is called with
 *   - a key of another project of the same tenant → 404 (a key sees nothing outside its project); on a
 *     tenant-level route (/v1/keys) → 403 (only a tenant-wide key may use them),
 *   - a tenant key of another tenant that uses the *same project id* → the victim's resources are unknown
 *     (404), collection routes act on the caller's own, empty project, and nothing of the victim is
 *     changed or shown,
 *   - the owner's key → the resource is there (neither 401/403/404 nor 5xx).
 * A route added to ROUTES without a request below fails the first test, so no route can be forgotten.
 */
const rt = sharedRuntime();
/** The owner's keys (set before any world is built). */
let owner: { api: string; bot: string };

type Probe = { body?: unknown };
/** What each operation is called with; path parameters come from the victim's world by name. */
const PROBES: Record<string, Probe> = {
  listGatherings: {},
  createGathering: { body: { name: "Probe", type: "lobby" } },
  joinByCode: { body: { joinCode: "{joinCode}", participantId: "intruder" } },
  getGathering: {},
  updateGathering: { body: { name: "Renamed by a probe" } },
  startGathering: { body: {} },
  endGathering: {},
  cancelGathering: {},
  regenerateJoinCode: {},
  listMembers: {},
  addMember: { body: { participantId: "intruder" } },
  getMember: {},
  removeMember: {},
  joinMember: {},
  readyMember: {},
  unreadyMember: {},
  leaveMember: {},
  transferOwnership: { body: { participantId: "p2" } },
  streamGatheringEvents: {},
  listSessions: {},
  createSession: { body: { title: "Probe", externalRoomId: "probe-room", autoStart: false } },
  getSession: {},
  updateSession: { body: { title: "Renamed by a probe" } },
  deleteSession: {},
  startSession: {},
  stopSession: {},
  listMessages: {},
  getDebugAudio: {},
  listAttendance: {},
  reportBotState: { body: { state: "in_room", commandId: "{commandId}" } },
  reportAttendance: { body: { peerId: "intruder", event: "joined", at: "{now}" } },
  postMessage: { body: { id: "probe", senderName: "Intruder", content: "probe", timestamp: "{now}" } },
  getProjectSettings: {},
  updateProjectSettings: { body: { debugAudioEnabled: true } },
  streamSessionEvents: {},
  listPlugins: {},
  updatePlugin: { body: { enabled: false } },
  listSessionAnnotations: {},
  listMessageAnnotations: {},
  getSessionActions: {},
  runSessionAction: {},
  regenerateSummary: {},
  sendInvitations: { body: { participantIds: ["intruder"] } },
  listInvitations: {},
  getInvitation: {},
  acceptInvitation: {},
  declineInvitation: {},
  putParticipant: { body: { displayName: "Intruder" } },
  getParticipant: {},
  createParticipantToken: { body: { participantId: "intruder", ttlSeconds: 60 } },
  createWebhook: { body: { url: "https://example.com/probe", enabled: false } },
  listWebhooks: {},
  getWebhook: {},
  updateWebhook: { body: { description: "changed by a probe" } },
  deleteWebhook: {},
  rotateWebhookSecret: { body: {} },
  listWebhookAttempts: {},
  listEventAttempts: {},
  replayWebhookEvent: { body: { eventId: "{eventId}" } },
  listActivity: {},
  listProjectKeys: {},
  createProjectKey: { body: { scopes: ["read"] } },
  revokeProjectKey: {},
  rotateProjectKey: {},
  // The tenant's keys (/v1/keys): only a tenant-wide key may call them; another tenant's acts on its own.
  listKeys: {},
  createKey: { body: { projectScope: "{projectId}", scopes: ["read"] } },
  revokeKey: {},
  rotateKey: {},
};

/** Routes that need no key; each is addressed by something other than a key's scope (see its own tests). */
const PUBLIC = ["getOpenApi", "viewRsvp", "confirmRsvp"];

/**
 * Under another tenant these address the caller's *own* namespace by design (an upsert, the participant
 * that upsert made, a listing by an id that the caller's project simply has nothing for): they may succeed,
 * but only ever with the caller's own data.
 */
const OWN_NAMESPACE = new Set(["putParticipant", "getParticipant", "listEventAttempts", "updatePlugin"]);

interface World {
  projectId: string;
  values: Record<string, string>;
}

/** Keys of one caller: its project key, and its bot key for the bot API. */
interface Caller {
  api: string;
  bot: string;
}

/** A victim project with one of everything a route can address. */
async function buildWorld(projectId: string): Promise<World> {
  const api = new ApiClient(rt, projectId);
  const lobby = await api.create({ name: "Victim lobby", type: "lobby", maxMembers: 10 });
  for (const participantId of ["p1", "p2"]) {
    expect((await api.post(`/gatherings/${lobby.id}/members`, { participantId })).status).toBe(201);
  }
  expect((await api.request("PUT", "/participants/p1", { displayName: "Victim Pat" })).status).toBe(200);
  const invited = await api.post(`/gatherings/${lobby.id}/invitations`, { participantIds: ["p3"] });
  expect(invited.status).toBe(201);
  const invitationId = invited.body.invitations[0].id as string;
  // The mailer records its outcome on the invitation; wait for it so the world is quiet before the snapshot.
  await eventually(async () => {
    const invitation = await api.get(`/gatherings/${lobby.id}/invitations/${invitationId}`);
    return invitation.body.status !== "pending" ? true : undefined;
  });
  const webhook = await api.post("/webhooks", { url: "https://example.com/victim", enabled: false });
  expect(webhook.status).toBe(201);
  const started = await api.create({ name: "Victim started lobby", type: "lobby" });
  const session = await api.post(`/gatherings/${started.id}/start`, { autoStartSession: true, roomId: "room-1" });
  expect(session.status).toBe(200);
  // Its bot acknowledges, so no ack deadline changes the world while a test compares it.
  const bot = new ApiClient(rt, projectId, owner.bot);
  const startedSession = await bot.get(`/sessions/${session.body.sessionId}`);
  const acked = { state: "in_room", commandId: startedSession.body.bot.commandId };
  expect((await bot.post(`/sessions/${session.body.sessionId}/bot`, acked)).status).toBe(200);
  // A session of its own with the bot in the room and a message with debug audio.
  expect((await api.patch("/settings", { debugAudioEnabled: true })).status).toBe(200);
  const transcribed = await api.post("/sessions", { title: "Victim session", externalRoomId: "victim-room" });
  expect(transcribed.status).toBe(201);
  const base = `/sessions/${transcribed.body.id}`;
  const commandId = transcribed.body.bot.commandId as string;
  expect((await bot.post(`${base}/bot`, { state: "in_room", commandId })).status).toBe(200);
  const message = await bot.post(`${base}/messages`, {
    id: "victim-message",
    senderName: "Victim Pat",
    content: "a secret plan",
    timestamp: new Date().toISOString(),
    debugAudio: makeWav(1).toString("base64"),
  });
  expect(message.status).toBe(201);
  // The sequencer commits the message asynchronously: wait for it, so the world is quiet before a snapshot.
  await eventually(async () => {
    const current = await api.get(`/sessions/${transcribed.body.id}`);
    return current.body.messageCount === 1 ? true : undefined;
  });
  // So do the plugins: wait until the message's sentiment annotation is published (it has its version).
  await eventually(async () => {
    const annotations = await api.get(`/sessions/${transcribed.body.id}/message-annotations`);
    return annotations.body.items.some((a: { type: string; version?: number }) => a.type === "sentiment" && a.version)
      ? true
      : undefined;
  });
  const key = await api.post("/keys", { scopes: ["read"], description: "victim key" });
  expect(key.status).toBe(201);
  const [firstEvent] = await committedEvents(rt, projectId, lobby.id);
  const fresh = await api.get(`/gatherings/${lobby.id}`);
  return {
    projectId,
    values: {
      projectId,
      gatheringId: lobby.id,
      participantId: "p1",
      invitationId,
      webhookId: webhook.body.id,
      keyId: key.body.key.keyId,
      sessionId: transcribed.body.id,
      commandId,
      messageId: message.body.id,
      now: new Date().toISOString(),
      eventId: firstEvent!.id,
      joinCode: fresh.body.joinCode,
      pluginId: "summary",
      actionId: "generate-minutes",
    },
  };
}

function fill(template: string, values: Record<string, string>, encode: (s: string) => string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`the isolation test has no value for {${name}}; add it to buildWorld`);
    return encode(value);
  });
}

/** One call; a streaming route is answered by its status and headers, then closed. */
async function call(route: RouteDefinition, world: World, caller: Caller) {
  const apiKey = route.credential === "bot" ? caller.bot : caller.api;
  const probe = PROBES[route.operationId]!;
  const path = fill(route.path, world.values, encodeURIComponent);
  const body =
    probe.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(probe.body), world.values, String));
  const abort = new AbortController();
  const response = await fetch(rt.apiUrl + path, {
    method: route.method,
    headers: {
      Authorization: `Bearer ${apiKey}`,
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    signal: abort.signal,
    // A 302 (debug audio) is the API's answer; following it would ask the store, not the API.
    redirect: "manual",
  });
  let text = "";
  if (route.handler === "sse" && response.ok) abort.abort();
  else text = await response.text();
  return { status: response.status, text, request: path + JSON.stringify(body ?? null) };
}

const authenticated = (ROUTES as readonly RouteDefinition[]).filter((r) => !r.public);
const hasResourceParams = (route: RouteDefinition) =>
  [...route.path.matchAll(/\{(\w+)\}/g)].some(([, name]) => name !== "projectId");

describe("tenant isolation across every route", () => {
  let victim: World;
  let otherProject: Caller;
  let otherTenant: Caller;

  beforeAll(async () => {
    owner = { api: rt.apiKey, bot: await mintApiKey(rt, "local", undefined, "bot") };
    victim = await buildWorld(uniqueProject("victim"));
    const neighbour = uniqueProject("neighbour");
    otherProject = {
      api: await mintApiKey(rt, "local", neighbour),
      bot: await mintApiKey(rt, "local", neighbour, "bot"),
    };
    // Another tenant that happens to use the very same project id.
    otherTenant = { api: await mintApiKey(rt, "evil"), bot: await mintApiKey(rt, "evil", undefined, "bot") };
  });

  it("every route of the table has a probe, and only the known public routes skip the key", () => {
    const all = (ROUTES as readonly RouteDefinition[]).map((r) => r.operationId);
    expect(all.filter((id) => !(id in PROBES) && !PUBLIC.includes(id))).toEqual([]);
    expect((ROUTES as readonly RouteDefinition[]).filter((r) => r.public).map((r) => r.operationId)).toEqual(PUBLIC);
  });

  it("a key of another project gets 404 on every route and changes nothing", async () => {
    const before = await projectItems(rt, victim.projectId);
    const wrong: string[] = [];
    for (const route of authenticated) {
      const { status, text } = await call(route, victim, otherProject);
      // A tenant-level route (/v1/keys) is not in any project: a project key is refused outright.
      const [expected, code] = route.tenant ? [403, '"forbidden"'] : [404, '"not_found"'];
      if (status !== expected || !text.includes(code)) wrong.push(`${route.operationId}: ${status} ${text}`);
    }
    expect(wrong).toEqual([]);
    expect(await projectItems(rt, victim.projectId)).toEqual(before);
  });

  it("a key of another tenant using the same project id never sees or changes the victim's data", async () => {
    const before = await projectItems(rt, victim.projectId);
    // The victim's ids and names; a 404 may echo an id the caller sent, which shows nothing new.
    const secrets = [
      ...Object.entries(victim.values)
        // Plugin and action ids name the deployment's catalog, the same for every project: not the victim's.
        .filter(([name]) => !["projectId", "participantId", "pluginId", "actionId"].includes(name))
        .map(([, value]) => value),
      "Victim lobby",
      "Victim Pat",
      "a secret plan",
    ];
    const wrong: string[] = [];
    for (const route of authenticated) {
      const { status, text, request } = await call(route, victim, otherTenant);
      const expected = hasResourceParams(route) || route.operationId === "joinByCode" ? 404 : undefined;
      if (OWN_NAMESPACE.has(route.operationId)) {
        if (status !== 200 && status !== 404) wrong.push(`${route.operationId}: ${status} in its own namespace`);
      } else if (expected !== undefined && status !== expected) {
        wrong.push(`${route.operationId}: expected ${expected}, got ${status} ${text}`);
      } else if (expected === undefined && (status < 200 || status >= 300)) {
        wrong.push(`${route.operationId}: expected 2xx in its own empty project, got ${status} ${text}`);
      }
      const leaked = secrets.filter((value) => text.includes(value) && !request.includes(value));
      if (leaked.length > 0 || text.includes('"tenantId":"local"')) {
        wrong.push(`${route.operationId}: the response shows the victim's data (${leaked.join(", ")})`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await projectItems(rt, victim.projectId)).toEqual(before);
    // What the other tenant created lives in its own partitions, not the victim's.
    expect((await projectItems(rt, victim.projectId, "evil")).length).toBeGreaterThan(0);
  });

  it("a participant token of another tenant or project gets 403 or 404 on every route and changes nothing", async () => {
    const before = await projectItems(rt, victim.projectId);
    const mint = async (key: string, projectId: string) => {
      const minted = await new ApiClient(rt, projectId, key).post("/tokens", { participantId: "p1" });
      expect(minted.status).toBe(201);
      return minted.body.token as string;
    };
    // The victim's own participant id, minted by a key that may not act in the victim's project.
    const tokens = {
      "other tenant, same project id": await mint(otherTenant.api, victim.projectId),
      "other project": await mint(owner.api, uniqueProject("neighbour")),
    };
    const wrong: string[] = [];
    for (const [who, token] of Object.entries(tokens)) {
      for (const route of authenticated) {
        const { status, text } = await call(route, victim, { api: token, bot: token });
        if (status !== 403 && status !== 404) wrong.push(`${who} → ${route.operationId}: ${status} ${text}`);
        if (text.includes("Victim")) wrong.push(`${who} → ${route.operationId}: shows the victim's data`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await projectItems(rt, victim.projectId)).toEqual(before);
  });

  it("the owner's key reaches every route's resource", async () => {
    const wrong: string[] = [];
    // Each route gets a world of its own, so earlier calls (a delete, an end) don't decide later ones; a few
    // worlds at a time, since each costs a dozen requests and the table grows with every new route.
    const pending = [...authenticated];
    const worker = async () => {
      for (let route = pending.shift(); route; route = pending.shift()) {
        const world = await buildWorld(uniqueProject("owner"));
        const { status, text } = await call(route, world, owner);
        if ([401, 403, 404].includes(status) || status >= 500) wrong.push(`${route.operationId}: ${status} ${text}`);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    expect(wrong.sort()).toEqual([]);
  }, 600_000);
});
