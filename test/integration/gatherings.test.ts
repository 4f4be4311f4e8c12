import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeJoinCode } from "../../shared/domain/gatherings/join-code.js";
import { createGathering, joinByCode } from "../../shared/domain/gatherings/service.js";
import { joinCodeKey } from "../../shared/store/keys.js";
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
