import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CortexClient } from "../../sdk/src/index.js";
import { uniqueProject } from "../support/http.js";
import { eventually, startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * The live lobby page (/demo/lobby, served by the local runtime with the SDK's browser build) in a real
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

/** Opens a page and collects what would otherwise go unnoticed: script errors and failed requests. */
async function open(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
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
    await expect.poll(() => rowState(page, "visitor")).toBe("joined");
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
