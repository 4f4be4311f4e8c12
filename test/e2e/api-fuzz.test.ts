import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFuzzWorld, runApiFuzz, type FuzzWorld } from "../support/api-fuzz.js";
import { startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * The API under generated input, on a runtime of its own (so a table scan before and after each rejected
 * request is cheap and sees every write). Bounded here; `npm run fuzz -- --runs N` runs longer.
 */
let rt: RunningRuntime;
let world: FuzzWorld;

beforeAll(async () => {
  rt = await startRuntime(["--in-memory", "--port", "0"]);
  world = await buildFuzzWorld(rt, "fuzz");
});

afterAll(async () => {
  rt.process.kill("SIGINT");
  await rt.exited;
});

describe("every route of the OpenAPI document under generated input", () => {
  it("never answers 5xx, answers every 4xx with problem+json, and a rejected request writes nothing", async () => {
    const report = await runApiFuzz(rt, world, { numRuns: 300 });
    expect(report.failures).toEqual([]);
    expect(report.requests).toBe(300);
    // The generator reaches past validation: some requests succeed and some are refused.
    expect(Object.keys(report.byStatus).some((s) => Number(s) < 300)).toBe(true);
    expect(Object.keys(report.byStatus).some((s) => Number(s) >= 400)).toBe(true);
  });
});
