import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/** CORTEX_CLOCK_START is read once at load, so each case runs in a fresh process. */
function nowWith(env: Record<string, string>): { status: number | null; out: string; err: string } {
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "-e",
      'import("./shared/kernel/clock.ts").then((m) => console.log(m.systemClock.now().toISOString()))',
    ],
    { env: { ...process.env, ...env }, encoding: "utf8" },
  );
  return { status: result.status, out: result.stdout.trim(), err: result.stderr };
}

describe("the system clock", () => {
  it("starts at CORTEX_CLOCK_START and runs on from there", () => {
    const { out } = nowWith({ CORTEX_CLOCK_START: "2026-06-01T09:00:00Z" });
    const drift = Date.parse(out) - Date.parse("2026-06-01T09:00:00Z");
    expect(drift).toBeGreaterThanOrEqual(0);
    expect(drift).toBeLessThan(60_000);
  });

  it("is the system time without it", () => {
    expect(Math.abs(Date.parse(nowWith({}).out) - Date.now())).toBeLessThan(60_000);
  });

  it("refuses a value that is not an instant", () => {
    const result = nowWith({ CORTEX_CLOCK_START: "next tuesday" });
    expect(result.status).not.toBe(0);
    expect(result.err).toContain("CORTEX_CLOCK_START must be an ISO 8601 instant");
  });
});
