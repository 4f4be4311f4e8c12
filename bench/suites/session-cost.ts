import { AUTHORIZER_CACHE_SECONDS, FUNCTIONS } from "../../shared/kernel/config.js";
import { fmt } from "../lib/stats.js";
import type { Report } from "../lib/report.js";
import { ASSUMED, logLineBytes, PRICES, sseWatcherHour } from "./cost.js";
import type { SessionsResult } from "./sessions.js";

/**
 * What one meeting-hour of a transcribed session costs on AWS at on-demand prices, from the figures the
 * sessions suite measured (per message: the post, the sequencer's commit, the consumers; an SSE poll; an
 * idle-deadline firing; schedule writes per idle window) and the memory sizes the stack deploys with
 * (shared/kernel/config.ts FUNCTIONS). What is assumed rather than measured is named below.
 */

/** The meeting priced, and what cannot be measured locally. */
export const MEETING = {
  hours: 1,
  speakers: 5,
  /** One utterance (one message) per speaker every this many seconds: 1,800 messages an hour. */
  utteranceEverySeconds: 10,
  /** People watching the transcript live: one SSE connection each, for the whole hour. */
  watchers: 5,
  /** The transcriber runs outside the stack (a fleet of long-lived workers); only its API calls are priced. */
  bots: 1,
  /** An idleTimeout a product would set; the bench measures writes per window with a short one. */
  idleTimeoutSeconds: 300,
  /**
   * At one message every 2 s per session, each message's stream records arrive alone: one sequencer and one
   * stream-publisher invocation per message. An upper bound: under load a batch holds several.
   */
  sequencerInvocationsPerMessage: 1,
  /** One idle-deadline firing per idle window while people talk (each re-arms the deadline once). */
  idleFiresPerWindow: 1,
  /** The authorizer's duration per invocation (not measured; it hashes the key and does one GetItem). */
  authorizerMs: 20,
} as const;

/** DynamoDB's per-partition-key throughput (on-demand and provisioned alike). */
const PARTITION_WCU_PER_SECOND = 1_000;
const PARTITION_RCU_PER_SECOND = 3_000;
/** Default account/region quotas (us-east-1), raisable on request except where noted. */
const QUOTAS = {
  lambdaConcurrency: 1_000,
  apiGatewayAccountRps: 10_000,
  eventBridgePutEventsPerSecond: 10_000,
  /** DynamoDB Streams: at most two readers per shard at once (a third is throttled). Not a quota. */
  streamReadersPerShard: 2,
};
/** infra/constructs/api.ts: the stage throttle the stack deploys with unless `throttle` is given. */
const STAGE_THROTTLE = { rateLimit: 100, burstLimit: 200 };
/** functions/sse.ts: SSE_MAX_DURATION_SECONDS ends a stream after 14 minutes; the client reconnects. */
const SSE_RECONNECTS_PER_HOUR = 5;
const MEETINGS_AT_ONCE = 100;

