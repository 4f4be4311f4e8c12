import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { liveWatcher, type LiveWatcher } from "../support/live-watchers.js";
import { ApiClient } from "../support/http.js";
import { startRuntime, type RunningRuntime } from "../support/runtime.js";

/** Live delivery across a crash of the serving process: every watcher resumes from the log, no gap. */
const projectId = "prj_live_restart";
const runtimes: RunningRuntime[] = [];
const watchers: LiveWatcher[] = [];
const dataDir = mkdtempSync(join(tmpdir(), "cortex-live-restart-"));
afterAll(async () => {
  for (const w of watchers) w.close();
  for (const rt of runtimes) {
    if (rt.process.exitCode === null && rt.process.signalCode === null) {
      rt.process.kill("SIGINT");
      await rt.exited;
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe("live delivery when the serving process is killed mid-stream", () => {
  it("every watcher of two gatherings resumes on the restarted process and receives every version exactly once", async () => {
    const first = await startRuntime(["--data-dir", dataDir]);
    runtimes.push(first);
    const port = new URL(first.apiUrl).port;
    let apiUrl = first.apiUrl;

    const gatherings: Array<{ id: string; from: number }> = [];
    for (const name of ["one", "two"]) {
      const g = await new ApiClient(first, projectId).ok("POST", "/gatherings", { name, type: "open" });
      gatherings.push({ id: g.id, from: g.version });
    }
    for (const g of gatherings) {
      for (let i = 0; i < 3; i++) {
        watchers.push(
          liveWatcher({
            url: () => `${apiUrl}/v1/projects/${projectId}/gatherings/${g.id}/events`,
            apiKey: first.apiKey,
            after: g.from,
          }),
        );
      }
    }
    const join = (rt: RunningRuntime, prefix: string, n: number) =>
      Promise.all(
        gatherings.flatMap((g) =>
          Array.from({ length: n }, (_, i) =>
            new ApiClient(rt, projectId).ok("POST", `/gatherings/${g.id}/members`, { participantId: `${prefix}${i}` }),
          ),
        ),
      );

    // Mid-stream: every watcher has had some events when the process dies with more just committed.
    await join(first, "a", 5);
    await Promise.all(watchers.map((w, i) => w.reached(gatherings[Math.floor(i / 3)]!.from + 5)));
    await join(first, "b", 5);
    first.process.kill("SIGKILL");
    await first.exited;

    const second = await startRuntime(["--data-dir", dataDir, "--port", port]);
    runtimes.push(second);
    apiUrl = second.apiUrl;
    expect(second.apiUrl).toBe(first.apiUrl);
    await join(second, "c", 5);

    for (const [g, gathering] of gatherings.entries()) {
      const final = (await new ApiClient(second, projectId).ok("GET", `/gatherings/${gathering.id}`)).version as number;
      expect(final).toBeGreaterThanOrEqual(gathering.from + 15);
      for (const w of watchers.slice(g * 3, g * 3 + 3)) {
        await w.reached(final);
        expect(w.versions).toEqual(Array.from({ length: final - gathering.from }, (_, i) => gathering.from + 1 + i));
        expect(w.controls).toEqual([]);
        expect(w.opened).toBeGreaterThanOrEqual(2);
      }
    }
  });
});
