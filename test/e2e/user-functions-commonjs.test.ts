import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, committedEvents, uniqueProject } from "../support/http.js";
import { eventually, startRuntime, type RunningRuntime } from "../support/runtime.js";

/** User functions written as the seeds write them: `exports.onGatheringMemberReady = async (event, ctx) => {…}`. */
let rt: RunningRuntime;
beforeAll(async () => {
  rt = await startRuntime(["--in-memory", "--port", "0", "--functions", "test/fixtures/seed-functions.js"]);
});
afterAll(async () => {
  rt.process.kill("SIGINT");
  await rt.exited;
});

function runs(gatheringEventIds: string[]): string[] {
  return rt
    .output()
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"message":"seed-style function ran"'))
    .map((line) => (JSON.parse(line) as { eventId: string }).eventId)
    .filter((id) => gatheringEventIds.includes(id));
}

describe("user functions in CommonJS form", () => {
  it("a seed-style CommonJS module runs once per gathering.member.ready under npm start", async () => {
    const api = new ApiClient(rt, uniqueProject("cjs"));
    const lobby = await api.create({ name: "Ranked 5v5", type: "lobby" });
    for (const p of ["p1", "p2"]) await api.post(`/gatherings/${lobby.id}/members`, { participantId: p });
    for (const p of ["p1", "p2"])
      expect((await api.post(`/gatherings/${lobby.id}/members/${p}/ready`)).status).toBe(200);
    // Three readies, three runs: each is waited for, and a repeated run of any of them fails the equality.
    await api.post(`/gatherings/${lobby.id}/members/p1/unready`);
    await api.post(`/gatherings/${lobby.id}/members/p1/ready`);
    const readies = (await committedEvents(rt, api.projectId, lobby.id))
      .filter((e) => e.type === "gathering.member.ready")
      .map((e) => e.id);
    expect(readies).toHaveLength(3);
    await eventually(async () => (readies.every((id) => runs(readies).includes(id)) ? true : undefined));
    expect(runs(readies).sort()).toEqual([...readies].sort());
  });
});
