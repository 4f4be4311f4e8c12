import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sharedRuntime } from "../support/runtime.js";

/**
 * The API reference at /docs/ (Swagger UI from swagger-ui-dist rendering /v1/openapi.json) in a real
 * headless Chromium, as test/e2e/browser.test.ts drives it. The screenshot goes to a temporary folder
 * (its path is printed) and is removed afterwards unless KEEP_SCREENSHOTS is set.
 */
const CHROMIUM = "/usr/bin/chromium";
const rt = sharedRuntime();
let context: BrowserContext;
let dir: string;
beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run \`node scripts/setup-browser.mjs\` (installs Debian's chromium)`);
  }
  dir = mkdtempSync(join(tmpdir(), "cortex-docs-"));
  context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    viewport: { width: 1280, height: 1400 },
  });
}, 120_000);
afterAll(async () => {
  await context?.close();
  if (dir && !process.env.KEEP_SCREENSHOTS) rmSync(dir, { recursive: true, force: true });
});

describe("the API reference page", () => {
  it("renders every tag's operations and the events from the local files, with nothing fetched elsewhere", async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    const elsewhere: string[] = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (m) => void (m.type() === "error" && problems.push(`console: ${m.text()}`)));
    page.on(
      "request",
      (r) => void (!r.url().startsWith(rt.apiUrl) && !r.url().startsWith("data:") && elsewhere.push(r.url())),
    );
    page.on("response", (r) => void (r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`)));

    await page.goto(`${rt.apiUrl}/docs`);
    expect(page.url()).toBe(`${rt.apiUrl}/docs/`);
    await page.locator(".opblock").first().waitFor({ timeout: 60_000 });

    await expect
      .poll(() => page.locator(".info .title").first().innerText())
      .toMatch(/Cortex gatherings & sessions API/);
    for (const tag of ["Gatherings", "Sessions", "Webhooks", "Bot API"]) {
      await expect.poll(() => page.locator(`.opblock-tag[data-tag="${tag}"]`).isVisible(), { message: tag }).toBe(true);
    }
    const summaries = await page.locator(".opblock-summary-description").allInnerTexts();
    expect(summaries).toContain("List gatherings, newest first (filters: type, status, listed)");
    const paths = await page.locator(".opblock-summary-path").allInnerTexts();
    expect(paths.map((p) => p.replace(/\u200b/g, ""))).toContain(
      "/v1/projects/{projectId}/gatherings/{gatheringId}/events",
    );
    // The servers list names this API; the events are listed as webhooks.
    expect(await page.locator(".servers select").innerText()).toContain(rt.apiUrl);
    await expect.poll(() => page.getByText("gathering.member.ready", { exact: true }).first().isVisible()).toBe(true);

    const shot = join(dir, "docs.png");
    await page.screenshot({ path: shot });
    const events = join(dir, "docs-webhooks.png");
    await page.getByText("gathering.member.ready", { exact: true }).first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: events });
    console.log(`screenshots of /docs/: ${shot} ${events}`);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
  }, 120_000);

  it("is linked from the landing page at /, with the demo pages, the OpenAPI document, the inbox and health", async () => {
    const response = await fetch(`${rt.apiUrl}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const hrefs = [...(await response.text()).matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(
      expect.arrayContaining(["/demo/lobby", "/demo/session", "/docs", "/v1/openapi.json", rt.inboxUrl, "/health"]),
    );
    for (const href of hrefs.filter((h) => h!.startsWith("/"))) {
      expect((await fetch(`${rt.apiUrl}${href}`, { redirect: "follow" })).status, href).not.toBe(404);
    }
  });
});
