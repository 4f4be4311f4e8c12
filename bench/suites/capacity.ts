import { devScope } from "../lib/runtime.js";
import { QueryCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { matchesPattern } from "../../local/eventbridge/pattern.js";
import { recordActivity } from "../../shared/consumers/activity.js";
import { sdkDynamoDbCalls } from "../../shared/adapters/aws/dynamodb-sdk-calls.js";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { EventEnvelopeSchema, EVENT_SOURCE, type EventEnvelope } from "../../shared/kernel/envelope.js";
import { CONSUMERS, RULES } from "../../shared/events/rules.js";
import { getGathering } from "../../shared/domain/gatherings/service.js";
import { handleApiRequest } from "../../shared/app/http/api.js";
import type { ApiRequest, ApiResponse } from "../../shared/app/http/request.js";
import type { OperationId } from "../../shared/app/http/routes.js";
import { systemClock } from "../../shared/kernel/clock.js";
import { syncSchedules, type SchedulerPort } from "../../shared/domain/scheduling/schedules.js";
import { aggregatePk, eventRangeAfter } from "../../shared/store/keys.js";
import { fanOut } from "../../shared/consumers/webhooks/service.js";
import { inProcessApiDeps } from "../lib/api-deps.js";
import { localDynamo, Meter, shortName, type MeteredCall } from "../lib/dynamo.js";
import { fmt, median, round } from "../lib/stats.js";
import { progress, type Report } from "../lib/report.js";

/**
 * Round trips and capacity per operation, measured in-process: the API operations (handleApiRequest, the
 * function the API Lambda runs) over a DynamoDbStore whose client is metered, against the same DynamoDB
 * Local the runtime uses. Then the event consumers the shared rules route each event of those commands
 * to, run the same way, so the cost model has measured figures for the whole path.
 */
export const TABLE_NAME = "cortex";

/** The fewest DynamoDB calls each operation needs in this data model (the definition). */
export const MINIMUM_CALLS: Record<string, string[]> = {
  create: ["TransactWriteItems"],
  get: ["GetItem"],
  "join by code": ["GetItem", "GetItem", "GetItem", "TransactWriteItems"],
  "join by code (first member)": ["GetItem", "GetItem", "GetItem", "TransactWriteItems"],
  ready: ["GetItem", "GetItem", "TransactWriteItems"],
  start: ["GetItem", "TransactWriteItems"],
  end: ["GetItem", "TransactWriteItems"],
  "list 100 members": ["Query"],
};

export interface OperationCost {
  calls: string[];
  /** Time inside DynamoDB calls (SDK included) and the rest of the operation (validation, domain, shaping). */
  dynamoMs: number;
  rru: number;
  wru: number;
  reported: number;
  minRru: number;
  minWru: number;
  ms: number;
}

export interface ConsumerCost {
  /** Invocations per lifecycle, by consumer entry. */
  invocations: Record<string, number>;
  rru: number;
  wru: number;
  schedulerCalls: number;
  /** Median in-process duration per invocation, by consumer entry. */
  ms: Record<string, number>;
}

export interface CapacityResult {
  operations: Record<string, OperationCost>;
  /** One idle poll of an SSE stream (a consistent Query for events after the current version). */
  ssePollRru: number;
  /** Per lobby lifecycle (create, 8 joins, 8 readies, start, end). */
  lifecycle: { requests: number; events: number; rru: number; wru: number; apiMs: number };
  consumers: ConsumerCost;
}

const PRINCIPAL = { tenantId: "local", projectScope: "*", keyId: "bench-in-process" };

function describeCalls(calls: string[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => `${n}× ${c}`).join(" + ");
}

/** The part of the measured calls the minimum consists of (matched by command, in order). */
function minimumOf(calls: MeteredCall[], minimum: string[]): { rru: number; wru: number } {
  const pool = [...calls];
  let rru = 0;
  let wru = 0;
  for (const name of minimum) {
    const i = pool.findIndex((c) => shortName(c.command) === name);
    if (i < 0) continue;
    rru += pool[i]!.rru;
    wru += pool[i]!.wru;
    pool.splice(i, 1);
  }
  return { rru, wru };
}

export async function capacitySuite(
  report: Report,
  options: { endpoint: string; projectId: string; lifecycles: number },
): Promise<CapacityResult> {
  const client = localDynamo(options.endpoint);
  const meter = new Meter(client);
  const store = new DynamoDbStore({ tableName: TABLE_NAME, client: sdkDynamoDbCalls(client) });
  const deps = inProcessApiDeps(store, "capacity");
  let requestCounter = 0;
  const samples = new Map<string, Array<{ calls: MeteredCall[]; ms: number }>>();

  async function call(
    label: string | undefined,
    operationId: OperationId,
    params: Record<string, string>,
    body?: unknown,
    query: Record<string, string> = {},
  ): Promise<ApiResponse> {
    const request: ApiRequest = {
      operationId,
      params: { projectId: options.projectId, ...params },
      query,
      headers: {},
      body,
      principal: PRINCIPAL,
      requestId: `bench-${++requestCounter}`,
    };
    meter.take();
    const t0 = performance.now();
    const response = await handleApiRequest(request, deps);
    const ms = performance.now() - t0;
    const calls = meter.take();
    if (response.status >= 300) throw new Error(`${operationId}: ${response.status} ${JSON.stringify(response.body)}`);
    if (label) {
      if (!samples.has(label)) samples.set(label, []);
      samples.get(label)!.push({ calls, ms });
    }
    return response;
  }

  const gatheringIds: string[] = [];
  // One unmeasured lifecycle first: module warm-up (schema compilation, JIT) is not what an operation costs.
  for (let l = -1; l < options.lifecycles; l++) {
    const measured = l >= 0;
    const created = await call(
      measured ? "create" : undefined,
      "createGathering",
      {},
      { name: `Capacity lobby ${l}`, type: "lobby", maxMembers: 8 },
    );
    const g = created.body as { id: string; joinCode: string };
    if (measured) gatheringIds.push(g.id);
    const label = (name: string) => (measured ? name : undefined);
    await call(label("get"), "getGathering", { gatheringId: g.id });
    for (let p = 0; p < 8; p++) {
      await call(
        label(p === 0 ? "join by code (first member)" : "join by code"),
        "joinByCode",
        {},
        {
          joinCode: g.joinCode,
          participantId: `player-${p}`,
          displayName: `Player ${p}`,
        },
      );
    }
    for (let p = 0; p < 8; p++) {
      await call(label("ready"), "readyMember", { gatheringId: g.id, participantId: `player-${p}` });
    }
    await call(label("start"), "startGathering", { gatheringId: g.id });
    await call(label("end"), "endGathering", { gatheringId: g.id });
  }

  // A gathering with 100 members (added unmetered), listed one page of 100 at a time.
  const big = (await call(undefined, "createGathering", {}, { name: "Capacity list", type: "open" })).body as {
    id: string;
  };
  for (let p = 0; p < 100; p++) {
    await call(
      undefined,
      "addMember",
      { gatheringId: big.id },
      { participantId: `member-${p}`, displayName: `M ${p}` },
    );
  }
  for (let i = 0; i < options.lifecycles; i++) {
    const page = await call("list 100 members", "listMembers", { gatheringId: big.id }, undefined, { limit: "100" });
    report.check((page.body as { items: unknown[] }).items.length === 100, "capacity: list 100 members returned 100");
  }

  const operations: Record<string, OperationCost> = {};
  const rows: Array<Array<string | number>> = [];
  for (const [label, runs] of samples) {
    const pick = (f: (r: { calls: MeteredCall[]; ms: number }) => number) => median(runs.map(f));
    const sum = (calls: MeteredCall[], f: (c: MeteredCall) => number) => calls.reduce((n, c) => n + f(c), 0);
    const calls = runs[0]!.calls.map((c) => shortName(c.command));
    const sameShape = runs.every(
      (r) => describeCalls(r.calls.map((c) => shortName(c.command))) === describeCalls(calls),
    );
    if (!sameShape) report.warn(`capacity: ${label} did not make the same calls every time (a retried race?)`);
    const minimum = MINIMUM_CALLS[label] ?? [];
    const cost: OperationCost = {
      calls,
      rru: pick((r) => sum(r.calls, (c) => c.rru)),
      wru: pick((r) => sum(r.calls, (c) => c.wru)),
      reported: pick((r) => sum(r.calls, (c) => c.reported ?? 0)),
      minRru: pick((r) => minimumOf(r.calls, minimum).rru),
      minWru: pick((r) => minimumOf(r.calls, minimum).wru),
      ms: pick((r) => r.ms),
      dynamoMs: pick((r) => sum(r.calls, (c) => c.ms)),
    };
    operations[label] = cost;
    // Cross-check the pricing against Local where Local follows the rules (reads and single puts).
    for (const run of runs) {
      for (const c of run.calls) {
        const units = c.rru + c.wru;
        if (c.command !== "TransactWriteItemsCommand" && c.reported !== undefined && c.reported !== units) {
          report.warn(
            `capacity: ${label} ${shortName(c.command)} priced ${units}, DynamoDB Local reported ${c.reported}`,
          );
        }
      }
    }
    const extra = calls.length - minimum.length;
    rows.push([
      label,
      describeCalls(calls),
      minimum.length,
      extra > 0 ? `+${extra}` : "0",
      fmt(cost.rru, 1),
      fmt(cost.wru, 0),
      `${fmt(cost.minRru, 1)} / ${fmt(cost.minWru, 0)}`,
      fmt(cost.reported, 1),
      fmt(cost.ms, 1),
      fmt(cost.ms - cost.dynamoMs, 1),
    ]);
  }
  report.table({
    title: `Round trips and capacity per operation (in-process handleApiRequest, median of ${options.lifecycles})`,
    columns: [
      "operation",
      "DynamoDB calls",
      "minimum calls",
      "extra",
      "RRU",
      "WRU",
      "minimum RRU / WRU",
      "Local-reported CU",
      "in-process ms",
      "of which outside DynamoDB",
    ],
    rows,
    notes: [
      "RRU/WRU priced by DynamoDB's rules from the item sizes (strongly consistent read = 1 per 4 KB, transactional " +
        "write = 2 per KB per item, GSI1 writes included); DynamoDB Local's own figure is shown for reference: it " +
        "matches the rules for GetItem/PutItem/Query but not for TransactWriteItems.",
      "In-process ms: handleApiRequest end to end, median; 'outside DynamoDB' excludes the time inside SDK calls " +
        "(marshalling, signing, HTTP to DynamoDB Local), leaving validation, domain logic and response shaping.",
      "Minimum = the calls the data model needs (create: 1 TransactWriteItems; get: 1 GetItem; join: 3 GetItems + " +
        "TransactWriteItems; ready, start, end: 2 GetItems (start/end: 1) + TransactWriteItems; list: 1 Query).",
    ],
  });

  // ── Events of those lifecycles, through the consumers the shared rules route them to ─────────────────
  const events: EventEnvelope[] = [];
  for (const id of gatheringIds) {
    const range = eventRangeAfter(0);
    const page = await client.send(
      new QueryCommand({
        TableName: TABLE_NAME,
        KeyConditionExpression: "PK = :pk AND SK BETWEEN :a AND :b",
        ExpressionAttributeValues: {
          ":pk": { S: aggregatePk("gathering", devScope(options.projectId), id) },
          ":a": { S: range.from },
          ":b": { S: range.to },
        },
        ConsistentRead: true,
      }),
    );
    events.push(...(page.Items ?? []).map((i) => EventEnvelopeSchema.parse(unmarshall(i).event)));
  }
  meter.take();
  let schedulerCalls = 0;
  const scheduler: SchedulerPort = {
    put: async () => void schedulerCalls++,
    delete: async () => void schedulerCalls++,
  };
  const invocations: Record<string, number> = {};
  const durations: Record<string, number[]> = {};
  let rru = 0;
  let wru = 0;
  for (const envelope of events) {
    const bridged = { source: EVENT_SOURCE, "detail-type": envelope.type, detail: envelope };
    // A scratch project: the runtime's own recorder has already recorded these events under theirs.
    const event = { ...envelope, projectId: `${options.projectId}-consumers` };
    for (const rule of RULES) {
      if (!matchesPattern(rule.pattern, bridged)) continue;
      const entry = CONSUMERS[rule.consumer].entry;
      invocations[entry] = (invocations[entry] ?? 0) + 1;
      const t0 = performance.now();
      if (rule.consumer === "activityRecorder") await recordActivity(store, event, 7 * 86_400);
      else if (rule.consumer === "webhookFanout")
        await fanOut({ store, queue: { send: async () => undefined }, clock: systemClock }, event);
      else if (rule.consumer === "schedulerSync") {
        const id = envelope.resource.replace(/^gathering:/, "");
        const scope = { tenantId: envelope.tenantId, projectId: envelope.projectId };
        const gathering = await getGathering({ store }, scope, id).catch(() => undefined);
        await syncSchedules(scheduler, gathering, id);
      } else report.warn(`capacity: events reach ${entry}, which the bench does not run (no DynamoDB figures)`);
      (durations[entry] ??= []).push(performance.now() - t0);
      for (const c of meter.take()) {
        rru += c.rru;
        wru += c.wru;
      }
    }
  }
  // What one SSE connection costs per poll when nothing happens (functions/sse.ts polls every 50 ms).
  meter.take();
  const latest = events.filter((e) => e.resource === `gathering:${gatheringIds[0]}`).at(-1)!;
  await store.query({
    pk: aggregatePk("gathering", devScope(options.projectId), gatheringIds[0]!),
    between: eventRangeAfter(latest.version),
    consistent: true,
    limit: 100,
  });
  const ssePollRru = meter.take().reduce((n, c) => n + c.rru, 0);

  const n = options.lifecycles;
  for (const k of Object.keys(invocations)) invocations[k] = invocations[k]! / n;
  const consumers: ConsumerCost = {
    invocations,
    rru: rru / n,
    wru: wru / n,
    schedulerCalls: schedulerCalls / n,
    ms: Object.fromEntries(Object.entries(durations).map(([k, v]) => [k, median(v)])),
  };
  const lifecycleOps: Array<[string, number]> = [
    ["create", 1],
    ["join by code (first member)", 1],
    ["join by code", 7],
    ["ready", 8],
    ["start", 1],
    ["end", 1],
  ];
  const lifecycle = {
    requests: lifecycleOps.reduce((s, [, k]) => s + k, 0),
    events: events.length / n,
    rru: lifecycleOps.reduce((s, [op, k]) => s + k * operations[op]!.rru, 0),
    wru: lifecycleOps.reduce((s, [op, k]) => s + k * operations[op]!.wru, 0),
    apiMs: lifecycleOps.reduce((s, [op, k]) => s + k * operations[op]!.ms, 0),
  };
  report.table({
    title:
      "Event consumers per lobby lifecycle (create, 8 joins, 8 readies, start, end), routed by shared/events/rules.ts",
    columns: ["consumer", "invocations", "median ms (in-process)"],
    rows: Object.entries(invocations).map(([k, v]) => [k, fmt(v, 0), fmt(consumers.ms[k], 1)]),
    notes: [
      `${fmt(lifecycle.events, 0)} events per lifecycle; consumer DynamoDB use per lifecycle: ${fmt(consumers.rru, 1)} RRU, ` +
        `${fmt(consumers.wru, 0)} WRU; scheduler API calls: ${fmt(consumers.schedulerCalls, 0)} (scheduler-sync ` +
        "deletes the start/end schedules a lobby never has, on every lifecycle event it hears).",
    ],
  });
  const result: CapacityResult = { operations, lifecycle, consumers, ssePollRru };
  report.data.capacity = {
    operations: Object.fromEntries(
      Object.entries(operations).map(([k, v]) => [
        k,
        {
          ...v,
          rru: round(v.rru),
          wru: round(v.wru),
          reported: round(v.reported),
          ms: round(v.ms),
          dynamoMs: round(v.dynamoMs),
        },
      ]),
    ),
    lifecycle,
    consumers,
    ssePollRru,
  };
  progress(
    `capacity: lifecycle = ${lifecycle.requests} requests, ${fmt(lifecycle.rru, 1)} RRU, ${fmt(lifecycle.wru, 0)} WRU, ${lifecycle.events} events`,
  );
  return result;
}
