import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CortexClient, type Project } from "../../sdk/src/index.js";
import { ALICE_COMMITMENT, POSITIVE, PROFANE } from "../fixtures/meeting.js";
import { ApiClient, uniqueProject } from "../support/http.js";
import { holdMeeting, retimed } from "../support/meetings.js";
import { eventually, startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * The live demo pages (/demo/lobby and /demo/session, served by the local runtime with the SDK's browser build) in a real
 * headless Chromium: Debian's /usr/bin/chromium driven by playwright-core (`node scripts/setup-browser.mjs`
 * installs it). Screenshots go to test-results/browser/.
 */
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = fileURLToPath(new URL("../../test-results/browser/", import.meta.url));

let rt: RunningRuntime;
let context: BrowserContext;
let userDataDir: string;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`node scripts/setup-browser.mjs\` (installs Debian's chromium)`);
  }
  mkdirSync(SHOTS, { recursive: true });
  userDataDir = mkdtempSync(join(tmpdir(), "cortex-chromium-"));
  [rt, context] = await Promise.all([
    startRuntime(["--in-memory"]),
    chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width: 1100, height: 760 },
    }),
  ]);
  const demo = await fetch(`${rt.apiUrl}/demo/lobby`);
  if (demo.status !== 200) {
    throw new Error(
      `the local runtime answers ${demo.status} for /demo/lobby: it must mount the demo ` +
        "(local/runtime.ts passes `extra: demoRoutes()` from local/demo/server.ts to startLocalApi)",
    );
  }
});
afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  rt?.process.kill("SIGINT");
  await rt?.exited;
});

// A failed test leaves its page open, and its live streams would hold the browser's six connections to
// the runtime (HTTP/1.1) that the next test's page needs: close every page after each test.
const opened = new Set<Page>();
afterEach(async () => {
  for (const page of opened) if (!page.isClosed()) await page.close();
  opened.clear();
});

/** Opens a page and collects what would otherwise go unnoticed: script errors and failed requests. */
async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  opened.add(page);
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  await page.goto(url);
  return { page, problems };
}

const rowState = (page: Page, participantId: string) =>
  page
    .locator(`#member-rows tr[data-participant-id="${participantId}"]`)
    .getAttribute("data-status", { timeout: 1000 });

