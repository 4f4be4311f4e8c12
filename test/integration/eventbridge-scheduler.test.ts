import { DeleteScheduleCommand, GetScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startLocalScheduler, type LocalScheduler } from "../../local/scheduler/server.js";
import { AwsClient, SERVICES } from "../../shared/adapters/aws/client/aws-client.js";
import { EventBridgeScheduler } from "../../shared/adapters/aws/eventbridge-scheduler.js";
import type { DesiredSchedule } from "../../shared/domain/scheduling/schedules.js";
import { dynamodbClient } from "../support/dynamodb.js";

/**
 * The Scheduler adapter: the exact calls it makes (captured at its client, as operation + input) and their
 * effect on the local Scheduler emulator — the control plane we cannot call from here. The checks read the
 * emulator back with the AWS SDK's own SchedulerClient.
 */
let local: LocalScheduler;
const fired: Array<{ arn: string; input?: string }> = [];
const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
let client: SchedulerClient;
const OPERATIONS: Record<string, string> = {
  POST: "CreateScheduleCommand",
  PUT: "UpdateScheduleCommand",
  DELETE: "DeleteScheduleCommand",
};

/** The adapter's client, recording each call as the SDK command it is (ClientToken is random per call). */
class CapturingClient extends AwsClient {
  beforeSend?: (operation: string) => Promise<void>;
  override async request<T>(
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    options: { query?: Record<string, string>; body?: object } = {},
  ): Promise<T> {
    const operation = OPERATIONS[method]!;
    const { ClientToken, ...body } = (options.body ?? {}) as Record<string, unknown>;
    expect(ClientToken ?? options.query?.clientToken).toMatch(/^[0-9a-f-]{36}$/);
    const name = decodeURIComponent(path.slice("/schedules/".length));
    const group = options.query?.groupName;
    sent.push({ command: operation, input: { Name: name, ...(group !== undefined && { GroupName: group }), ...body } });
    await this.beforeSend?.(operation);
    return super.request<T>(method, path, options);
  }
}
let capturing: CapturingClient;

