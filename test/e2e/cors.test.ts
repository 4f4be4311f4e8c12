import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GATEWAY_RESPONSES } from "../../shared/app/http/gateway-responses.js";
import { ApiClient, uniqueProject } from "../support/http.js";
import { sharedRuntime, startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * CORS over real sockets: a runtime whose deployment list allows one page origin (a second local port),
 * preflights and responses from the local server, a project's own origins from its settings, and a page
 * on that second origin driving a lobby through the SDK with a participant token in headless Chromium.
 */
const CHROMIUM = "/usr/bin/chromium";

/** A page server on its own port (its own origin): the page, its script, and the SDK's browser build. */
async function pageServer(sdk: () => Promise<string>): Promise<{ origin: string; server: Server }> {
  const files: Record<string, [string, () => Promise<string> | string]> = {
    "/": [
      "text/html",
      () => '<!doctype html><title>game</title><p id="out">…</p><script type="module" src="/app.js"></script>',
    ],
    "/app.js": ["text/javascript", () => APP],
    "/sdk.js": ["text/javascript", sdk],
  };
  const server = createServer((req, res) => {
    const file = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!file) return void res.writeHead(404).end();
    void Promise.resolve(file[1]()).then((body) => res.writeHead(200, { "Content-Type": file[0] }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return { origin: `http://127.0.0.1:${address.port}`, server };
}

/** The game client: joins by code, marks itself ready (If-Match, Idempotency-Key), reads the lobby. */
const APP = `
import { CortexClient } from "./sdk.js";
const p = new URLSearchParams(location.hash.slice(1));
const out = document.getElementById("out");
try {
  const client = new CortexClient({ baseUrl: p.get("api"), token: p.get("token") });
  const project = client.project(p.get("project"));
  const me = p.get("me");
  const { gathering, member } = await project.gatherings.joinByCode({ joinCode: p.get("code"), participantId: me });
  const ready = await gathering.ready(me);
  const fresh = await project.gatherings.get(gathering.id);
  // A live view over SSE, cross-origin too: its first snapshot, then the host's marker member arriving live.
  const watched = await new Promise((resolve, reject) => {
    const stop = gathering.watchMembers().onSnapshot((members) => {
      if (!out.dataset.snapshot) {
        out.dataset.snapshot = "1";
        out.dataset.watching = "yes";
      }
      if (members.some((m) => m.participantId === "marker")) {
        stop();
        resolve(members.map((m) => m.participantId).sort());
      }
    }, reject);
  });
  out.dataset.result = JSON.stringify({
    joined: member.status,
    ready: ready.status,
    readyCount: fresh.readyCount,
    watched,
  });
} catch (error) {
  out.dataset.error = String(error && (error.status ?? error.name)) + " " + String(error && error.message);
}
`;

let rt: RunningRuntime;
let page: { origin: string; server: Server };
let stranger: { origin: string; server: Server };

beforeAll(async () => {
  const sdk = async () => (await fetch(`${rt.apiUrl}/demo/sdk.js`)).text();
  [page, stranger] = await Promise.all([pageServer(sdk), pageServer(sdk)]);
  rt = await startRuntime(["--in-memory"], { CORS_ALLOWED_ORIGINS: page.origin });
});
afterAll(async () => {
  rt?.process.kill("SIGINT");
  await rt?.exited;
  for (const s of [page, stranger]) await new Promise((r) => s?.server.close(r));
});

async function mintToken(projectId: string, participantId: string, gatherings?: string[]): Promise<string> {
  const minted = await new ApiClient(rt, projectId).post("/tokens", {
    participantId,
    ...(gatherings && { gatherings }),
  });
  expect(minted.status).toBe(201);
  return minted.body.token as string;
}

describe("CORS preflights and responses", () => {
  const preflight = (origin: string, path = "/v1/projects/demo/gatherings/join") =>
    fetch(rt.apiUrl + path, {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key, if-match",
      },
    });

  it("a preflight from an allowed origin is answered without a key, echoing the origin", async () => {
    const response = await preflight(page.origin);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(page.origin);
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    const allowHeaders = response.headers.get("access-control-allow-headers") ?? "";
    for (const name of [
      "Authorization",
      "Content-Type",
      "Idempotency-Key",
      "If-Match",
      "Last-Event-ID",
      "Cache-Control",
    ]) {
      expect(allowHeaders).toContain(name);
    }
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("a preflight from another origin gets no allowance, and an unknown path is the gateway's missing-route answer", async () => {
    const response = await preflight(stranger.origin);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const nowhere = await preflight(page.origin, "/v1/nowhere");
    expect(nowhere.status).toBe(GATEWAY_RESPONSES.MISSING_AUTHENTICATION_TOKEN.status);
  });

  it("responses echo only the allowed origin, errors and gateway responses included", async () => {
    const projectId = uniqueProject("cors");
    const ok = await fetch(`${rt.apiUrl}/v1/projects/${projectId}/gatherings`, {
      headers: { Authorization: `Bearer ${rt.apiKey}`, Origin: page.origin },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(page.origin);
    expect(ok.headers.get("access-control-expose-headers")).toContain("ETag");
    const unauthorized = await fetch(`${rt.apiUrl}/v1/projects/${projectId}/gatherings`, {
      headers: { Origin: page.origin },
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get("access-control-allow-origin")).toBe(page.origin);
    const notFound = await fetch(`${rt.apiUrl}/v1/projects/${projectId}/gatherings/gth_missing`, {
      headers: { Authorization: `Bearer ${rt.apiKey}`, Origin: page.origin },
    });
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("access-control-allow-origin")).toBe(page.origin);
    const foreign = await fetch(`${rt.apiUrl}/v1/projects/${projectId}/gatherings`, {
      headers: { Authorization: `Bearer ${rt.apiKey}`, Origin: stranger.origin },
    });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("a project's own allowedOrigins setting allows its origin on that project's responses only", async () => {
    const shared = sharedRuntime();
    const origin = "https://game.example";
    const mine = new ApiClient(shared, uniqueProject("cors-own"));
    const other = new ApiClient(shared, uniqueProject("cors-other"));
    const invalid = await mine.patch("/settings", { allowedOrigins: ["https://game.example/path"] });
    expect(invalid.status).toBe(400);
    expect((await mine.patch("/settings", { allowedOrigins: [origin] })).status).toBe(200);
    expect((await mine.get("/settings")).body.allowedOrigins).toEqual([origin]);
    const ownResponse = await mine.get("/gatherings", { Origin: origin });
    expect(ownResponse.headers.get("access-control-allow-origin")).toBe(origin);
    const otherResponse = await other.get("/gatherings", { Origin: origin });
    expect(otherResponse.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("a page on another origin drives a lobby with a participant token (headless Chromium)", () => {
  let context: BrowserContext;
  let userDataDir: string;
  beforeAll(async () => {
    userDataDir = mkdtempSync(join(tmpdir(), "cortex-cors-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
  });
  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  async function play(
    origin: string,
    token: string,
    projectId: string,
    code: string,
    me: string,
    whileWatching?: () => Promise<void>,
  ) {
    const tab = await context.newPage();
    const hash = new URLSearchParams({ api: rt.apiUrl, token, project: projectId, code, me });
    await tab.goto(`${origin}/#${hash}`);
    const out = tab.locator("#out");
    await out.and(tab.locator("[data-watching], [data-error]")).waitFor({ timeout: 60_000 });
    if ((await out.getAttribute("data-watching")) && whileWatching) await whileWatching();
    await out.and(tab.locator("[data-result], [data-error]")).waitFor({ timeout: 60_000 });
    const result = { result: await out.getAttribute("data-result"), error: await out.getAttribute("data-error") };
    await tab.close();
    return result;
  }

  it("joins by code and marks ready through the SDK, from the allowed origin", async () => {
    const projectId = uniqueProject("cors-game");
    const host = new ApiClient(rt, projectId);
    const lobby = await host.create({ name: "Cross-origin lobby", type: "lobby", maxMembers: 4 });
    const token = await mintToken(projectId, "player-1", [lobby.id]);
    const { result, error } = await play(page.origin, token, projectId, lobby.joinCode, "player-1", async () => {
      // Once the page's live view is open, the host adds the marker it waits for.
      expect((await host.post(`/gatherings/${lobby.id}/members`, { participantId: "marker" })).status).toBe(201);
    });
    expect(error).toBeNull();
    expect(JSON.parse(result!)).toEqual({
      joined: "joined",
      ready: "ready",
      readyCount: 1,
      watched: ["marker", "player-1"],
    });
    // The server sees it too.
    const member = await host.get(`/gatherings/${lobby.id}/members/player-1`);
    expect(member.body.status).toBe("ready");
  });

  it("the demo lobby page: a player without the key joins and readies with a token the runtime mints", async () => {
    const projectId = uniqueProject("demo-player");
    const host = new ApiClient(rt, projectId);
    const lobby = await host.create({ name: "Keyless lobby", type: "lobby", maxMembers: 4 });
    const tab = await context.newPage();
    const credentials: string[] = [];
    tab.on("request", (request) => {
      const authorization = request.headers()["authorization"];
      if (authorization) credentials.push(authorization);
    });
    await tab.goto(`${rt.apiUrl}/demo/lobby#project=${projectId}`);
    await tab.getByLabel("Join code").fill(lobby.joinCode);
    await tab.getByLabel("Your player id").fill("keyless");
    await tab.getByRole("button", { name: "Join lobby" }).click();
    const row = tab.locator('#member-rows tr[data-participant-id="keyless"]');
    await expect.poll(() => row.getAttribute("data-status", { timeout: 1000 }), { timeout: 30_000 }).toBe("joined");
    await tab.getByRole("button", { name: "I'm ready" }).click();
    await expect.poll(() => row.getAttribute("data-status", { timeout: 1000 }), { timeout: 30_000 }).toBe("ready");
    await tab.close();
    expect((await host.get(`/gatherings/${lobby.id}/members/keyless`)).body.status).toBe("ready");
    // Every API call of the page carried the player's token; the dev key never reached the page.
    expect(credentials.length).toBeGreaterThan(0);
    expect(credentials.filter((c) => !c.startsWith("Bearer cpt_"))).toEqual([]);
  });

  it("the same page on an origin the deployment does not allow cannot read the API", async () => {
    const projectId = uniqueProject("cors-game");
    const host = new ApiClient(rt, projectId);
    const lobby = await host.create({ name: "Closed lobby", type: "lobby", maxMembers: 4 });
    const token = await mintToken(projectId, "player-2", [lobby.id]);
    const { result, error } = await play(stranger.origin, token, projectId, lobby.joinCode, "player-2");
    expect(result).toBeNull();
    // The browser withholds the answer: the SDK sees a network failure, not an HTTP status.
    expect(error).not.toMatch(/^(2|4|5)\d\d /);
    expect((await host.get(`/gatherings/${lobby.id}/members/player-2`)).status).toBe(404);
  });
});