describe("the live lobby page", () => {
  it("serves the SDK's browser build, with no Node-only import", async () => {
    const response = await fetch(`${rt.apiUrl}/demo/sdk.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
    const code = await response.text();
    expect(code).toContain("CortexClient");
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:/);
    const page = await fetch(`${rt.apiUrl}/demo/lobby`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("shows two players joining and readying up from other clients, live, without a reload", async () => {
    const project = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey }).project(uniqueProject("browser"));
    const lobby = await project.gatherings.create({ name: "Ranked 5v5", type: "lobby", maxMembers: 10 });
    const { page, problems } = await open(
      `${rt.apiUrl}/demo/lobby?project=${project.id}&gathering=${lobby.id}#key=${rt.apiKey}`,
    );
    await page.evaluate(() => ((globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true));
    await expect.poll(() => page.locator("#connection").textContent()).toBe("Live");
    await expect.poll(() => page.locator("#lobby-heading").textContent()).toBe("Ranked 5v5");
    expect(page.url()).not.toContain(rt.apiKey);

    // Two players, each on their own (Node) client.
    const players = [
      { participantId: "ann", displayName: "Ann" },
      { participantId: "bo", displayName: "Bo" },
    ];
    for (const player of players) {
      const mine = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey }).project(project.id);
      await mine.gatherings.joinByCode({ joinCode: lobby.joinCode, ...player });
    }
    await expect.poll(() => rowState(page, "bo")).toBe("joined");
    expect(await page.locator("#summary").textContent()).toBe("0 of 2 ready");

    for (const player of players) {
      const mine = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey }).project(project.id);
      await (await mine.gatherings.get(lobby.id)).ready(player.participantId);
    }
    await expect.poll(() => rowState(page, "ann")).toBe("ready");
    await expect.poll(() => rowState(page, "bo")).toBe("ready");
    await expect.poll(() => page.locator("#summary").textContent()).toBe("2 of 2 ready — everyone is ready!");
    expect(await page.locator("#member-rows tr").allInnerTexts()).toEqual([
      expect.stringMatching(/^Ann\s+Host\s+Ready ✓$/),
      expect.stringMatching(/^Bo\s+Player\s+Ready ✓$/),
    ]);
    expect(await page.locator("#announcer").textContent()).toMatch(/is ready/);
    // The same document all along: updates came over the live stream, not a reload.
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    // A spectator gets no ready controls.
    expect(await page.locator("#me").isVisible()).toBe(false);
    await page.screenshot({ path: join(SHOTS, "lobby-two-ready.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("lets a visitor join by code and ready up; the lobby sees it", async () => {
    const project = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey }).project(uniqueProject("browser"));
    const lobby = await project.gatherings.create({ name: "Friday night", type: "lobby" });
    await lobby.addMember({ participantId: "host", displayName: "Hana" });
    const { page, problems } = await open(`${rt.apiUrl}/demo/lobby#key=${rt.apiKey}&project=${project.id}`);

    // Every control is reachable by its label.
    expect(await page.getByLabel("API key").inputValue()).toBe(rt.apiKey);
    await page.getByLabel("Join code").fill(lobby.joinCode.replace("-", "").toLowerCase());
    await page.getByLabel("Your player id").fill("visitor");
    await page.getByLabel("Display name").fill("Vee");
    await page.getByRole("button", { name: "Join lobby" }).click();
    // Joining is two calls now: the page gets the player's participant token, then joins with it.
    await expect.poll(() => rowState(page, "visitor"), { timeout: 15_000 }).toBe("joined");
    await expect.poll(() => page.locator("#connection").textContent()).toBe("Live");

    await page.getByRole("button", { name: "I'm ready" }).click();
    await expect.poll(() => rowState(page, "visitor")).toBe("ready");
    expect(await page.locator("#ready-button").getAttribute("aria-pressed")).toBe("true");
    const member = await eventually(async () => {
      const m = await lobby.getMember("visitor");
      return m.status === "ready" ? m : undefined;
    });
    expect(member).toMatchObject({ displayName: "Vee", status: "ready" });

    // The host readies from elsewhere; the visitor's page follows.
    await lobby.ready("host");
    await expect.poll(() => page.locator("#summary").textContent()).toBe("2 of 2 ready — everyone is ready!");
    await page.screenshot({ path: join(SHOTS, "lobby-visitor-ready.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});

/** Waits for what the plugins write: they run on queues, so seconds rather than the default poll's one. */
const PLUGINS = { timeout: 60_000 };

const newProject = (): Project =>
  new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey }).project(uniqueProject("session-page"));
const line = (page: Page, messageId: string) => page.locator(`#transcript li[data-message-id="${messageId}"]`);

describe("the live session page", () => {
  it("serves the page, its script and its styles with the lobby page's security headers", async () => {
    const lobby = await fetch(`${rt.apiUrl}/demo/lobby`);
    const pages = [
      ["/demo/session", /^text\/html/],
      ["/demo/session.js", /^text\/javascript/],
      ["/demo/session.css", /^text\/css/],
    ] as const;
    for (const [path, type] of pages) {
      const response = await fetch(`${rt.apiUrl}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toMatch(type);
      for (const header of ["content-security-policy", "referrer-policy", "cache-control", "x-content-type-options"]) {
        expect(response.headers.get(header), `${path} ${header}`).toBe(lobby.headers.get(header));
      }
      expect(response.headers.get("content-security-policy")).toContain("script-src 'self';");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("cache-control")).toBe("no-store");
    }
  });

  it("shows the transcript as it arrives, censored and rated, then the summary once the session stops", async () => {
    const project = newProject();
    const session = await project.sessions.create({ title: "Stand-up", externalRoomId: "room-page", autoStart: false });
    const { page, problems } = await open(
      `${rt.apiUrl}/demo/session#key=${rt.apiKey}&project=${project.id}&session=${session.id}`,
    );
    await expect.poll(() => page.locator("#connection").textContent()).toBe("Live");
    expect(await page.locator("#session-heading").textContent()).toBe("Stand-up");
    expect(await page.locator("#session-meta").textContent()).toBe("active · bot not started · 0 messages");
    expect(page.url()).not.toContain(rt.apiKey);

    // Two utterances through the bot API, as a transcriber posts them: a profane one and a cheerful one.
    const bot = new ApiClient(rt, project.id, rt.botKey);
    const said = retimed([PROFANE, POSITIVE], Date.now() - 60_000);
    for (const { id, senderName, content, timestamp } of said) {
      expect((await bot.post(`/sessions/${session.id}/messages`, { id, senderName, content, timestamp })).status).toBe(
        201,
      );
    }
    await expect.poll(() => page.locator("#transcript li").count()).toBe(2);
    expect(await page.locator("#session-meta").textContent()).toMatch(/· 2 messages$/);
    for (const [index, message] of said.entries()) {
      const row = page.locator("#transcript li").nth(index);
      expect(await row.getAttribute("data-message-id")).toBe(message.id);
      expect(await row.locator(".speaker").textContent()).toBe(message.senderName);
      expect(await row.locator("time").getAttribute("datetime")).toBe(message.timestamp);
    }

    // The profane line shows the plugin's censored text with a marker; each line gets its sentiment badge.
    await expect.poll(() => line(page, PROFANE.id).locator(".profanity").count(), PLUGINS).toBe(1);
    const [profanity] = await session
      .getMessageAnnotations({ messageId: PROFANE.id })
      .then((all) => all.filter((a) => a.type === "profanity"));
    expect(await line(page, PROFANE.id).locator(".text").textContent()).toBe(profanity!.data.censored);
    expect(profanity!.data.censored).not.toContain("shit");
    expect(await line(page, POSITIVE.id).locator(".profanity").count()).toBe(0);
    expect(await line(page, POSITIVE.id).locator(".text").textContent()).toBe(POSITIVE.content);
    await expect.poll(() => page.locator("#transcript .sentiment").count(), PLUGINS).toBe(2);
    expect(await line(page, POSITIVE.id).locator(".sentiment").getAttribute("data-label")).toBe("positive");
    expect(await line(page, POSITIVE.id).locator(".sentiment").textContent()).toMatch(/^\+0\.\d\d$/);

    // Stopped: the summary, with the engine that made it, and the meeting's mood.
    await session.stop();
    await expect.poll(() => page.locator("#summary-engine").textContent(), PLUGINS).toMatch(/extractive summary/);
    expect(await page.locator("#summary-engine").textContent()).toMatch(/^made by wink-nlp \d/);
    const summary = (await page.locator("#summary-text").textContent())!;
    expect(said.some((m) => summary.includes(m.content.split(",")[0]!))).toBe(true);
    await expect.poll(() => page.locator("#meeting-sentiment .sentiment").count(), PLUGINS).toBe(1);
    await expect.poll(() => page.locator("#session-meta").textContent()).toMatch(/^ended \(stopped\)/);
    await page.screenshot({ path: join(SHOTS, "session-summary.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("runs plugin actions from its menu: new minutes push the old into history; a disabled plugin's 409 shows", async () => {
    const api = new ApiClient(rt, uniqueProject("session-page"));
    const { id } = await holdMeeting(api, rt.botKey, [POSITIVE, ALICE_COMMITMENT]);
    expect((await api.post(`/sessions/${id}/stop`)).status).toBe(202);
    const { page, problems } = await open(
      `${rt.apiUrl}/demo/session#key=${rt.apiKey}&project=${api.projectId}&session=${id}`,
    );
    await expect.poll(() => page.locator("#summary-engine").textContent(), PLUGINS).toMatch(/^made by /);
    await expect
      .poll(() => page.locator("#action-items li").allTextContents(), PLUGINS)
      .toContainEqual(expect.stringMatching(/^Alice — .*due \d{4}-\d\d-\d\d$/));
    expect(await page.locator("#history").isVisible()).toBe(false);

    await page.getByRole("button", { name: "Generate minutes" }).click();
    await expect.poll(() => page.locator("#action-status").textContent()).toMatch(/^Generate minutes: accepted/);
    await expect.poll(() => page.locator('#history details[data-type="summary"]').count(), PLUGINS).toBe(1);
    expect(await page.locator("#history details").first().getAttribute("open")).toBeNull();
    expect(await page.locator("#summary-engine").textContent()).toMatch(/^made by /);

    const project = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey }).project(api.projectId);
    await project.plugins.update("summary", { enabled: false });
    const regenerate = page.getByRole("button", { name: "Regenerate summary" });
    await regenerate.click();
    await expect
      .poll(() => page.locator("#action-status").textContent())
      .toMatch(/^Regenerate summary failed: .*disabled.*\(HTTP 409\)$/);
    expect(await regenerate.isDisabled()).toBe(true);
    expect(await page.getByRole("button", { name: "Generate minutes" }).isDisabled()).toBe(false);
    await page.screenshot({ path: join(SHOTS, "session-actions.png"), fullPage: true });
    // The refused request is the only problem (Chromium reports it twice: the response, and on the console).
    expect(problems).toContainEqual(expect.stringMatching(/^HTTP 409 .*\/summary\/regenerate$/));
    expect(problems.filter((problem) => !/\b409\b/.test(problem))).toEqual([]);
    await page.close();
  });

  it("creates a session from its form and shows the command that plays the stand-up into it", async () => {
    const projectId = uniqueProject("session-page");
    const { page, problems } = await open(`${rt.apiUrl}/demo/session#key=${rt.apiKey}&project=${projectId}`);
    await page.getByLabel("Title").fill("Retro");
    await page.getByLabel("Voice room").fill("retro-room");
    await page.getByRole("button", { name: "Create session" }).click();
    await expect.poll(() => page.locator("#session-heading").textContent()).toBe("Retro");
    const sessionId = await page.getByLabel("Session id").inputValue();
    expect(sessionId).toMatch(/^sess_/);
    expect(await page.locator("#bot-command").textContent()).toBe(
      `npm run bot -- --session ${sessionId} --project ${projectId}`,
    );
    expect(await page.locator("#bot-hint").isVisible()).toBe(true);
    await expect.poll(() => page.locator("#connection").textContent()).toBe("Live");
    expect(page.url()).toMatch(new RegExp(`#project=${projectId}&session=${sessionId}$`));
    const session = await new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey })
      .project(projectId)
      .sessions.get(sessionId);
    expect(session).toMatchObject({ title: "Retro", externalRoomId: "retro-room", status: "active" });
    await session.stop(); // no bot will answer: end it before its join times out
    expect(problems).toEqual([]);
    await page.close();
  });
});
