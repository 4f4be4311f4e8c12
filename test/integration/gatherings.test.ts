import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeJoinCode } from "../../shared/domain/gatherings/join-code.js";
import { addMember, changeMemberStatus, createGathering, joinByCode } from "../../shared/domain/gatherings/service.js";
import { aggregateRootKey, joinCodeKey } from "../../shared/store/keys.js";
import type { Store } from "../../shared/store/store.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const ctx = { tenantId: "t", projectId: "p", actor: { type: "apiKey" as const, id: "key_test" } };

describe("join codes in the store", () => {
  it("a code collision at creation is retried with a fresh code; both gatherings resolve by their own code", async () => {
    const codes = ["SAME0000", "SAME0000", "0THER111"];
    const deps = {
      store: table.store,
      clock: { now: () => new Date() },
      eventRetentionSeconds: 3600,
      joinCodes: () => codes.shift()!,
    };
    const first = await createGathering(deps, ctx, { name: "first", type: "lobby" });
    const second = await createGathering(deps, ctx, { name: "second", type: "lobby" });
    expect(normalizeJoinCode(first.joinCode)).toBe("SAME0000");
    expect(normalizeJoinCode(second.joinCode)).toBe("0THER111");
    expect((await table.store.get(joinCodeKey("SAME0000")))?.gatheringId).toBe(first.id);
    const joined = await joinByCode(deps, ctx, { joinCode: "other-111", participantId: "p1" });
    expect(joined.gathering.id).toBe(second.id);
  });
});

describe("a command whose reads straddle another commit", () => {
  it("decides on one state: an unready whose root read waits out a concurrent unready is a no-op, not a 500", async () => {
    const deps = { store: table.store, clock: { now: () => new Date() }, eventRetentionSeconds: 3600 };
    const lobby = await createGathering(deps, ctx, { name: "straddle", type: "lobby" });
    await addMember(deps, ctx, lobby.id, { participantId: "p" });
    await changeMemberStatus(deps, ctx, lobby.id, "p", "ready");
    // B's read of the root is held until A's unready has committed; its other reads go straight through.
    // Read in parallel, B saw the member "ready" beside a root whose readyCount was already 0, and decided
    // an unready to readyCount -1 (an invalid event: 500). Read root first, B sees one state: a no-op.
    let release!: () => void;
    const aCommitted = new Promise<void>((resolve) => (release = resolve));
    const root = JSON.stringify(aggregateRootKey("gathering", ctx, lobby.id));
    let rootReadsHeld = 0;
    let rootHeld!: () => void;
    const bWaiting = new Promise<void>((resolve) => (rootHeld = resolve));
    const held: Store = Object.create(table.store, {
      get: {
        value: async (key: Parameters<Store["get"]>[0], options?: Parameters<Store["get"]>[1]) => {
          if (JSON.stringify({ PK: key.PK, SK: key.SK }) === root && rootReadsHeld++ === 0) {
            rootHeld();
            await aCommitted;
          }
          return table.store.get(key, options);
        },
      },
    });
    const b = changeMemberStatus({ ...deps, store: held }, ctx, lobby.id, "p", "unready");
    await bWaiting; // B has issued its root read (and, were its reads parallel, its member read with it)
    const a = await changeMemberStatus(deps, ctx, lobby.id, "p", "unready");
    release();
    const outcome = await b;
    expect(a.changed).toBe(true);
    expect(outcome.changed).toBe(false);
    expect(outcome.gathering).toMatchObject({ version: a.gathering.version, readyCount: 0 });
    expect(outcome.member).toMatchObject({ status: "joined" });
    expect(rootReadsHeld).toBeGreaterThanOrEqual(1);
  });
});
