import { createLogger } from "../../shared/kernel/logger.js";
import { fmt } from "../lib/stats.js";
import type { Report } from "../lib/report.js";
import type { CapacityResult } from "./capacity.js";

/**
 * What 1 million lobby lifecycles (create, 8 joins, 8 readies, start, end) cost on AWS at on-demand prices,
 * from the figures measured in this run (calls, capacity, events, consumer invocations, schedules) and the
 * memory sizes the stack deploys with. Everything that is an assumption rather than a measurement is a
 * named constant below and is said so in the table.
 */

/**
 * us-east-1 on-demand list prices, from the AWS pricing pages (aws.amazon.com/dynamodb/pricing/on-demand,
 * /lambda/pricing, /api-gateway/pricing, /eventbridge/pricing, /cloudwatch/pricing), as published in 2025
 * (DynamoDB on-demand after the November 2024 reduction). First pricing tier, no free tier. Re-check before
 * relying on them.
 */
export const PRICES = {
  asOf: "2025 (us-east-1 list prices, first tier, free tier ignored)",
  dynamodbWriteRequestUnit: 0.625 / 1e6,
  dynamodbReadRequestUnit: 0.125 / 1e6,
  /** Free when the reader is a Lambda event-source mapping, as here. */
  dynamodbStreamsReadRequestUnit: 0.02 / 1e5,
  lambdaRequest: 0.2 / 1e6,
  /** Graviton (arm64), which every function of the stack runs on. */
  lambdaGbSecondArm64: 0.0000133334,
  apiGatewayRestRequest: 3.5 / 1e6,
  /** Per custom event (each 64 KB chunk of an entry); events here are well under 64 KB. */
  eventBridgeCustomEvent: 1.0 / 1e6,
  eventBridgeSchedulerInvocation: 1.0 / 1e6,
  cloudWatchLogsIngestionPerGb: 0.5,
  /** aws.amazon.com/fargate/pricing, Linux/ARM (Graviton), which the live host runs on. */
  fargateArmVcpuHour: 0.03238,
  fargateArmGbHour: 0.00356,
  /** Each task's public IPv4 address (/vpc/pricing): the live host has no NAT gateway. */
  publicIpv4Hour: 0.005,
  /** /elasticloadbalancing/pricing: a Network Load Balancer and its capacity unit (NLCU). */
  nlbHour: 0.0225,
  nlcuHour: 0.006,
  /** /sns/pricing: per publish (64 KB chunk); deliveries to SQS are free. */
  snsPublish: 0.5 / 1e6,
  /** /sqs/pricing: standard queue, per request (64 KB chunk). */
  sqsRequest: 0.4 / 1e6,
  /** /ec2/pricing data transfer out to the internet, first 10 TB. */
  dataTransferOutPerGb: 0.09,
  secretsManagerSecretMonth: 0.4,
  cloudWatchCustomMetricMonth: 0.3,
} as const;

/** Memory (MB) per function, as infra/constructs/api.ts and node-function.ts (default 256) set them. */
export const MEMORY_MB: Record<string, number> = {
  "http-api": 1024,
  authorizer: 512,
  sse: 256,
  "stream-publisher": 256,
  "activity-recorder": 256,
  "webhook-fanout": 256,
  "scheduler-sync": 256,
  mailer: 256,
  "user-function": 256,
};

/** Assumptions (not measurable locally). */
export const ASSUMED = {
  /** One stream-publisher invocation per commit: the upper bound (under load, batches hold several). */
  publisherInvocationsPerCommit: 1,
  /** A PutEvents call from Lambda to EventBridge. */
  publisherMs: 25,
  /** One EventBridge Scheduler API call (scheduler-sync's DeleteSchedule) from Lambda. */
  schedulerApiCallMs: 20,
  /** DynamoDB on AWS answers in a few ms, about what DynamoDB Local does here: durations are taken as measured. */
  durationScale: 1,
  /** START + END + REPORT lines (with X-Ray) per invocation. */
  platformLogBytesPerInvocation: 450,
  /** One API Gateway access-log line in the stack's JSON format. */
  accessLogBytesPerRequest: 550,
  /** The API key is cached by API Gateway for 300 s: a backend calling with one key invokes the authorizer ~0 times per lifecycle. */
  authorizerInvocationsPerLifecycle: 0,
} as const;

