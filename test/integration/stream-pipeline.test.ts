import { lambdaContext } from "../../local/lambda.js";
import { EVENT_CATALOG } from "../../shared/events/catalog.js";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, EventBridgeEvent } from "aws-lambda";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startLocalEventBridge, type LocalEventBridge } from "../../local/eventbridge/server.js";
import { startStreamPoller } from "../../local/streams/poller.js";
import type { EventEnvelope } from "../../shared/kernel/envelope.js";
import { RULES } from "../../shared/events/rules.js";
import { newGathering } from "../../shared/domain/gatherings/gathering.js";
import { commit } from "../../shared/store/commit.js";
import { STREAM_FILTER_PATTERN } from "../../shared/store/table.js";
import { createTestTable, streamsClient, type TestTable } from "../support/dynamodb.js";

/**
 * The event path with the real publisher module: commit → DynamoDB Local stream → poller (same filter
 * as the AWS event-source mapping) → functions/stream-publisher.ts → EventBridge client → local bus →
 * the shared rules → a target.
 */
let table: TestTable;
let bus: LocalEventBridge;
let publisher: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
const received: Array<EventBridgeEvent<string, EventEnvelope>> = [];
let failNext = 0;

beforeAll(async () => {
  table = await createTestTable();
  const targets = Object.fromEntries(
    RULES.map((rule) => [
      rule.id,
      {
        retryAttempts: 2,
        // Several rules hear these events; count what one of them (the activity rule) receives.
        invoke: async (event: EventBridgeEvent<string, unknown>) => {
          if (rule.id === "activity") received.push(event as EventBridgeEvent<string, EventEnvelope>);
        },
      },
    ]),
  );
  bus = await startLocalEventBridge({ busName: "test-bus", rules: RULES, targets });
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_EVENTBRIDGE: bus.endpoint,
    EVENT_BUS_NAME: "test-bus",
  });
  const mod = await import("../../functions/stream-publisher.js");
  publisher = async (event) => {
    if (failNext > 0) {
      failNext--;
      // Report the second record (if any) as failed, like a partially failed PutEvents.
      const second = event.Records[1] ?? event.Records[0]!;
      return { batchItemFailures: [{ itemIdentifier: second.dynamodb!.SequenceNumber! }] };
    }
    return mod.handler(event, lambdaContext({ functionName: "stream-publisher", timeoutSeconds: 60 }));
  };
});
afterAll(async () => {
  await bus.stop();
  await table.drop();
});

const now = () => new Date();

async function createGatherings(count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `gth_01${prefix}${String(i).padStart(24 - prefix.length, "0")}`;
    const gathering = newGathering(
      { name: `g${i}`, type: "lobby" },
      { tenantId: "t", projectId: "p" },
      { id, joinCode: "AAAA0000" },
      now(),
    );
    await commit(
      table.store,
      {
        aggregate: { type: "gathering", id, projectId: "p", tenantId: "t" },
        expectedVersion: 0,
        root: { name: gathering.name },
        events: [{ type: "gathering.created", data: { gathering } }],
      },
      { now: now(), eventRetentionSeconds: 3600, events: EVENT_CATALOG },
    );
    ids.push(id);
  }
  return ids;
}

