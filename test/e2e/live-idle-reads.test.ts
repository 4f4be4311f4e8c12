import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allOpened, liveWatcher, type LiveWatcher } from "../support/live-watchers.js";
import { ApiClient } from "../support/http.js";
import { startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * Idle watchers cost no reads: 500 SSE watchers of 5 gatherings sit idle for 10 s while the requests
 * reaching DynamoDB Local are counted (the runtime's counting pass-through).
 */
const projectId = "prj_live_idle";
let rt: RunningRuntime;
const watchers: LiveWatcher[] = [];
beforeAll(async () => {
  rt = await startRuntime(["--in-memory"], { CORTEX_LOCAL_COUNT_DYNAMODB: "true", SSE_HEARTBEAT_SECONDS: "1" });
});
afterAll(async () => {
  for (const w of watchers) w.close();
  rt.process.kill("SIGINT");
  await rt.exited;
});

const READS = ["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"];

async function tableReads(): Promise<number> {
  const response = await fetch(`${rt.apiUrl}/local/dynamodb/requests`, {
    headers: { Authorization: `Bearer ${rt.apiKey}` },
  });
  expect(response.status).toBe(200);
  const { counts } = (await response.json()) as { counts: Record<string, number> };
  return READS.reduce((sum, op) => sum + (counts[op] ?? 0), 0);
}

describe("500 idle SSE watchers", () => {
  it("cause no per-watcher reads of DynamoDB Local over 10 s (at most one safety read per watched gathering), and all still get the next event", async () => {
    const gatherings: Array<{ id: string; version: number }> = [];
    for (let g = 0; g < 5; g++)
      gatherings.push(
        await new ApiClient(rt, projectId).ok("POST", "/gatherings", { name: `idle ${g}`, type: "open" }),
      );
    for (let i = 0; i < 500; i++) {
      const g = gatherings[i % 5]!;
      watchers.push(
        liveWatcher({
          url: () => `${rt.apiUrl}/v1/projects/${projectId}/gatherings/${g.id}/events`,
          apiKey: rt.apiKey,
          after: g.version,
        }),
      );
    }
    await allOpened(watchers);

    const before = await tableReads();
    const heartbeats = watchers.map((w) => w.heartbeats);
    // The marker that 10 s of idle streaming passed: a heartbeat a second reaches every watcher.
    const deadline = Date.now() + 120_000;
    const started = Date.now();
    while (Date.now() - started < 10_000 || watchers.some((w, i) => w.heartbeats - heartbeats[i]! < 10)) {
      if (Date.now() > deadline) throw new Error("heartbeats stopped");
      await new Promise((r) => setTimeout(r, 200));
    }
    const idleReads = (await tableReads()) - before;
    expect(idleReads).toBeLessThanOrEqual(gatherings.length);

    // Still live: one change per gathering reaches every watcher.
    for (const g of gatherings)
      await new ApiClient(rt, projectId).ok("POST", `/gatherings/${g.id}/members`, { participantId: "late" });
    await Promise.all(watchers.map((w, i) => w.reached(gatherings[i % 5]!.version + 1)));
    expect(watchers.every((w) => w.controls.length === 0)).toBe(true);
  });
});