/**
 * The live host (infra/constructs/live.ts) as deployed: its task size, the scaling target, the minimum
 * count, and what the program and the protocol do per hour. Named here so the cost lines say what they assume.
 */
export const LIVE_HOST = {
  taskVcpu: 0.5,
  taskGb: 1,
  /** Scaling target: open connections per task (memory per idle connection is the bench's watchers suite). */
  connectionsPerTask: 5_000,
  minTasks: 2,
  /** A stream ends itself before API Gateway's 15 minutes: ~4.3 reconnects (API requests) per watcher-hour. */
  streamMinutes: 14,
  /** `: heartbeat` comment every 10 s, with TCP/TLS framing (~60 B) on the wire. */
  heartbeatsPerHour: 360,
  heartbeatWireBytes: 80,
  /** A task's queue: one 20 s long poll at a time while idle. */
  idleReceivesPerTaskHour: 180,
  /** The hub's bounded safety poll of a watched aggregate, per task (LIVE-CORE's hub: 15–30 s). */
  safetyPollSeconds: 20,
  /** A (re)connect reads the aggregate and catches up from the log: about two idle polls' worth of reads. */
  reconnectPollEquivalents: 2,
  /** An NLCU covers 100,000 active TCP connections (per minute) or 800 new per second or 1 GB per hour. */
  nlcuActiveConnections: 100_000,
  /** A typical event on the wire (id, event, data lines of a member event). */
  eventWireBytes: 600,
} as const;

const LIFECYCLES = 1e6;
/** functions/sse.ts: SSE_POLL_INTERVAL_MS default. */
const SSE_POLL_MS = 50;

/** The size of one structured log line, built by the project's own logger. */
export function logLineBytes(keys: Record<string, unknown>, message: string, fields: Record<string, unknown>): number {
  let bytes = 0;
  createLogger(keys, (line) => (bytes = Buffer.byteLength(line) + 1)).info(message, fields);
  return bytes;
}

/** What one SSE watcher connected for an hour costs, idle: its function polls the event log every SSE_POLL_MS. */
export function sseWatcherHour(ssePollRru: number) {
  const polls = 3_600_000 / SSE_POLL_MS;
  const hour = {
    polls,
    rru: polls * ssePollRru,
    dynamodb: polls * ssePollRru * PRICES.dynamodbReadRequestUnit,
    lambda: 3600 * ((MEMORY_MB.sse ?? 256) / 1024) * PRICES.lambdaGbSecondArm64 + 5 * PRICES.lambdaRequest,
    apiGateway: 5 * PRICES.apiGatewayRestRequest,
  };
  return { ...hour, total: hour.dynamodb + hour.lambda + hour.apiGateway };
}

/**
 * The live host, per idle watcher-hour at the scaling target (tasks full), with the hub's safety poll
 * charged to the watcher as if it alone watched its aggregate on its task (the worst case: watchers of one
 * aggregate on one task share it).
 */
