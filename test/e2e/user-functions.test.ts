import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, committedEvents, uniqueProject } from "../support/http.js";
import { eventually, startRuntime, type RunningRuntime } from "../support/runtime.js";

/** The example user functions module (user-functions/index.ts), run by the local runtime on real events. */
let rt: RunningRuntime;
beforeAll(async () => {
  rt = await startRuntime(["--in-memory"], { LOG_LEVEL: "info" });
});
afterAll(async () => {
  rt.process.kill("SIGINT");
  await rt.exited;
});

function functionLogs(message: string): Array<Record<string, any>> {
  return rt
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes(`"message":"${message}"`))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

describe("user functions", () => {
  it("the example onGatheringMemberReady runs exactly once per ready, and its ctx client starts the lobby", async () => {
    const api = new ApiClient(rt, uniqueProject("fn"));
    const lobby = await api.create({ name: "Ranked 5v5", type: "lobby" });
    for (const p of ["p1", "p2", "p3"]) await api.post(`/gatherings/${lobby.id}/members`, { participantId: p });
    await Promise.all(["p1", "p2", "p3"].map((p) => api.post(`/gatherings/${lobby.id}/members/${p}/ready`)));

    const started = await eventually(async () => {
      const events = await committedEvents(rt, api.projectId, lobby.id);
      return events.find((e) => e.type === "gathering.started");
    });
    expect(started.actor).toEqual({ type: "function", id: "onGatheringMemberReady" });
    const readyEvents = (await committedEvents(rt, api.projectId, lobby.id)).filter(
      (e) => e.type === "gathering.member.ready",
    );
    expect(readyEvents).toHaveLength(3);

    const runs = await eventually(async () => {
      const logs = functionLogs("member ready").filter((l) => l.gatheringId === lobby.id);
      return logs.length >= 3 ? logs : undefined;
    });
    // A later ready elsewhere is the marker: once its run shows, a repeated run of the first three had its chance.
    const marker = await api.create({ name: "Marker", type: "lobby" });
    await api.post(`/gatherings/${marker.id}/members`, { participantId: "m1" });
    await api.post(`/gatherings/${marker.id}/members/m1/ready`);
    await eventually(async () =>
      functionLogs("member ready").some((l) => l.gatheringId === marker.id) ? true : undefined,
    );
    const all = functionLogs("member ready").filter((l) => l.gatheringId === lobby.id);
    expect(all.map((l) => l.eventId).sort()).toEqual(readyEvents.map((e) => e.id).sort());
    expect(runs[0]).toMatchObject({ function: "onGatheringMemberReady", projectId: api.projectId });
    const starts = (await committedEvents(rt, api.projectId, lobby.id)).filter((e) => e.type === "gathering.started");
    expect(starts).toHaveLength(1);
  });

  it("a functions module with an export that names no event stops the runtime at start with a clear message", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "local/cli.ts",
        "--in-memory",
        "--port",
        "0",
        "--functions",
        "test/fixtures/bad-functions.ts",
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect(code).toBe(1);
    expect(output).toContain('"onGatheringMemberRedy" is not a handler of any event (did you mean');
    expect(output).not.toContain("Ctrl-C stops everything");
  });
});
