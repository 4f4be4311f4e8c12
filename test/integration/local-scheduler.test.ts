/**
 * The local EventBridge Scheduler, driven through the real `@aws-sdk/client-scheduler` against real
 * DynamoDB Local (started once by the vitest global setup). Most tests use an injected clock and fire
 * with `fireDue()`; the first one and the restart test run the real timer loop.
 */
import { DeleteTableCommand, ScanCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  paginateListSchedules,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  type CreateScheduleCommandInput,
} from "@aws-sdk/client-scheduler";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  startLocalScheduler,
  type LocalScheduler,
  type LocalSchedulerOptions,
  type TargetInvocation,
} from "../../local/scheduler/server.js";
import { dynamodbClient } from "../support/dynamodb.js";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const TARGET_ARN = "arn:aws:lambda:us-east-1:000000000000:function:scheduler-target";
const ROLE_ARN = "arn:aws:iam::000000000000:role/scheduler-invoke";
const T0 = Date.parse("2030-01-01T00:00:00Z");

/** at() of an epoch-ms instant, in the format the service takes (seconds, no zone). */
function at(ms: number): string {
  return `at(${new Date(ms).toISOString().slice(0, 19)})`;
}

function schedule(
  name: string,
  expression: string,
  extra: Partial<CreateScheduleCommandInput> = {},
): CreateScheduleCommandInput {
  return {
    Name: name,
    GroupName: "gatherings",
    ScheduleExpression: expression,
    ScheduleExpressionTimezone: "UTC",
    FlexibleTimeWindow: { Mode: "OFF" },
    ActionAfterCompletion: "DELETE",
    Target: { Arn: TARGET_ARN, RoleArn: ROLE_ARN, Input: JSON.stringify({ name }) },
    ...extra,
  };
}