export function liveWatcherHour(ssePollRru: number) {
  const h = LIVE_HOST;
  const taskHour =
    h.taskVcpu * PRICES.fargateArmVcpuHour +
    h.taskGb * PRICES.fargateArmGbHour +
    PRICES.publicIpv4Hour +
    h.idleReceivesPerTaskHour * PRICES.sqsRequest;
  const reconnects = 60 / h.streamMinutes;
  const items = {
    fargate: taskHour / h.connectionsPerTask,
    apiGateway: reconnects * PRICES.apiGatewayRestRequest,
    /** Each reconnect may invoke the authorizer (cached 300 s per key): an upper bound. */
    authorizer:
      reconnects * (PRICES.lambdaRequest + 0.02 * ((MEMORY_MB.authorizer ?? 512) / 1024) * PRICES.lambdaGbSecondArm64),
    reconnectReads: reconnects * h.reconnectPollEquivalents * ssePollRru * PRICES.dynamodbReadRequestUnit,
    safetyPoll: (3600 / h.safetyPollSeconds) * ssePollRru * PRICES.dynamodbReadRequestUnit,
    nlb: PRICES.nlcuHour / h.nlcuActiveConnections,
    heartbeats: ((h.heartbeatsPerHour * h.heartbeatWireBytes) / 1024 ** 3) * PRICES.dataTransferOutPerGb,
  };
  const total = Object.values(items).reduce((a, b) => a + b, 0);
  return { taskHour, reconnects, items, total };
}

/** What one committed event costs the live host: the fan-out to every task, then each delivery's bytes. */
export function liveEvent(tasks: number) {
  const fanOut = PRICES.snsPublish + tasks * 2 * PRICES.sqsRequest; // receive + delete, unbatched (upper bound)
  const perDelivery = (LIVE_HOST.eventWireBytes / 1024 ** 3) * PRICES.dataTransferOutPerGb;
  return { fanOut, perDelivery };
}

/** The live host's fixed floor per hour (no watchers): the minimum tasks, the NLB, the secret and the metric. */
export function liveFloorHour() {
  const h = liveWatcherHour(0);
  return (
    LIVE_HOST.minTasks * h.taskHour +
    PRICES.nlbHour +
    PRICES.nlcuHour +
    (PRICES.secretsManagerSecretMonth + PRICES.cloudWatchCustomMetricMonth) / 730
  );
}

/** The live host at `watchers` idle watchers: tasks at the scaling target, the NLB's units, everything per hour. */
export function liveAtScale(watchers: number, ssePollRru: number) {
  const one = liveWatcherHour(ssePollRru);
  const tasks = Math.max(LIVE_HOST.minTasks, Math.ceil(watchers / LIVE_HOST.connectionsPerTask));
  const nlcu = Math.max(
    watchers / LIVE_HOST.nlcuActiveConnections,
    (watchers * one.reconnects) / 3600 / 800,
    (watchers * LIVE_HOST.heartbeatsPerHour * LIVE_HOST.heartbeatWireBytes) / 1024 ** 3,
  );
  const perWatcher = one.total - one.items.fargate - one.items.nlb;
  const hour = tasks * one.taskHour + PRICES.nlbHour + Math.max(1, nlcu) * PRICES.nlcuHour + watchers * perWatcher;
  return { watchers, tasks, nlcu, hour, perWatcherHour: hour / watchers };
}