export function sessionCostModel(report: Report, measured: SessionsResult): void {
  const { perMessage, idleFire } = measured;
  const messages = (MEETING.hours * 3600 * MEETING.speakers) / MEETING.utteranceEverySeconds;
  const windows = (MEETING.hours * 3600) / MEETING.idleTimeoutSeconds;
  const fires = windows * MEETING.idleFiresPerWindow;
  // The lifecycle's writes (measured on a silent session), and what each further window of talk adds.
  const scheduleWrites =
    measured.idle.lifecycleWrites +
    Math.max(0, windows - measured.idle.lifecycleWindows) * measured.idle.writesPerTalkWindow;
  const consumers = perMessage.consumers;

  const invocations: Record<string, number> = {
    "http-api": messages,
    "message-sequencer": messages * MEETING.sequencerInvocationsPerMessage,
    // One commit per message, so one publisher invocation per event.
    "stream-publisher": messages * MEETING.sequencerInvocationsPerMessage * ASSUMED.publisherInvocationsPerCommit,
    ...Object.fromEntries(Object.keys(consumers).map((fn) => [fn, messages])),
    "scheduler-target": fires,
    // The bot's key, once per cache period (API Gateway caches the authorizer's answer per key).
    authorizer: (MEETING.bots * MEETING.hours * 3600) / AUTHORIZER_CACHE_SECONDS,
  };
  const durationMs: Record<string, number> = {
    // The HTTP latency of a post (local gateway, authorizer cache, handler, DynamoDB Local): an upper bound.
    "http-api": measured.pacedPost.p50,
    "message-sequencer": perMessage.sequencer.ms * ASSUMED.durationScale,
    "stream-publisher": ASSUMED.publisherMs,
    ...Object.fromEntries(Object.entries(consumers).map(([fn, c]) => [fn, c.ms * ASSUMED.durationScale])),
    "scheduler-target": idleFire.ms * ASSUMED.durationScale + idleFire.schedulerCalls * ASSUMED.schedulerApiCallMs,
    authorizer: MEETING.authorizerMs,
  };
  const memoryMb = (fn: string) => FUNCTIONS[fn as keyof typeof FUNCTIONS]?.memoryMb ?? 256;
  const totalInvocations = Object.values(invocations).reduce((a, b) => a + b, 0);
  // Billed duration is rounded up to the millisecond, per invocation.
  const gbSeconds = Object.entries(invocations).reduce(
    (s, [fn, n]) => s + n * (Math.ceil(durationMs[fn] ?? 0) / 1000) * (memoryMb(fn) / 1024),
    0,
  );
  const consumerWru = Object.values(consumers).reduce((n, c) => n + c.wru, 0);
  const consumerRru = Object.values(consumers).reduce((n, c) => n + c.rru, 0);
  const wru = {
    post: messages * perMessage.post.wru,
    sequencer: messages * perMessage.sequencer.wru,
    consumers: messages * consumerWru,
  };
  const rru = messages * (perMessage.post.rru + perMessage.sequencer.rru + consumerRru) + fires * idleFire.rru;
  const events = messages;
  const sample = { eventId: "evt_01jz0000000000000000000000", projectId: "proj_0123456789" };
  const appLogBytes =
    invocations["message-sequencer"]! *
      logLineBytes({ function: "message-sequencer" }, "sequenced", {
        sessions: 1,
        sequenced: 1,
        skipped: 0,
        dropped: 0,
        failed: 0,
      }) +
    (invocations["activity-recorder"] ?? 0) *
      logLineBytes({ function: "activity-recorder" }, "activity", {
        ...sample,
        type: "message.created",
        outcome: "recorded",
      });
  const logBytes =
    totalInvocations * ASSUMED.platformLogBytesPerInvocation +
    appLogBytes +
    messages * ASSUMED.accessLogBytesPerRequest;
  // The latency suite's figure when it ran (a gathering's poll), else this suite's (a session's poll).
  const fromCost = (report.data.cost as { sseWatcherHour?: ReturnType<typeof sseWatcherHour> } | undefined)
    ?.sseWatcherHour;
  const sseHour = fromCost ?? sseWatcherHour(measured.ssePollRru);

  const lines: Array<{ item: string; quantity: string; unit: string; perHour: number }> = [
    {
      item: "API Gateway REST requests (message posts)",
      quantity: fmt(messages, 0),
      unit: "$3.50 / M",
      perHour: messages * PRICES.apiGatewayRestRequest,
    },
    {
      item: `Lambda requests (${Object.entries(invocations)
        .map(([fn, n]) => `${fn} ${fmt(n, 0)}`)
        .join(", ")})`,
      quantity: fmt(totalInvocations, 0),
      unit: "$0.20 / M",
      perHour: totalInvocations * PRICES.lambdaRequest,
    },
    {
      item:
        `Lambda compute, arm64 (${Object.entries(durationMs)
          .map(([fn, ms]) => `${fn} ${fmt(ms, 0)} ms`)
          .join(", ")}; ` + "memory as deployed)",
      quantity: `${fmt(gbSeconds, 1)} GB-s`,
      unit: "$0.0000133334 / GB-s",
      perHour: gbSeconds * PRICES.lambdaGbSecondArm64,
    },
    {
      item: `DynamoDB writes: posts (message + id marker, transactional; ${fmt(perMessage.post.wru, 0)} WRU each)`,
      quantity: `${fmt(wru.post, 0)} WRU`,
      unit: "$0.625 / M WRU",
      perHour: wru.post * PRICES.dynamodbWriteRequestUnit,
    },
    {
      item: `DynamoDB writes: sequencer commits (root + event + stamp, one per message; ${fmt(perMessage.sequencer.wru, 0)} WRU each)`,
      quantity: `${fmt(wru.sequencer, 0)} WRU`,
      unit: "$0.625 / M WRU",
      perHour: wru.sequencer * PRICES.dynamodbWriteRequestUnit,
    },
    {
      item: `DynamoDB writes: consumers (activity log; ${fmt(consumerWru, 0)} WRU per message)`,
      quantity: `${fmt(wru.consumers, 0)} WRU`,
      unit: "$0.625 / M WRU",
      perHour: wru.consumers * PRICES.dynamodbWriteRequestUnit,
    },
    {
      item: "DynamoDB reads: post, sequencer, webhook lookup, idle-deadline firings",
      quantity: `${fmt(rru, 0)} RRU`,
      unit: "$0.125 / M RRU",
      perHour: rru * PRICES.dynamodbReadRequestUnit,
    },
    {
      item: "EventBridge custom events (one message.created per message)",
      quantity: fmt(events, 0),
      unit: "$1.00 / M",
      perHour: events * PRICES.eventBridgeCustomEvent,
    },
    {
      item:
        `EventBridge Scheduler invocations (idle deadline, idleTimeout ${MEETING.idleTimeoutSeconds} s; ` +
        `${fmt(scheduleWrites, 0)} schedule write requests, not billed)`,
      quantity: fmt(fires, 0),
      unit: "$1.00 / M",
      perHour: fires * PRICES.eventBridgeSchedulerInvocation,
    },
    {
      item: `SSE: ${MEETING.watchers} watchers connected for the hour (polls, Lambda held, reconnects)`,
      quantity: `${MEETING.watchers} watcher-hours`,
      unit: `$${sseHour.total.toFixed(4)} / watcher-hour`,
      perHour: MEETING.watchers * sseHour.total,
    },
    { item: "DynamoDB Streams reads (by the Lambda triggers: free)", quantity: "–", unit: "$0", perHour: 0 },
    {
      item: "CloudWatch Logs ingestion (estimate: platform lines, app lines at info, API access log)",
      quantity: `${fmt(logBytes / 1024, 0)} KB`,
      unit: "$0.50 / GB",
      perHour: (logBytes / 1024 ** 3) * PRICES.cloudWatchLogsIngestionPerGb,
    },
  ];
  const total = lines.reduce((s, l) => s + l.perHour, 0);
  const sseShare = (MEETING.watchers * sseHour.total) / total;

  // ── 100 meetings at once: what grows, and the first walls ──────────────────────────────────────────
  const perSecond = messages / (MEETING.hours * 3600);
  const n = MEETINGS_AT_ONCE;
  const sessionWruSingle = perMessage.post.wru + perMessage.sequencer.wru;
  const sessionWruBatched = perMessage.post.wru + perMessage.sequencerMarginalWru;
  const activityWru = consumers["activity-recorder"]?.wru ?? 0;
  const apiRps = perSecond + (MEETING.watchers * SSE_RECONNECTS_PER_HOUR) / 3600;
  const concurrency = {
    sse: MEETING.watchers,
    rest:
      perSecond *
      ((durationMs["http-api"]! +
        durationMs["message-sequencer"]! +
        durationMs["stream-publisher"]! +
        Object.keys(consumers).reduce((s, fn) => s + durationMs[fn]!, 0)) /
        1000),
  };
  const pct = (used: number, limit: number) => `${fmt((100 * used) / limit, 0)}%`;
  const scale: Array<[string, string, string, string, string]> = [
    [
      "API requests/s (posts; SSE reconnects)",
      fmt(apiRps, 2),
      fmt(n * apiRps, 0),
      `stage throttle ${STAGE_THROTTLE.rateLimit} rps (burst ${STAGE_THROTTLE.burstLimit}); account ${QUOTAS.apiGatewayAccountRps.toLocaleString("en-US")} rps`,
      `${pct(n * apiRps, STAGE_THROTTLE.rateLimit)} of the stage throttle: ~${fmt(STAGE_THROTTLE.rateLimit / apiRps, 0)} meetings`,
    ],
    [
      "Lambda concurrent executions (SSE watchers hold one each; the rest ≈ rate × duration)",
      fmt(concurrency.sse + concurrency.rest, 1),
      fmt(n * (concurrency.sse + concurrency.rest), 0),
      `${QUOTAS.lambdaConcurrency.toLocaleString("en-US")} per account and region (default)`,
      `${pct(n * (concurrency.sse + concurrency.rest), QUOTAS.lambdaConcurrency)}: ~${fmt(QUOTAS.lambdaConcurrency / (concurrency.sse + concurrency.rest), 0)} meetings`,
    ],
    [
      "WCU/s on one session's partition (post + commit)",
      fmt(perSecond * sessionWruSingle, 0),
      `${fmt(perSecond * sessionWruSingle, 0)} (per session: unchanged)`,
      `${PARTITION_WCU_PER_SECOND.toLocaleString("en-US")} WCU/s per partition key`,
      `one session: ≤ ${fmt(PARTITION_WCU_PER_SECOND / sessionWruSingle, 0)} messages/s committed one by one, ≤ ${fmt(PARTITION_WCU_PER_SECOND / sessionWruBatched, 0)} batched`,
    ],
    [
      `RCU/s on one session's partition (${MEETING.watchers} SSE watchers polling)`,
      fmt(MEETING.watchers * (sseHour.rru / 3600), 0),
      `${fmt(MEETING.watchers * (sseHour.rru / 3600), 0)} (per session: unchanged)`,
      `${PARTITION_RCU_PER_SECOND.toLocaleString("en-US")} RCU/s per partition key`,
      `~${fmt(PARTITION_RCU_PER_SECOND / (sseHour.rru / 3600), 0)} watchers per session`,
    ],
    [
      "WCU/s on the project's activity log (one partition key per project)",
      fmt(perSecond * activityWru, 1),
      fmt(n * perSecond * activityWru, 0),
      `${PARTITION_WCU_PER_SECOND.toLocaleString("en-US")} WCU/s per partition key`,
      `${pct(n * perSecond * activityWru, PARTITION_WCU_PER_SECOND)}: ~${fmt(PARTITION_WCU_PER_SECOND / (perSecond * activityWru), 0)} meetings per project`,
    ],
    [
      "EventBridge PutEvents entries/s",
      fmt(perSecond, 1),
      fmt(n * perSecond, 0),
      `${QUOTAS.eventBridgePutEventsPerSecond.toLocaleString("en-US")}/s (us-east-1)`,
      pct(n * perSecond, QUOTAS.eventBridgePutEventsPerSecond),
    ],
    [
      "Sequencer / stream publisher concurrency",
      "1 each",
      "1 each per stream shard",
      `parallelization factor 1; ${QUOTAS.streamReadersPerShard} readers per shard at most`,
      "grows with the table's shards, not with meetings",
    ],
  ];

  report.data.sessionCost = {
    meeting: MEETING,
    perMeetingHour: { messages, invocations, durationMs, gbSeconds, wru, rru, events, fires, scheduleWrites, logBytes },
    sseWatcherHour: { ...sseHour, source: fromCost ? "cost suite (gathering poll)" : "sessions suite (session poll)" },
    lines: lines.map((l) => ({ ...l, perThousand: l.perHour * 1000 })),
    totalPerMeetingHour: total,
    totalPerThousandMeetingHours: total * 1000,
    atOnce: { meetings: n, rows: scale },
  };
  report.table({
    title:
      `Cost per meeting-hour on AWS (${MEETING.speakers} speakers, an utterance every ${MEETING.utteranceEverySeconds} s each = ` +
      `${fmt(messages, 0)} messages; ${MEETING.watchers} SSE watchers; ${MEETING.bots} bot; us-east-1 on-demand)`,
    columns: ["item", "per meeting-hour", "price", "$ per meeting-hour", "$ per 1,000 meeting-hours"],
    rows: [
      ...lines.map((l) => [
        l.item,
        l.quantity,
        l.unit,
        `$${l.perHour.toFixed(4)}`,
        `$${(l.perHour * 1000).toFixed(2)}`,
      ]),
      ["Total", "", "", `$${total.toFixed(4)}`, `$${(total * 1000).toFixed(2)}`],
    ],
    notes: [
      `Prices: ${PRICES.asOf}; constants in bench/suites/cost.ts, the meeting and what is assumed in MEETING ` +
        "(bench/suites/session-cost.ts). Measured in this run: per message the post's, the sequencer's and the " +
        "consumers' DynamoDB calls, capacity and in-process time (the consumers are those the shared rules route " +
        "message.created to: activity, webhooks; scheduler-sync does not hear it), the HTTP post latency (taken as " +
        "http-api's duration: an upper bound), an SSE poll, an idle-deadline firing and schedule writes per idle window.",
      `Assumed: one sequencer and one publisher invocation per message (at 1 message / 2 s per session; an upper ` +
        `bound), PutEvents ${ASSUMED.publisherMs} ms, one idle-deadline firing per ${MEETING.idleTimeoutSeconds}-s window, ` +
        `the bot's key authorized once per ${AUTHORIZER_CACHE_SECONDS} s (${MEETING.authorizerMs} ms), log line sizes. ` +
        `Schedule write requests = a silent session's lifecycle (${fmt(measured.idle.lifecycleWrites, 0)}) + ` +
        `${fmt(measured.idle.writesPerTalkWindow, 2)} per further window of talk (both measured with a 2-s idleTimeout); ` +
        "Scheduler API calls are not billed.",
      `SSE is ${fmt(100 * sseShare, 0)}% of the total: ${MEETING.watchers} × $${sseHour.total.toFixed(4)} per watcher-hour ` +
        `(${fromCost ? "the cost suite's figure" : "this suite's poll, cost.ts's formula"}: 72,000 polls, a Lambda ` +
        "held for the hour, reconnects). Not included: storage (messages and events are kept; events expire), " +
        "data transfer, the bot fleet itself, the session's own lifecycle (create, bot reports, stop: a handful " +
        "of requests and events per meeting), webhooks (none registered), user functions.",
    ],
  });
  report.table({
    title: `Cost at scale: ${n} such meetings at once (${fmt(n * perSecond, 0)} messages/s) — what grows and where the limits are`,
    columns: ["resource", "1 meeting", `${n} meetings`, "limit", "headroom"],
    rows: scale,
    notes: [
      `Cost grows linearly: ${n} meetings for an hour = $${(n * total).toFixed(2)}. What does not grow per meeting is ` +
        "a session's partition: its write rate bounds one session, not the fleet (one commit per message is the " +
        "worst case; the sequencer batches a busy session's messages, sharing the root write).",
      `First walls at this rate: the stack's stage throttle (${STAGE_THROTTLE.rateLimit} rps, infra/constructs/api.ts; ` +
        "raise it with the Api construct's `throttle`), then Lambda concurrency, which SSE watchers use up (each holds " +
        "an invocation for up to 14 minutes) — both are settings or quota requests, not code. The activity log is one " +
        "partition key per project: busy projects would need it sharded.",
      "The sequencer and the stream publisher read the same table stream with parallelization factor 1: each runs at " +
        "most one invocation per shard, and a shard's records are handled in order. They are the two readers DynamoDB " +
        "Streams allows per shard; a third stream consumer would be throttled (it would need a fan-out, e.g. Kinesis).",
    ],
  });
}
