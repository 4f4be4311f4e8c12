import { EVENT_CATALOG } from "../../shared/events/catalog.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UniqueConstraintError, VersionConflictError } from "../../shared/kernel/errors.js";
import { newGathering } from "../../shared/domain/gatherings/gathering.js";
import { commit, type CommitRequest } from "../../shared/store/commit.js";
import { aggregatePk, eventRangeAfter } from "../../shared/store/keys.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const now = new Date();
const options = { now, eventRetentionSeconds: 3600, events: EVENT_CATALOG };

function createRequest(id: string, joinCode = id.slice(-8).toUpperCase()): CommitRequest {
  const gathering = newGathering(
    { name: "L", type: "lobby" },
    { tenantId: "t", projectId: "p" },
    { id, joinCode },
    now,
  );
  return {
    aggregate: { type: "gathering", id, projectId: "p", tenantId: "t" },
    expectedVersion: 0,
    root: { ...gathering, version: undefined },
    uniques: [{ PK: `JOINCODE#${joinCode}`, SK: "#" }],
    events: [{ type: "gathering.created", data: { gathering } }],
  };
}

function nextRequest(id: string, expectedVersion: number): CommitRequest {
  const gathering = newGathering(
    { name: "L", type: "lobby" },
    { tenantId: "t", projectId: "p" },
    { id, joinCode: "AAAA0000" },
    now,
  );
  return {
    aggregate: { type: "gathering", id, projectId: "p", tenantId: "t" },
    expectedVersion,
    root: { name: `v${expectedVersion + 1}` },
    events: [{ type: "gathering.created", data: { gathering } }],
  };
}

async function eventVersions(id: string): Promise<number[]> {
  const page = await table.store.query({
    pk: aggregatePk("gathering", { tenantId: "t", projectId: "p" }, id),
    between: eventRangeAfter(0),
    consistent: true,
  });
  return page.items.map((i) => (i.event as { version: number }).version);
}

describe("commit against DynamoDB Local", () => {
  it("writes the root, the uniqueness marker and the event item in one transaction", async () => {
    const id = "gth_01aaaaaaaaaaaaaaaaaaaaaaa1";
    const [result] = await commit(table.store, createRequest(id), options);
    expect(result!.version).toBe(1);
    const items = (await table.scan()).filter((i) => String(i.PK).includes(id) || i.PK === "JOINCODE#AAAAAAA1");
    expect(items.map((i) => i.SK).sort()).toEqual(["#", "#ROOT", "E#000000000001"]);
  });

  it("a stale expected version is a VersionConflictError and writes nothing", async () => {
    const id = "gth_01aaaaaaaaaaaaaaaaaaaaaaa2";
    await commit(table.store, createRequest(id), options);
    const before = await table.scan();
    await expect(commit(table.store, nextRequest(id, 0), options)).rejects.toBeInstanceOf(VersionConflictError);
    await expect(commit(table.store, nextRequest(id, 7), options)).rejects.toBeInstanceOf(VersionConflictError);
    expect(await table.scan()).toEqual(before);
  });

  it("a taken uniqueness marker is a UniqueConstraintError and writes nothing", async () => {
    await commit(table.store, createRequest("gth_01aaaaaaaaaaaaaaaaaaaaaaa3", "SAMECODE"), options);
    const before = await table.scan();
    await expect(
      commit(table.store, createRequest("gth_01aaaaaaaaaaaaaaaaaaaaaaa4", "SAMECODE"), options),
    ).rejects.toBeInstanceOf(UniqueConstraintError);
    expect(await table.scan()).toEqual(before);
  });

  it("concurrent writers at the same version: exactly one wins, and versions stay gapless", async () => {
    const id = "gth_01aaaaaaaaaaaaaaaaaaaaaaa5";
    await commit(table.store, createRequest(id), options);
    let version = 1;
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => commit(table.store, nextRequest(id, version), options)),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(VersionConflictError);
      version++;
    }
    expect(await eventVersions(id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(
      (await table.store.get({ PK: aggregatePk("gathering", { tenantId: "t", projectId: "p" }, id), SK: "#ROOT" }))
        ?.version,
    ).toBe(6);
  });

  it("hides items whose TTL has passed even though DynamoDB Local never deletes them", async () => {
    const id = "gth_01aaaaaaaaaaaaaaaaaaaaaaa6";
    await commit(table.store, createRequest(id), { now, eventRetentionSeconds: -1, events: EVENT_CATALOG });
    expect(await eventVersions(id)).toEqual([]);
    expect(
      (await table.scan()).some(
        (i) => i.PK === aggregatePk("gathering", { tenantId: "t", projectId: "p" }, id) && i.kind === "event",
      ),
    ).toBe(true);
  });
});