export function costModel(report: Report, capacity: CapacityResult): void {
  const { lifecycle, consumers } = capacity;
  const requests = lifecycle.requests;
  const commits = requests; // every lifecycle request is one write command, i.e. one commit
  const invocations: Record<string, number> = {
    "http-api": requests,
    authorizer: ASSUMED.authorizerInvocationsPerLifecycle,
    "stream-publisher": commits * ASSUMED.publisherInvocationsPerCommit,
    ...consumers.invocations,
  };
  const durationMs: Record<string, number> = {
    "http-api": (lifecycle.apiMs / requests) * ASSUMED.durationScale,
    authorizer: 0,
    "stream-publisher": ASSUMED.publisherMs,
    ...Object.fromEntries(Object.entries(consumers.ms).map(([k, v]) => [k, v * ASSUMED.durationScale])),
  };
  if (invocations["scheduler-sync"]) {
    durationMs["scheduler-sync"] =
      (durationMs["scheduler-sync"] ?? 0) +
      (consumers.schedulerCalls / invocations["scheduler-sync"]) * ASSUMED.schedulerApiCallMs;
  }
  const totalInvocations = Object.values(invocations).reduce((a, b) => a + b, 0);
  // Billed duration is rounded up to the millisecond, per invocation.
  const gbSeconds = Object.entries(invocations).reduce(
    (s, [fn, n]) => s + n * (Math.ceil(durationMs[fn] ?? 0) / 1000) * ((MEMORY_MB[fn] ?? 256) / 1024),
    0,
  );
  const sampleEvent = { eventId: "evt_01jz0000000000000000000000", projectId: "proj_0123456789" };
  const appLogBytes =
    (invocations["activity-recorder"] ?? 0) *
      logLineBytes({ function: "activity-recorder" }, "activity", {
        ...sampleEvent,
        type: "gathering.member.joined",
        outcome: "recorded",
      }) +
    (invocations["scheduler-sync"] ?? 0) *
      logLineBytes({ function: "scheduler-sync" }, "schedules synced", {
        eventId: sampleEvent.eventId,
        gatheringId: "gth_01jz0000000000000000000000",
        done: [
          ["start", "deleted"],
          ["end", "deleted"],
        ],
      });
  const logBytes =
    totalInvocations * ASSUMED.platformLogBytesPerInvocation +
    appLogBytes +
    requests * ASSUMED.accessLogBytesPerRequest;
  const events = lifecycle.events;

  const lines: Array<{ item: string; quantity: string; unit: string; perMillion: number }> = [
    {
      item: "API Gateway REST requests",
      quantity: fmt(requests, 0),
      unit: "$3.50 / M",
      perMillion: requests * PRICES.apiGatewayRestRequest,
    },
    {
      item: `Lambda requests (${Object.entries(invocations)
        .filter(([, n]) => n > 0)
        .map(([fn, n]) => `${fn} ${fmt(n, 0)}`)
        .join(", ")})`,
      quantity: fmt(totalInvocations, 0),
      unit: "$0.20 / M",
      perMillion: totalInvocations * PRICES.lambdaRequest,
    },
    {
      item: "Lambda compute, arm64 (measured in-process durations; memory as deployed)",
      quantity: `${fmt(gbSeconds, 3)} GB-s`,
      unit: "$0.0000133334 / GB-s",
      perMillion: gbSeconds * PRICES.lambdaGbSecondArm64,
    },
    {
      item: "DynamoDB writes: API commands",
      quantity: `${fmt(lifecycle.wru, 0)} WRU`,
      unit: "$0.625 / M WRU",
      perMillion: lifecycle.wru * PRICES.dynamodbWriteRequestUnit,
    },
    {
      item: "DynamoDB reads: API commands",
      quantity: `${fmt(lifecycle.rru, 1)} RRU`,
      unit: "$0.125 / M RRU",
      perMillion: lifecycle.rru * PRICES.dynamodbReadRequestUnit,
    },
    {
      item: "DynamoDB writes: consumers (activity log)",
      quantity: `${fmt(consumers.wru, 0)} WRU`,
      unit: "$0.625 / M WRU",
      perMillion: consumers.wru * PRICES.dynamodbWriteRequestUnit,
    },
    {
      item: "DynamoDB reads: consumers (webhook lookup, scheduler re-read)",
      quantity: `${fmt(consumers.rru, 1)} RRU`,
      unit: "$0.125 / M RRU",
      perMillion: consumers.rru * PRICES.dynamodbReadRequestUnit,
    },
    {
      item: "EventBridge custom events (PutEvents entries)",
      quantity: fmt(events, 0),
      unit: "$1.00 / M",
      perMillion: events * PRICES.eventBridgeCustomEvent,
    },
    { item: "DynamoDB Streams reads (by the Lambda trigger: free)", quantity: "–", unit: "$0", perMillion: 0 },
    {
      item: `EventBridge Scheduler invocations (lobbies have no schedules; ${fmt(consumers.schedulerCalls, 0)} API calls, not billed)`,
      quantity: "0",
      unit: "$1.00 / M",
      perMillion: 0,
    },
    {
      item: "CloudWatch Logs ingestion (estimate: platform lines, app lines at info, API access log)",
      quantity: `${fmt(logBytes / 1024, 1)} KB`,
      unit: "$0.50 / GB",
      perMillion: (logBytes / 1024 ** 3) * PRICES.cloudWatchLogsIngestionPerGb,
    },
  ];
  const total = lines.reduce((s, l) => s + l.perMillion * LIFECYCLES, 0);
  const sseHour = sseWatcherHour(capacity.ssePollRru);
  const { polls: pollsPerHour, total: sseHourTotal } = sseHour;
  report.data.cost = {
    prices: PRICES,
    memoryMb: MEMORY_MB,
    assumed: ASSUMED,
    perLifecycle: {
      requests,
      invocations,
      durationMs,
      gbSeconds,
      events,
      logBytes,
      rru: lifecycle.rru + consumers.rru,
      wru: lifecycle.wru + consumers.wru,
    },
    lines: lines.map((l) => ({ ...l, perMillionLifecycles: l.perMillion * LIFECYCLES })),
    totalPerMillionLifecycles: total,
    sseWatcherHour: sseHour,
  };
  liveCostTable(report, capacity.ssePollRru, sseHourTotal);
  report.table({
    title: "Cost of 1 million lobby lifecycles on AWS (create, 8 joins, 8 readies, start, end; us-east-1 on-demand)",
    columns: ["item", "per lifecycle", "price", "per 1 M lifecycles"],
    rows: [
      ...lines.map((l) => [l.item, l.quantity, l.unit, `$${(l.perMillion * LIFECYCLES).toFixed(2)}`]),
      ["Total", "", "", `$${total.toFixed(2)}`],
    ],
    notes: [
      `Prices: ${PRICES.asOf}; constants in bench/suites/cost.ts. Measured here: requests, DynamoDB calls and capacity, ` +
        "events, consumer invocations (routed by the shared rules) and in-process durations. Assumed (named in ASSUMED): " +
        `one stream-publisher invocation per commit (an upper bound), PutEvents ${ASSUMED.publisherMs} ms, ` +
        "log line sizes of platform/access logs, no authorizer invocations (cached key), AWS durations ≈ local.",
      "Not included: storage, data transfer, SQS (no webhooks registered), SSE streaming (per connection, not per " +
        `lifecycle), user functions (the example onGatheringMemberReady adds 8 invocations per lifecycle: ~$${(8 * PRICES.lambdaRequest * LIFECYCLES).toFixed(2)} in requests).`,
      `SSE, per connected watcher-hour (separate from the lifecycles): ${pollsPerHour.toLocaleString("en-US")} polls × ` +
        `${fmt(capacity.ssePollRru, 1)} RRU (measured idle poll) = $${sseHour.dynamodb.toFixed(4)} DynamoDB + ` +
        `$${sseHour.lambda.toFixed(4)} Lambda (256 MB held for the hour, ~5 reconnects) + $${sseHour.apiGateway.toFixed(5)} ` +
        `API Gateway = $${sseHourTotal.toFixed(4)} per watcher-hour, whether or not anything happens.`,
    ],
  });
}