describe("local EventBridge Scheduler", () => {
  const dynamodb = dynamodbClient();
  let tableName: string;
  let clock: number;
  let fired: TargetInvocation[];
  let logs: Array<{ msg: string; fields?: Record<string, unknown> }>;
  let invoke: (target: TargetInvocation) => Promise<void>;
  const running: LocalScheduler[] = [];

  beforeEach(() => {
    tableName = `local-scheduler-${randomUUID()}`;
    clock = T0;
    fired = [];
    logs = [];
    invoke = async () => {};
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  });

  async function start(
    options: Partial<LocalSchedulerOptions> = {},
  ): Promise<{ scheduler: LocalScheduler; client: SchedulerClient }> {
    const scheduler = await startLocalScheduler({
      dynamodb,
      tableName,
      invokeTarget: async (target) => {
        fired.push(target);
        await invoke(target);
      },
      now: () => new Date(clock),
      autoFire: false,
      retryBackoffMs: 5,
      logger: (msg, fields) => logs.push({ msg, ...(fields && { fields }) }),
      ...options,
    });
    running.push(scheduler);
    const client = new SchedulerClient({ endpoint: scheduler.endpoint, region: "us-east-1", credentials });
    await client.send(new CreateScheduleGroupCommand({ Name: "gatherings" })).catch((error: unknown) => {
      if (!(error instanceof ConflictException)) throw error;
    });
    return { scheduler, client };
  }

  async function stop(scheduler: LocalScheduler): Promise<void> {
    running.splice(running.indexOf(scheduler), 1);
    await scheduler.stop();
  }

  async function tableItems(): Promise<Array<Record<string, unknown>>> {
    const page = await dynamodb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
    return (page.Items ?? []).map((i) => unmarshall(i));
  }

  it("a one-time at() schedule fires its target once with its input and is deleted afterwards (ActionAfterCompletion DELETE)", async () => {
    const { client } = await start({ now: () => new Date(), autoFire: true, tickMs: 50 });
    // at() has one-second resolution: the next whole second after the next one is 1–2 s away.
    const fireAt = Math.floor(Date.now() / 1000) * 1000 + 2000;
    const created = await client.send(new CreateScheduleCommand(schedule("gth-1-start", at(fireAt))));
    expect(created.ScheduleArn).toBe("arn:aws:scheduler:us-east-1:000000000000:schedule/gatherings/gth-1-start");
    expect(fired).toEqual([]);

    await vi.waitFor(() => expect(fired).toHaveLength(1), { timeout: 5000, interval: 25 });
    expect(Date.now()).toBeGreaterThanOrEqual(fireAt);
    expect(fired[0]).toEqual({
      arn: TARGET_ARN,
      input: JSON.stringify({ name: "gth-1-start" }),
      scheduleName: "gth-1-start",
      groupName: "gatherings",
    });
    await vi.waitFor(
      () =>
        expect(
          client.send(new GetScheduleCommand({ Name: "gth-1-start", GroupName: "gatherings" })),
        ).rejects.toBeInstanceOf(ResourceNotFoundException),
      { timeout: 2000, interval: 25 },
    );
    // A schedule due after it is the marker: once it has fired, a second fire of the first had its ticks.
    await client.send(new CreateScheduleCommand(schedule("marker", at(Date.now()))));
    await vi.waitFor(() => expect(fired.map((f) => f.scheduleName)).toContain("marker"), {
      timeout: 2000,
      interval: 25,
    });
    expect(fired.filter((f) => f.scheduleName === "gth-1-start")).toHaveLength(1);
  });

  it("a schedule with ActionAfterCompletion NONE is kept after it fires and never fires again", async () => {
    const { scheduler, client } = await start();
    await client.send(new CreateScheduleCommand(schedule("keep", at(T0 + 60_000), { ActionAfterCompletion: "NONE" })));

    await scheduler.fireDue();
    expect(fired).toEqual([]); // not due yet

    clock = T0 + 60_000;
    await scheduler.fireDue();
    expect(fired.map((f) => f.scheduleName)).toEqual(["keep"]);
    clock = T0 + 3_600_000;
    await scheduler.fireDue();
    await scheduler.fireDue();
    expect(fired).toHaveLength(1);

    const kept = await client.send(new GetScheduleCommand({ Name: "keep", GroupName: "gatherings" }));
    expect(kept.ActionAfterCompletion).toBe("NONE");
    expect(kept.State).toBe("ENABLED");
  });

  it("GetSchedule returns the stored definition, with dates as the SDK deserializes them and AWS's default retry policy", async () => {
    const { client } = await start();
    await client.send(
      new CreateScheduleCommand(
        schedule("defn", at(T0 + 86_400_000), {
          Description: "auto-start",
          FlexibleTimeWindow: { Mode: "FLEXIBLE", MaximumWindowInMinutes: 5 },
          State: "DISABLED",
          StartDate: new Date(T0 + 1000),
          EndDate: new Date(T0 + 2 * 86_400_000),
        }),
      ),
    );
    const got = await client.send(new GetScheduleCommand({ Name: "defn", GroupName: "gatherings" }));
    expect(got).toMatchObject({
      Arn: "arn:aws:scheduler:us-east-1:000000000000:schedule/gatherings/defn",
      Name: "defn",
      GroupName: "gatherings",
      ScheduleExpression: "at(2030-01-02T00:00:00)",
      ScheduleExpressionTimezone: "UTC",
      Description: "auto-start",
      State: "DISABLED",
      ActionAfterCompletion: "DELETE",
      FlexibleTimeWindow: { Mode: "FLEXIBLE", MaximumWindowInMinutes: 5 },
      Target: {
        Arn: TARGET_ARN,
        RoleArn: ROLE_ARN,
        Input: JSON.stringify({ name: "defn" }),
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      },
    });
    expect(got.CreationDate).toBeInstanceOf(Date);
    expect(got.CreationDate?.getTime()).toBe(T0);
    expect(got.LastModificationDate?.getTime()).toBe(T0);
    expect(got.StartDate?.getTime()).toBe(T0 + 1000);
    expect(got.EndDate?.getTime()).toBe(T0 + 2 * 86_400_000);
  });

  it("UpdateSchedule moves the fire time; the old time fires nothing", async () => {
    const { scheduler, client } = await start();
    await client.send(new CreateScheduleCommand(schedule("moved", at(T0 + 10 * 60_000))));
    clock = T0 + 60_000;
    await client.send(
      new UpdateScheduleCommand({
        ...schedule("moved", at(T0 + 20 * 60_000)),
        Target: { Arn: TARGET_ARN, RoleArn: ROLE_ARN, Input: '{"v":2}' },
      }),
    );
    const updated = await client.send(new GetScheduleCommand({ Name: "moved", GroupName: "gatherings" }));
    expect(updated.ScheduleExpression).toBe("at(2030-01-01T00:20:00)");
    expect(updated.CreationDate?.getTime()).toBe(T0);
    expect(updated.LastModificationDate?.getTime()).toBe(T0 + 60_000);

    clock = T0 + 10 * 60_000 + 1000;
    await scheduler.fireDue();
    expect(fired).toEqual([]);

    clock = T0 + 20 * 60_000;
    await scheduler.fireDue();
    expect(fired).toHaveLength(1);
    expect(fired[0]?.input).toBe('{"v":2}');
  });

  it("UpdateSchedule of an unknown name raises ResourceNotFoundException and creates nothing", async () => {
    const { client } = await start();
    await expect(client.send(new UpdateScheduleCommand(schedule("ghost", at(T0 + 60_000))))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    const listed = await client.send(new ListSchedulesCommand({}));
    expect(listed.Schedules).toEqual([]);
  });

  it("DeleteSchedule of an unknown name raises ResourceNotFoundException", async () => {
    const { client } = await start();
    const error = await client
      .send(new DeleteScheduleCommand({ Name: "nope", GroupName: "gatherings" }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).message).toMatch(/nope does not exist/);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
  });

  it("DeleteSchedule removes a schedule before it fires", async () => {
    const { scheduler, client } = await start();
    await client.send(new CreateScheduleCommand(schedule("cancelled", at(T0 + 60_000))));
    await client.send(new DeleteScheduleCommand({ Name: "cancelled", GroupName: "gatherings" }));
    clock = T0 + 120_000;
    await scheduler.fireDue();
    expect(fired).toEqual([]);
    await expect(
      client.send(new GetScheduleCommand({ Name: "cancelled", GroupName: "gatherings" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("CreateSchedule of an existing name raises ConflictException", async () => {
    const { client } = await start();
    await client.send(new CreateScheduleCommand(schedule("dup", at(T0 + 60_000))));
    const error = await client
      .send(new CreateScheduleCommand(schedule("dup", at(T0 + 120_000))))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictException);
    expect((error as ConflictException).$metadata.httpStatusCode).toBe(409);
    // The first definition is untouched.
    const got = await client.send(new GetScheduleCommand({ Name: "dup", GroupName: "gatherings" }));
    expect(got.ScheduleExpression).toBe(at(T0 + 60_000));
  });

  it("counts successful creates, updates and deletes per schedule name, refused writes apart and reads not, filtered by prefix", async () => {
    const { scheduler, client } = await start();
    await client.send(new CreateScheduleCommand(schedule("sess_a-idle", at(T0 + 60_000))));
    for (const minutes of [2, 3]) {
      await client.send(new UpdateScheduleCommand(schedule("sess_a-idle", at(T0 + minutes * 60_000))));
    }
    await client.send(new GetScheduleCommand({ Name: "sess_a-idle", GroupName: "gatherings" }));
    await client.send(new CreateScheduleCommand(schedule("sess_a-bot-ack", at(T0 + 60_000))));
    await expect(
      client.send(new CreateScheduleCommand(schedule("sess_a-bot-ack", at(T0 + 60_000)))),
    ).rejects.toBeInstanceOf(ConflictException);
    await client.send(new DeleteScheduleCommand({ Name: "sess_a-bot-ack", GroupName: "gatherings" }));
    await expect(
      client.send(new DeleteScheduleCommand({ Name: "sess_a-bot-ack", GroupName: "gatherings" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await client.send(new CreateScheduleCommand(schedule("sess_b-idle", at(T0 + 60_000))));

    expect(scheduler.writes("sess_a")).toEqual({
      "sess_a-idle": { create: 1, update: 2, delete: 0, refused: 0 },
      "sess_a-bot-ack": { create: 1, update: 0, delete: 1, refused: 2 },
    });
    expect(Object.keys(scheduler.writes())).toEqual(["sess_a-idle", "sess_a-bot-ack", "sess_b-idle"]);
    expect(scheduler.writes("sess_c")).toEqual({});
  });

  it("a retried CreateSchedule with the same ClientToken succeeds instead of conflicting with itself", async () => {
    const { client } = await start();
    const input = schedule("idem", at(T0 + 60_000), { ClientToken: "token-1" });
    const first = await client.send(new CreateScheduleCommand(input));
    const second = await client.send(new CreateScheduleCommand(input));
    expect(second.ScheduleArn).toBe(first.ScheduleArn);
  });

  it("schedules in a group that does not exist are rejected with ResourceNotFoundException; the default group exists", async () => {
    const { client } = await start();
    await expect(
      client.send(new CreateScheduleCommand(schedule("x", at(T0 + 60_000), { GroupName: "missing" }))),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    const group = await client.send(new GetScheduleGroupCommand({ Name: "default" }));
    expect(group).toMatchObject({
      Name: "default",
      State: "ACTIVE",
      Arn: "arn:aws:scheduler:us-east-1:000000000000:schedule-group/default",
    });
    const created = await client.send(
      new CreateScheduleCommand({ ...schedule("in-default", at(T0 + 60_000)), GroupName: undefined }),
    );
    expect(created.ScheduleArn).toBe("arn:aws:scheduler:us-east-1:000000000000:schedule/default/in-default");
    await expect(client.send(new GetScheduleCommand({ Name: "in-default" }))).resolves.toMatchObject({
      GroupName: "default",
    });
    await expect(client.send(new CreateScheduleGroupCommand({ Name: "gatherings" }))).rejects.toBeInstanceOf(
      ConflictException,
    );
  });

  it("ListSchedules filters by group, name prefix and state, and pages with NextToken", async () => {
    const { client } = await start();
    await client.send(new CreateScheduleGroupCommand({ Name: "other" }));
    for (const n of ["gth-a-start", "gth-a-end", "gth-b-start", "idle-1"]) {
      await client.send(
        new CreateScheduleCommand(schedule(n, at(T0 + 60_000), n === "idle-1" ? { State: "DISABLED" } : {})),
      );
    }
    await client.send(new CreateScheduleCommand(schedule("gth-z", at(T0 + 60_000), { GroupName: "other" })));

    const names: string[] = [];
    for await (const page of paginateListSchedules(
      { client, pageSize: 2 },
      { GroupName: "gatherings", NamePrefix: "gth-" },
    )) {
      expect(page.Schedules!.length).toBeLessThanOrEqual(2);
      names.push(...page.Schedules!.map((s) => s.Name!));
    }
    expect(names.sort()).toEqual(["gth-a-end", "gth-a-start", "gth-b-start"]);

    const disabled = await client.send(new ListSchedulesCommand({ State: "DISABLED" }));
    expect(disabled.Schedules?.map((s) => s.Name)).toEqual(["idle-1"]);
    expect(disabled.Schedules?.[0]).toMatchObject({ GroupName: "gatherings", Target: { Arn: TARGET_ARN } });
    expect(disabled.Schedules?.[0]?.CreationDate?.getTime()).toBe(T0);
  });

  it("a disabled schedule does not fire; enabling it with UpdateSchedule makes an overdue one fire", async () => {
    const { scheduler, client } = await start();
    await client.send(new CreateScheduleCommand(schedule("paused", at(T0 + 60_000), { State: "DISABLED" })));
    clock = T0 + 120_000;
    await scheduler.fireDue();
    expect(fired).toEqual([]);
    await client.send(new UpdateScheduleCommand(schedule("paused", at(T0 + 60_000), { State: "ENABLED" })));
    await scheduler.fireDue();
    expect(fired.map((f) => f.scheduleName)).toEqual(["paused"]);
  });

  it("schedules survive a restart of the emulator: one due while it was stopped fires once after it starts again", async () => {
    const first = await start();
    await first.client.send(new CreateScheduleCommand(schedule("across-restart", at(T0 + 5 * 60_000))));
    await first.scheduler.fireDue();
    await stop(first.scheduler);
    expect(fired).toEqual([]);

    clock = T0 + 60 * 60_000; // the runtime was down when it became due
    const second = await start({ autoFire: true, tickMs: 20 });
    await vi.waitFor(() => expect(fired).toHaveLength(1), { timeout: 3000, interval: 20 });
    expect(fired[0]?.scheduleName).toBe("across-restart");
    await stop(second.scheduler);

    const third = await start({ autoFire: true, tickMs: 20 });
    await third.scheduler.fireDue(); // a due scan of its own: what the timer would find, it finds now
    expect(fired).toHaveLength(1);
    await expect(
      third.client.send(new GetScheduleCommand({ Name: "across-restart", GroupName: "gatherings" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("two emulators on the same table fire a due schedule once between them", async () => {
    const a = await start();
    const b = await start();
    for (let i = 0; i < 5; i++) await a.client.send(new CreateScheduleCommand(schedule(`race-${i}`, at(T0 + 60_000))));
    clock = T0 + 60_000;
    await Promise.all([a.scheduler.fireDue(), b.scheduler.fireDue(), a.scheduler.fireDue(), b.scheduler.fireDue()]);
    expect(fired.map((f) => f.scheduleName).sort()).toEqual(["race-0", "race-1", "race-2", "race-3", "race-4"]);
  });

  it("a claim left by a runtime that died mid-fire expires, and the schedule then fires (at least once, as on AWS)", async () => {
    const { scheduler, client } = await start({ leaseMs: 30_000 });
    await client.send(new CreateScheduleCommand(schedule("orphaned", at(T0 + 60_000))));
    clock = T0 + 60_000;
    // What a killed runtime leaves behind: a claim whose lease nobody renews.
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: marshall({ PK: "SCHEDULE#gatherings#orphaned" }),
        UpdateExpression: "SET claimId = :c, leaseUntil = :l",
        ExpressionAttributeValues: marshall({ ":c": "dead-runtime", ":l": clock + 30_000 }),
      }),
    );
    await scheduler.fireDue();
    expect(fired).toEqual([]); // the lease is still live
    clock += 30_001;
    await scheduler.fireDue();
    expect(fired.map((f) => f.scheduleName)).toEqual(["orphaned"]);
  });

  it("stop() during a retry backoff gives the claim back, and the next start retries", async () => {
    invoke = async () => {
      throw new Error("down");
    };
    const first = await start({ autoFire: true, tickMs: 20, retryBackoffMs: 60_000 });
    await first.client.send(new CreateScheduleCommand(schedule("interrupted", at(T0))));
    await vi.waitFor(() => expect(fired).toHaveLength(1), { timeout: 3000, interval: 20 });
    await stop(first.scheduler); // does not wait out the 60 s backoff
    const item = (await tableItems()).find((i) => i.name === "interrupted");
    expect(item).toBeDefined();
    expect(item?.claimId).toBeUndefined();

    invoke = async () => {};
    const second = await start();
    await second.scheduler.fireDue();
    expect(fired.map((f) => f.scheduleName)).toEqual(["interrupted", "interrupted"]);
    expect((await tableItems()).filter((i) => i.kind === "schedule")).toEqual([]);
  });

  it("a failing target is retried, then given up", async () => {
    const { scheduler, client } = await start();
    invoke = async () => {
      throw new Error("target is down");
    };
    await client.send(
      new CreateScheduleCommand(
        schedule("flaky", at(T0 + 60_000), {
          ActionAfterCompletion: "NONE",
          Target: {
            Arn: TARGET_ARN,
            RoleArn: ROLE_ARN,
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
          },
        }),
      ),
    );
    // AWS's default of 185 retries is capped locally (3 by default).
    await client.send(
      new CreateScheduleCommand(schedule("flaky-default", at(T0 + 60_000), { ActionAfterCompletion: "NONE" })),
    );

    clock = T0 + 60_000;
    await scheduler.fireDue();
    const attempts = (name: string) => fired.filter((f) => f.scheduleName === name).length;
    expect(attempts("flaky")).toBe(3); // 1 attempt + 2 retries
    expect(attempts("flaky-default")).toBe(4); // 1 attempt + 3 retries
    expect(
      logs
        .filter((l) => l.msg.includes("giving up"))
        .map((l) => l.fields?.schedule)
        .sort(),
    ).toEqual(["flaky", "flaky-default"]);

    clock = T0 + 3_600_000;
    await scheduler.fireDue();
    expect(fired).toHaveLength(7); // given up: never tried again
    const items = await tableItems();
    expect(items.find((i) => i.name === "flaky")).toMatchObject({
      lastOutcome: "FAILED",
      lastError: "target is down",
      status: "COMPLETED",
    });
  });

  it("a target that fails once is retried and the schedule then completes", async () => {
    const { scheduler, client } = await start();
    let failures = 1;
    invoke = async () => {
      if (failures-- > 0) throw new Error("cold start");
    };
    await client.send(new CreateScheduleCommand(schedule("second-time-lucky", at(T0 + 60_000))));
    clock = T0 + 60_000;
    await scheduler.fireDue();
    expect(fired).toHaveLength(2);
    await expect(
      client.send(new GetScheduleCommand({ Name: "second-time-lucky", GroupName: "gatherings" })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it("invalid expressions and non-UTC time zones are rejected with ValidationException, nothing stored", async () => {
    const { client } = await start();
    const cases: Array<[Partial<CreateScheduleCommandInput>, RegExp]> = [
      [{ ScheduleExpression: "cron(0 12 * * ? *)" }, /not supported by the local scheduler/],
      [{ ScheduleExpression: "at(2030-02-30T00:00:00)" }, /does not exist/],
      [{ ScheduleExpression: "at(2030-01-01 00:00:00)" }, /Invalid Schedule Expression/],
      [{ ScheduleExpression: "rate(0 minutes)" }, /positive integer/],
      [{ ScheduleExpression: "tomorrow" }, /Invalid Schedule Expression/],
      [{ ScheduleExpressionTimezone: "Europe/Paris" }, /UTC only/],
      [{ Target: undefined }, /Target must not be null/],
      [{ Target: { Arn: TARGET_ARN } as never }, /RoleArn must not be null/],
      [{ FlexibleTimeWindow: undefined }, /FlexibleTimeWindow must not be null/],
      [{ FlexibleTimeWindow: { Mode: "FLEXIBLE" } }, /MaximumWindowInMinutes/],
      [{ ActionAfterCompletion: "ARCHIVE" as never }, /ActionAfterCompletion/],
      [{ Name: "bad/name#" }, /pattern/],
    ];
    for (const [override, message] of cases) {
      const error = await client
        .send(new CreateScheduleCommand({ ...schedule("invalid", at(T0 + 60_000)), ...override }))
        .catch((e: unknown) => e);
      expect(error, JSON.stringify(override)).toBeInstanceOf(ValidationException);
      expect((error as ValidationException).message, JSON.stringify(override)).toMatch(message);
    }
    expect((await client.send(new ListSchedulesCommand({}))).Schedules).toEqual([]);
    expect((await tableItems()).filter((i) => i.kind === "schedule")).toEqual([]);
  });

  it("fills AWS's context attributes into the target input", async () => {
    const { scheduler, client } = await start();
    await client.send(
      new CreateScheduleCommand(
        schedule("ctx", at(T0 + 60_000), {
          Target: {
            Arn: TARGET_ARN,
            RoleArn: ROLE_ARN,
            Input:
              '{"at":"<aws.scheduler.scheduled-time>","arn":"<aws.scheduler.schedule-arn>","n":"<aws.scheduler.attempt-number>"}',
          },
        }),
      ),
    );
    clock = T0 + 90_000;
    await scheduler.fireDue();
    expect(JSON.parse(fired[0]!.input!)).toEqual({
      at: "2030-01-01T00:01:00Z",
      arn: "arn:aws:scheduler:us-east-1:000000000000:schedule/gatherings/ctx",
      n: "1",
    });
  });

  it("a rate() schedule fires every period and not for occurrences missed in between", async () => {
    const { scheduler, client } = await start();
    await client.send(
      new CreateScheduleCommand(schedule("every-5", "rate(5 minutes)", { ActionAfterCompletion: "NONE" })),
    );
    await scheduler.fireDue(); // starts at once
    expect(fired).toHaveLength(1);
    clock = T0 + 4 * 60_000;
    await scheduler.fireDue();
    expect(fired).toHaveLength(1);
    clock = T0 + 5 * 60_000;
    await scheduler.fireDue();
    expect(fired).toHaveLength(2);
    clock = T0 + 60 * 60_000; // 11 occurrences missed: fires once, then on the grid
    await scheduler.fireDue();
    await scheduler.fireDue();
    expect(fired).toHaveLength(3);
    clock = T0 + 65 * 60_000;
    await scheduler.fireDue();
    expect(fired).toHaveLength(4);
  });

  it("stop() waits for a fire in flight, which completes", async () => {
    const { scheduler, client } = await start({ autoFire: true, tickMs: 20 });
    let release!: () => void;
    const invoked = new Promise<void>((resolve) => {
      invoke = () => {
        resolve();
        return new Promise<void>((done) => (release = done));
      };
    });
    await client.send(new CreateScheduleCommand(schedule("slow", at(T0))));
    await invoked;
    let stopped = false;
    const stopping = stop(scheduler).then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect((await tableItems()).filter((i) => i.kind === "schedule")).toEqual([]); // completed: deleted
  });

  it("works with an unchanged SchedulerClient pointed at it through AWS_ENDPOINT_URL_SCHEDULER", async () => {
    const { scheduler } = await start();
    vi.stubEnv("AWS_ENDPOINT_URL_SCHEDULER", scheduler.endpoint);
    try {
      const client = new SchedulerClient({ region: "us-east-1", credentials });
      await client.send(new CreateScheduleCommand(schedule("via-env", at(T0 + 60_000))));
      await expect(
        client.send(new GetScheduleCommand({ Name: "via-env", GroupName: "gatherings" })),
      ).resolves.toMatchObject({ Name: "via-env" });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
