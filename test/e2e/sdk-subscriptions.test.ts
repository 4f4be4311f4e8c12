import { describe, expect, it } from "vitest";
import { CortexClient, type DocumentChange, type Member } from "../../sdk/src/index.js";
import { uniqueProject } from "../support/http.js";
import { sharedRuntime } from "../support/runtime.js";

/** Live member views over real SSE against the local runtime, under concurrent changes. */
const rt = sharedRuntime();

const client = () => new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey });

/** Applies a snapshot's changes one after another, as their indexes promise. */
function replay(list: Member[], changes: DocumentChange<Member>[]): Member[] {
  const next = [...list];
  for (const change of changes) {
    if (change.type === "removed") {
      expect(next[change.oldIndex]?.participantId).toBe(change.id);
      next.splice(change.oldIndex, 1);
    } else if (change.type === "added") {
      next.splice(change.newIndex, 0, change.data);
    } else {
      expect(next[change.oldIndex]?.participantId).toBe(change.id);
      next.splice(change.oldIndex, 1);
      next.splice(change.newIndex, 0, change.data);
    }
  }
  return next;
}

describe("watchMembers", () => {
  it("three watchers of a lobby where 30 members join and ready concurrently each end equal to the server's list, and their changes replay to it", async () => {
    const projectId = uniqueProject("subs");
    const host = await client().project(projectId).gatherings.create({ name: "Busy lobby", type: "lobby" });
    await host.addMember({ participantId: "host" });

    const watchers = await Promise.all(
      [0, 1, 2].map(async () => {
        const gathering = await client().project(projectId).gatherings.get(host.id);
        const subscription = gathering.watchMembers();
        const state = { replayed: [] as Member[], snapshots: 0, last: [] as Member[], errors: [] as string[] };
        subscription.onError((error) => state.errors.push(error.message));
        await new Promise<void>((first) =>
          subscription.onSnapshot((items, changes) => {
            state.replayed = replay(state.replayed, changes);
            state.last = items;
            state.snapshots++;
            first();
          }),
        );
        return { gathering, subscription, state };
      }),
    );
    for (const { state } of watchers) expect(state.last.map((m) => m.participantId)).toEqual(["host"]);

    // A fourth client makes the changes, all at once.
    const writer = await client().project(projectId).gatherings.get(host.id);
    const ids = Array.from({ length: 30 }, (_, i) => `player-${String(i).padStart(2, "0")}`);
    await Promise.all(
      ids.map(async (participantId) => {
        await writer.addMember({ participantId, displayName: `Player ${participantId.slice(-2)}` });
        await writer.ready(participantId);
      }),
    );
    const server = await writer.listMembers();
    expect(server).toHaveLength(31);
    expect(server.filter((m) => m.status === "ready")).toHaveLength(30);

    const deadline = Date.now() + 30_000;
    while (watchers.some(({ state }) => state.last.filter((m) => m.status === "ready").length < 30)) {
      if (Date.now() > deadline) throw new Error("the watchers did not catch up");
      await new Promise((r) => setTimeout(r, 50));
    }
    const byId = (members: Member[]) => [...members].sort((a, b) => a.participantId.localeCompare(b.participantId));
    for (const { subscription, state, gathering } of watchers) {
      subscription.close();
      expect(state.errors).toEqual([]);
      // Same members, same data, as the server has them…
      expect(byId(state.last)).toEqual(byId(server));
      // …in the stable order (present since, then id)…
      const order = [...server].sort(
        (a, b) =>
          (a.presentSince ?? a.createdAt).localeCompare(b.presentSince ?? b.createdAt) ||
          a.participantId.localeCompare(b.participantId),
      );
      expect(state.last.map((m) => m.participantId)).toEqual(order.map((m) => m.participantId));
      expect(subscription.current).toEqual(state.last);
      // …and every change it reported, replayed from nothing, builds exactly that list.
      expect(state.replayed).toEqual(state.last);
      expect(state.snapshots).toBeGreaterThan(1);
      // The live gathering object followed the events too.
      expect(gathering).toMatchObject({ memberCount: 31, readyCount: 30 });
    }
  });
});