/** Issue 14: the live host beside the one-Lambda-per-connection SSE it replaces ("before"). */
function liveCostTable(report: Report, ssePollRru: number, beforeHour: number): void {
  const live = liveWatcherHour(ssePollRru);
  const floor = liveFloorHour();
  const scales = [1_000, 10_000, 100_000].map((w) => liveAtScale(w, ssePollRru));
  const at100k = scales[scales.length - 1]!;
  const event = liveEvent(at100k.tasks);
  const usd = (n: number) => `$${n < 0.001 ? n.toExponential(2) : n.toFixed(4)}`;
  const { items } = live;
  report.data.liveCost = { hostAssumed: LIVE_HOST, watcherHour: live, floorHour: floor, scales, event, beforeHour };
  report.table({
    title: "Cost of live delivery on AWS, per idle watcher-hour: the live host (issue 14) vs one Lambda per connection",
    columns: ["item", "per idle watcher-hour", "how"],
    rows: [
      [
        "before: Lambda response streaming + 50 ms DynamoDB polls",
        usd(beforeHour),
        "(the SSE line of the table above)",
      ],
      [
        "Fargate task share (ARM64, 0.5 vCPU / 1 GB + public IPv4 + idle queue polls)",
        usd(items.fargate),
        `$${live.taskHour.toFixed(4)}/task-h ÷ ${LIVE_HOST.connectionsPerTask.toLocaleString("en-US")} connections`,
      ],
      [
        "API Gateway REST requests (reconnects)",
        usd(items.apiGateway),
        `${fmt(live.reconnects, 1)} per hour (streams end at ${LIVE_HOST.streamMinutes} min) × $3.50 / M`,
      ],
      [
        "Authorizer on reconnect (upper bound: cache missed)",
        usd(items.authorizer),
        "Lambda request + 20 ms at 512 MB",
      ],
      [
        "DynamoDB reads on reconnect (aggregate + catch-up)",
        usd(items.reconnectReads),
        `${LIVE_HOST.reconnectPollEquivalents} × ${fmt(ssePollRru, 1)} RRU (measured idle poll) per reconnect`,
      ],
      [
        "DynamoDB safety poll (worst case: alone on its aggregate and task)",
        usd(items.safetyPoll),
        `every ${LIVE_HOST.safetyPollSeconds} s × ${fmt(ssePollRru, 1)} RRU; shared by an aggregate's watchers on a task`,
      ],
      ["NLB capacity units (active connections)", usd(items.nlb), "$0.006 / NLCU-h ÷ 100,000 connections"],
      [
        "Heartbeat bytes out",
        usd(items.heartbeats),
        `${LIVE_HOST.heartbeatsPerHour} × ${LIVE_HOST.heartbeatWireBytes} B × $0.09 / GB`,
      ],
      ["after: live host, total", usd(live.total), `${fmt(beforeHour / live.total, 0)}× below before (goal ≤ $0.0002)`],
    ],
    notes: [
      `Fixed floor with no watchers: $${floor.toFixed(4)}/h (~$${(floor * 730).toFixed(0)}/month: ${LIVE_HOST.minTasks} tasks, ` +
        "the NLB, the secret and the scaling metric); Lambda SSE has no floor, so below ~" +
        `${fmt(floor / (beforeHour - live.total), 1)} watchers connected around the clock the Lambda path is cheaper.`,
      ...scales.map(
        (s) =>
          `${s.watchers.toLocaleString("en-US")} idle watchers: ${s.tasks} tasks, ${fmt(Math.max(1, s.nlcu), 2)} NLCU, ` +
          `$${s.hour.toFixed(2)}/h = ${usd(s.perWatcherHour)} per watcher-hour (before: $${(s.watchers * beforeHour).toFixed(0)}/h).`,
      ),
      `Per committed event: ${usd(event.fanOut)} to fan it out to ${at100k.tasks} tasks (1 SNS publish + a receive and a delete ` +
        `per task, unbatched: an upper bound; no DynamoDB read) + ${usd(event.perDelivery)} per watcher it reaches ` +
        `(${LIVE_HOST.eventWireBytes} B out). Before: no per-event cost, the polls already paid for it.`,
      "Assumptions are LIVE_HOST in bench/suites/cost.ts; prices as above plus Fargate ARM, NLB, SNS, SQS, IPv4 list prices.",
    ],
  });
}
