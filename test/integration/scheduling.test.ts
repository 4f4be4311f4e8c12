import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGathering, getGathering } from "../../shared/domain/gatherings/service.js";
import { syncSchedules, type DesiredSchedule, type SchedulerPort } from "../../shared/domain/scheduling/schedules.js";
import {
  currentGathering,
  runScheduledAction,
  SCHEDULED_ACTION_ATTEMPTS,
} from "../../shared/domain/scheduling/target.js";
import { TransactionCancelledError, type Store } from "../../shared/store/store.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

/**
 * Scheduling against DynamoDB Local, with a store that fails the way DynamoDB does under load: only "not
 * found" means the gathering is gone; a failed read is an error to retry, never a reason to delete a
 * schedule or drop a scheduled start.
 */
let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const scope = { tenantId: "t", projectId: "p" };
const ctx = { ...scope, actor: { type: "apiKey" as const, id: "key_test" } };
const startsAt = "2030-07-01T15:00:00.000Z";

/** The real store, except that the next `failures` reads throw a throttling-like error. */
function flakyReads(store: Store, failures: number): Store & { failed: number } {
  const flaky = {
    failed: 0,
    transact: (ops: Parameters<Store["transact"]>[0]) => store.transact(ops),
    query: (options: Parameters<Store["query"]>[0]) => store.query(options),
    async get(key: Parameters<Store["get"]>[0], options?: Parameters<Store["get"]>[1]) {
      if (flaky.failed < failures) {
        flaky.failed++;
        throw Object.assign(new Error("Rate of requests exceeds the allowed throughput"), {
          name: "ProvisionedThroughputExceededException",
        });
      }
      return store.get(key, options);
    },
  };
  return flaky;
}

function recordingScheduler(): SchedulerPort & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async put(schedule: DesiredSchedule) {
      calls.push(`put ${schedule.name}`);
    },
    async delete(name: string) {
      calls.push(`delete ${name}`);
    },
  };
}

async function appointment() {
  const deps = {
    store: table.store,
    clock: { now: () => new Date("2030-01-01T00:00:00Z") },
    eventRetentionSeconds: 3600,
  };
  return createGathering(deps, ctx, {
    name: "Review",
    type: "appointment",
    startsAt,
    endsAt: "2030-07-01T16:00:00.000Z",
    autoStartSession: true,
  });
}

describe("schedule sync and the scheduled start under store failures", () => {
  it("a failed read makes sync fail (to be retried) instead of deleting the appointment's schedules", async () => {
    const gathering = await appointment();
    const scheduler = recordingScheduler();
    const store = flakyReads(table.store, 1);
    await expect(
      currentGathering({ store }, scope, gathering.id).then((g) => syncSchedules(scheduler, g, gathering.id)),
    ).rejects.toThrow(/throughput/);
    expect(scheduler.calls).toEqual([]);
    // The retry sees the gathering and keeps both schedules.
    await syncSchedules(scheduler, await currentGathering({ store }, scope, gathering.id), gathering.id);
    expect(scheduler.calls).toEqual([`put ${gathering.id}-start`, `put ${gathering.id}-end`]);
  });

  it("only a gathering that does not exist is gone: its schedules are deleted", async () => {
    const scheduler = recordingScheduler();
    const missing = "gth_01aaaaaaaaaaaaaaaaaaaaaaaa";
    expect(await currentGathering({ store: table.store }, scope, missing)).toBeUndefined();
    await syncSchedules(scheduler, undefined, missing);
    expect(scheduler.calls).toEqual([`delete ${missing}-start`, `delete ${missing}-end`]);
  });

  it("a failed read makes the scheduled start fail (to be retried), and the retry starts the appointment", async () => {
    const gathering = await appointment();
    const store = flakyReads(table.store, 1);
    const deps = { store, clock: { now: () => new Date(startsAt) }, eventRetentionSeconds: 3600 };
    const input = { action: "start" as const, ...scope, gatheringId: gathering.id, at: startsAt };
    await expect(runScheduledAction(deps, input)).rejects.toThrow(/throughput/);
    expect((await getGathering({ store: table.store }, scope, gathering.id)).status).toBe("scheduled");
    expect(await runScheduledAction(deps, input)).toBe("started");
    expect((await getGathering({ store: table.store }, scope, gathering.id)).status).toBe("started");
  });

  it("a start that keeps losing to concurrent writers gives up after a bounded number of attempts", async () => {
    const gathering = await appointment();
    let commits = 0;
    const contended: Store = {
      get: (key, options) => table.store.get(key, options),
      query: (options) => table.store.query(options),
      async transact() {
        commits++;
        throw new TransactionCancelledError([0], false);
      },
    };
    const deps = { store: contended, clock: { now: () => new Date(startsAt) }, eventRetentionSeconds: 3600 };
    const input = { action: "start" as const, ...scope, gatheringId: gathering.id, at: startsAt };
    await expect(runScheduledAction(deps, input)).rejects.toThrow();
    expect(commits).toBeGreaterThanOrEqual(SCHEDULED_ACTION_ATTEMPTS);
    expect((await getGathering({ store: table.store }, scope, gathering.id)).status).toBe("scheduled");
  });
});