async function until(predicate: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("stream → publisher → EventBridge → rule target", () => {
  it("delivers every committed event once, with the envelope as detail and the event name as detail-type", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poller-"));
    const poller = startStreamPoller({
      client: streamsClient(),
      streamArn: table.streamArn,
      handler: publisher,
      filterPattern: STREAM_FILTER_PATTERN,
      checkpointFile: join(dir, "checkpoints.json"),
    });
    const ids = await createGatherings(25, "a");
    await until(() => received.length >= 25);
    await poller.stop();
    await bus.drain();
    expect(received.map((e) => e.detail.resource).sort()).toEqual(ids.map((id) => `gathering:${id}`).sort());
    expect(new Set(received.map((e) => e.detail.id)).size).toBe(25);
    expect(received[0]).toMatchObject({ source: "cortex", "detail-type": "gathering.created" });

    // A second poller with the same checkpoint file resumes after what was handled: no replay.
    received.length = 0;
    const resumed = startStreamPoller({
      client: streamsClient(),
      streamArn: table.streamArn,
      handler: publisher,
      filterPattern: STREAM_FILTER_PATTERN,
      checkpointFile: join(dir, "checkpoints.json"),
    });
    const more = await createGatherings(3, "b");
    await until(() => received.length >= 3);
    await resumed.idle();
    await resumed.stop();
    await bus.drain();
    expect(received.map((e) => e.detail.resource).sort()).toEqual(more.map((id) => `gathering:${id}`).sort());
  });

  it("retries from the first record the handler reports as failed, and loses none", async () => {
    received.length = 0;
    failNext = 1;
    const ids = await createGatherings(5, "c");
    const poller = startStreamPoller({
      client: streamsClient(),
      streamArn: table.streamArn,
      handler: publisher,
      filterPattern: STREAM_FILTER_PATTERN,
    });
    // This poller has no checkpoint: it starts at the trim horizon, so it sees the earlier events too.
    await until(() => ids.every((id) => received.some((e) => e.detail.resource === `gathering:${id}`)));
    await poller.stop();
    expect(failNext).toBe(0);
    for (const id of ids)
      expect(received.filter((e) => e.detail.resource === `gathering:${id}`).length).toBeGreaterThanOrEqual(1);
  });
});

describe("the local EventBridge", () => {
  const client = () =>
    new EventBridgeClient({
      endpoint: bus.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
  const entry = (detail: object) => ({
    Source: "cortex",
    DetailType: "gathering.created",
    Detail: JSON.stringify(detail),
    EventBusName: "test-bus",
  });

  it("rejects more than 10 entries per PutEvents like EventBridge", async () => {
    await expect(
      client().send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry({})) })),
    ).rejects.toMatchObject({
      name: "ValidationException",
    });
  });

  it("rejects a request over 256 KB like EventBridge", async () => {
    const big = entry({ pad: "x".repeat(140 * 1024) });
    await expect(client().send(new PutEventsCommand({ Entries: [big, big] }))).rejects.toMatchObject({
      name: "ValidationException",
    });
  });

  it("fails entries for an unknown bus or malformed detail individually", async () => {
    const result = await client().send(
      new PutEventsCommand({
        Entries: [entry({ ok: true }), { ...entry({}), EventBusName: "nope" }, { ...entry({}), Detail: "not json" }],
      }),
    );
    expect(result.FailedEntryCount).toBe(2);
    expect(result.Entries?.map((e) => e.ErrorCode)).toEqual([
      undefined,
      "ResourceNotFoundException",
      "MalformedDetail",
    ]);
  });

  it("journals accepted events so a bus stopped before delivery delivers them after it starts again", async () => {
    const journalDir = mkdtempSync(join(tmpdir(), "journal-"));
    const delivered: string[] = [];
    let gate = true;
    const rules = [
      { id: "all", consumer: "activityRecorder" as const, description: "", pattern: { source: ["cortex"] } },
    ];
    const first = await startLocalEventBridge({
      busName: "j",
      rules,
      journalDir,
      retryDelayMs: () => 50,
      targets: {
        all: {
          retryAttempts: 100,
          invoke: async () => {
            if (gate) throw new Error("target down");
          },
        },
      },
    });
    const c = new EventBridgeClient({
      endpoint: first.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "l", secretAccessKey: "l" },
    });
    await c.send(new PutEventsCommand({ Entries: [{ ...entry({ n: 1 }), EventBusName: "j" }] }));
    await first.stop();
    gate = false;
    const second = await startLocalEventBridge({
      busName: "j",
      rules,
      journalDir,
      targets: {
        all: { retryAttempts: 0, invoke: async (e) => void delivered.push((e.detail as { n: number }).n.toString()) },
      },
    });
    await second.drain();
    await second.stop();
    expect(delivered).toEqual(["1"]);
    expect(inject("dynamodbEndpoint")).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });
});