beforeAll(async () => {
  local = await startLocalScheduler({
    dynamodb: dynamodbClient(),
    tableName: `sched-${randomUUID()}`,
    invokeTarget: async (t) => void fired.push({ arn: t.arn, ...(t.input !== undefined && { input: t.input }) }),
    tickMs: 50,
  });
  client = new SchedulerClient({
    endpoint: local.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  capturing = new CapturingClient(SERVICES.scheduler, {
    endpoint: local.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
});
afterAll(() => local.stop());

const adapter = () =>
  new EventBridgeScheduler({
    groupName: "default",
    roleArn: "arn:aws:iam::000000000000:role/scheduler",
    targetArn: "arn:aws:lambda:us-east-1:000000000000:function:scheduler-target",
    client: capturing,
  });

const schedule = (at: string): DesiredSchedule => ({
  name: "gth_test-start",
  at,
  input: { action: "start", tenantId: "t", projectId: "p", gatheringId: "gth_test", at },
});

describe("EventBridgeScheduler adapter", () => {
  it("creates a one-time at() schedule in UTC that deletes itself after running, with the full target", async () => {
    sent.length = 0;
    const at = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await adapter().put(schedule(at));
    expect(sent[0]).toEqual({
      command: "CreateScheduleCommand",
      input: {
        Name: "gth_test-start",
        GroupName: "default",
        ScheduleExpression: `at(${at.slice(0, 19)})`,
        ScheduleExpressionTimezone: "UTC",
        FlexibleTimeWindow: { Mode: "OFF" },
        ActionAfterCompletion: "DELETE",
        Target: {
          Arn: "arn:aws:lambda:us-east-1:000000000000:function:scheduler-target",
          RoleArn: "arn:aws:iam::000000000000:role/scheduler",
          Input: JSON.stringify(schedule(at).input),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        },
      },
    });
    const stored = await client.send(new GetScheduleCommand({ Name: "gth_test-start", GroupName: "default" }));
    expect(stored.ScheduleExpression).toBe(`at(${at.slice(0, 19)})`);
  });

  it("a second put of the same name updates it with the full definition", async () => {
    sent.length = 0;
    const later = new Date(Date.now() + 7_200_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await adapter().put(schedule(later));
    expect(sent.map((s) => s.command)).toEqual(["CreateScheduleCommand", "UpdateScheduleCommand"]);
    expect(sent[1]!.input.ScheduleExpression).toBe(`at(${later.slice(0, 19)})`);
    expect(sent[1]!.input.Target).toBeDefined();
  });

  it("a deadline its target re-arms is kept after it runs (ActionAfterCompletion NONE)", async () => {
    sent.length = 0;
    const at = new Date(Date.now() + 3_600_000).toISOString();
    await adapter().put({
      name: "sess_test-idle",
      at,
      input: { action: "idle", tenantId: "t", projectId: "p", sessionId: "sess_test", at },
      keepAfterRun: true,
    });
    expect(sent[0]!.input.ActionAfterCompletion).toBe("NONE");
    await adapter().delete("sess_test-idle");
  });

  it("a schedule that vanishes between the create's conflict and the update is created again", async () => {
    const name = "gth_vanish-start";
    const first = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await adapter().put({ ...schedule(first), name });
    // The schedule runs and deletes itself (or another sync deletes it) just before our update reaches it.
    let vanished = false;
    capturing.beforeSend = async (operation) => {
      if (operation === "UpdateScheduleCommand" && !vanished) {
        vanished = true;
        sent.push({ command: "DeleteScheduleCommand", input: { Name: name, GroupName: "default" } });
        await client.send(new DeleteScheduleCommand({ Name: name, GroupName: "default" }));
      }
    };
    try {
      sent.length = 0;
      const later = new Date(Date.now() + 7_200_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      await adapter().put({ ...schedule(later), name });
      expect(sent.map((s) => s.command)).toEqual([
        "CreateScheduleCommand",
        "UpdateScheduleCommand",
        "DeleteScheduleCommand",
        "CreateScheduleCommand",
      ]);
      const stored = await client.send(new GetScheduleCommand({ Name: name, GroupName: "default" }));
      expect(stored.ScheduleExpression).toBe(`at(${later.slice(0, 19)})`);
    } finally {
      capturing.beforeSend = undefined;
      await adapter().delete(name);
    }
  });

  it("deleting a schedule that does not exist is success", async () => {
    await adapter().delete("gth_test-start");
    await expect(adapter().delete("gth_test-start")).resolves.toBeUndefined();
    await expect(
      client.send(new GetScheduleCommand({ Name: "gth_test-start", GroupName: "default" })),
    ).rejects.toMatchObject({
      name: "ResourceNotFoundException",
    });
  });

  it("a due schedule invokes its target once with its input", async () => {
    fired.length = 0;
    const soon = new Date(Date.now() + 1_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await adapter().put({ ...schedule(soon), name: "gth_due-start" });
    await vi.waitFor(() => expect(fired.length).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
    // A second schedule due after it is the marker: once it fired, a repeat of the first had its chance.
    const later = new Date(Date.now() + 1_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    await adapter().put({ ...schedule(later), name: "gth_marker-start" });
    await vi.waitFor(() => expect(fired.length).toBeGreaterThan(1), { timeout: 10_000, interval: 50 });
    expect(fired.slice(0, 1)).toEqual([
      {
        arn: "arn:aws:lambda:us-east-1:000000000000:function:scheduler-target",
        input: JSON.stringify(schedule(soon).input),
      },
    ]);
    expect(fired.slice(1)).toEqual([
      {
        arn: "arn:aws:lambda:us-east-1:000000000000:function:scheduler-target",
        input: JSON.stringify(schedule(later).input),
      },
    ]);
  });
});
