import { startDynamoDbLocal } from "../../local/dynamodb/server.js";
import { ensureTable } from "../../local/dynamodb/table.js";
import { matchesPattern } from "../../local/eventbridge/pattern.js";
import { sdkDynamoDbCalls } from "../../shared/adapters/aws/dynamodb-sdk-calls.js";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { recordActivity } from "../../shared/consumers/activity.js";
import { fanOut } from "../../shared/consumers/webhooks/service.js";
import type { MeetingMessage } from "../../shared/domain/plugins/engines.js";
import { localEngines } from "../../shared/domain/plugins/local-engines.js";
import type { PluginId } from "../../shared/domain/plugins/model.js";
import { runPlugin, type PluginDeps, type PluginRecord } from "../../shared/domain/plugins/runner.js";
import { messageItem } from "../../shared/domain/sessions/messages.js";
import type { Message } from "../../shared/domain/sessions/model.js";
import { sequenceMessages } from "../../shared/domain/sessions/sequencer.js";
import { CONSUMERS, RULES } from "../../shared/events/rules.js";
import { systemClock } from "../../shared/kernel/clock.js";
import { EventEnvelopeSchema, EVENT_SOURCE, type EventEnvelope } from "../../shared/kernel/envelope.js";
import type { Principal } from "../../shared/kernel/tenancy.js";
import {
  aggregatePk,
  eventRangeAfter,
  MESSAGE_ANNOTATION_SK_PREFIX,
  MESSAGE_SK_PREFIX,
} from "../../shared/store/keys.js";
import {
  ALICE_COMMITMENT,
  CLEAN,
  NEGATIVE,
  POSITIVE,
  PROFANE,
  REQUEST,
  YESTERDAY,
} from "../../test/fixtures/meeting.js";
import { inProcessApiDeps, inProcessCaller } from "../lib/api-deps.js";
import { localDynamo, Meter, shortName, type MeteredCall } from "../lib/dynamo.js";
import { BenchHttp, expectStatus } from "../lib/http.js";
import { runWorkers, sleep, until } from "../lib/pool.js";
import { progress, type Report } from "../lib/report.js";
import { devScope } from "../lib/runtime.js";
import { gapless, watchSse, type SseWatch } from "../lib/sse.js";
import { fmt, median, round, summarize, type Summary } from "../lib/stats.js";

/**
 * Plugins: what the annotation path adds to a meeting. (1) Latency, paced: utterances posted through the
 * bot API while an SSE watcher of the session records each `message.created` and each
 * `message.annotation.created` (sentiment on every line, profanity on the profane ones): message.created →
 * annotation and post → annotation, per plugin. (2) Throughput: a 1,000-message meeting (5 speakers
 * posting at once, as the sessions suite does) — annotations/s per message plugin, the backlog's drain
 * after the last post, then the session stopped and the time until its summary, action items and sentiment
 * roll-up arrive; every annotation once per message and plugin, versions gapless. (3) In-process, over a
 * metered DynamoDB client: a plugin batch's calls, capacity and time (batch of 1 and of 10), the sequencer's
 * commit of annotations, the consumers annotation events reach, and the session plugins over an
 * 1,800-utterance meeting — the measured inputs of the cost per meeting-hour (plugin-cost.ts).
 */
export interface PluginsOptions {
  apiUrl: string;
  apiKey: string;
  botKey: string;
  dynamodbEndpoint: string;
  projectId: string;
  latency: { messages: number; pauseMs: number };
  throughput: { speakers: number; perSpeaker: number; drainTimeoutMs: number };
  inProcess: { batches: number; batchSize: number; meetingUtterances: number };
}

export interface BatchCost {
  calls: string[];
  rru: number;
  wru: number;
  ms: number;
  /** The engine's own share of `ms` (measured apart, on the same texts). */
  engineMs: number;
  annotated: number;
}

export interface SessionPluginCost {
  calls: string[];
  rru: number;
  wru: number;
  ms: number;
  engineMs: number;
}

export interface PluginsResult {
  /** The bench's line mix: share of profane lines, mean characters, Comprehend toxicity segments per line. */
  mix: { lines: MeetingMessage[]; profaneShare: number; meanChars: number };
  perBatch: Record<"sentiment" | "profanity", { one: BatchCost; full: BatchCost; batchSize: number }>;
  /** The sequencer's commit of annotations: one alone, and what one more adds to a commit of several. */
  annotationCommit: { single: { wru: number; rru: number; ms: number }; marginalWru: number };
  /** Consumers the shared rules route message.annotation.created to, per event. */
  annotationConsumers: Record<string, { wru: number; rru: number; ms: number }>;
  /** The session plugins at the end of an N-utterance meeting (local engines). */
  sessionPlugins: { utterances: number; transcript: MeetingMessage[] } & Record<
    "summary" | "action_items" | "sentiment",
    SessionPluginCost
  >;
}

interface SessionBody {
  id: string;
  version: number;
  bot: { state: string; commandId?: string };
}

/**
 * The line mix, ten lines a cycle: the acceptance meeting's clean, profane, positive and negative lines
 * (test/fixtures/meeting.ts) and a few more of each. The cycle ends on a profane line, so each speaker's
 * last utterance is one, and the last profanity annotation marks the end of the profanity backlog.
 */
const MIX: ReadonlyArray<{ content: string; profane: boolean }> = [
  { content: CLEAN.content, profane: false },
  { content: YESTERDAY.content, profane: false },
  { content: POSITIVE.content, profane: false },
  { content: PROFANE.content, profane: true },
  { content: NEGATIVE.content, profane: false },
  { content: ALICE_COMMITMENT.content, profane: false },
  {
    content: "Great work on the dashboard, the charts look really clean and the team is happy with it.",
    profane: false,
  },
  { content: REQUEST.content, profane: false },
  {
    content: "I'm worried about the deadline, the vendor keeps missing dates and it is frustrating.",
    profane: false,
  },
  { content: "Honestly the flaky integration suite is bullshit, it failed three times this morning.", profane: true },
];

const lineOf = (n: number) => MIX[n % MIX.length]!;
const SCRATCH_TABLE = "cortex-bench-plugins";

export async function pluginsSuite(report: Report, options: PluginsOptions): Promise<PluginsResult> {
  const api = new BenchHttp(options.apiUrl, options.apiKey);
  const bot = new BenchHttp(options.apiUrl, options.botKey);
  try {
    const latency = await pacedLatency(report, options, api, bot);
    const throughput = await meetingThroughput(report, options, api, bot);
    report.table({
      title: `Plugins: message.created → annotation at an SSE watcher, and a ${options.throughput.speakers * options.throughput.perSpeaker}-message meeting (local engines)`,
      columns: ["measure", "value"],
      rows: [...latency.rows, ...throughput.rows],
      notes: [
        `Paced: one utterance every ~${options.latency.pauseMs} ms through the bot API (the line mix cycles clean, ` +
          "positive, negative and profane lines: 2 of 10 profane); an SSE watcher opened first records when each " +
          "message.created and each message.annotation.created arrives (by message id and plugin). Each annotation " +
          "crosses: the message's commit → stream → publisher → local EventBridge → the plugin's queue → its " +
          "consumer (one batch at a time per queue, polled every 100 ms when idle) → the annotation's insert → " +
          "stream → the sequencer's commit → the SSE function's next poll (50 ms).",
        `Meeting: ${options.throughput.speakers} speakers each post ${options.throughput.perSpeaker} utterances one ` +
          "after another (as the sessions suite posts); annotations/s = annotations at the watcher / time from the " +
          "first post to the last annotation of that plugin; drain = last annotation − last post. Profanity " +
          "annotates only profane lines; its consumer checks every line, and each speaker's last line is profane, " +
          "so 'messages checked/s' is the meeting's lines / time to its last profanity annotation. Then the " +
          "session is stopped: end → the session annotations (summary, action items, the sentiment roll-up).",
        "Locally each plugin queue has one consumer taking at most 10 messages a batch, one batch at a time, and " +
          "every function, DynamoDB Local and the bench share two cores; on AWS the event-source mapping runs " +
          "batches concurrently. The machine is shared with other work: expect noise between runs.",
      ],
    });
    // The in-process costs run on a DynamoDB Local of their own: by this point of a full run the runtime's
    // holds every earlier suite's items and streams, which made this part several times slower.
    progress("plugins: in-process costs (a DynamoDB Local of their own; a 1,800-utterance meeting)…");
    const scratch = await startDynamoDbLocal();
    try {
      return await inProcessCosts(report, { ...options, dynamodbEndpoint: scratch.endpoint });
    } finally {
      await scratch.stop();
    }
  } finally {
    api.close();
    bot.close();
  }
}

// ── Helpers ────────────────────────────────────────────────────────────────────────────────────────────

function sessionPath(projectId: string, id?: string) {
  return `/v1/projects/${projectId}/sessions${id ? `/${id}` : ""}`;
}

async function openSession(options: PluginsOptions, api: BenchHttp, bot: BenchHttp, title: string) {
  const created = expectStatus(
    await api.request<SessionBody>("POST", sessionPath(options.projectId), {
      title,
      externalRoomId: `bench-room-${title}`,
    }),
    201,
    "create session",
  ).body;
  expectStatus(
    await bot.request("POST", `${sessionPath(options.projectId, created.id)}/bot`, {
      state: "in_room",
      commandId: created.bot.commandId,
    }),
    200,
    "bot in_room",
  );
  return created;
}

function utterance(speaker: number, line: number, id: string) {
  return {
    id,
    senderName: `Speaker ${speaker}`,
    peerId: `peer-${speaker}`,
    content: lineOf(line).content,
    timestamp: new Date().toISOString(),
  };
}

/** An SSE watcher of a session: message.created and annotations by (message, plugin), first arrival. */
interface PluginWatch {
  watch: SseWatch;
  versions: Set<number>;
  duplicateVersions: number;
  created: Map<string, number>;
  annotations: Map<string, number>;
  /** Annotations of the same message by the same plugin seen twice (under different versions). */
  duplicateAnnotations: number;
  sessionAnnotations: Map<string, number>;
  duplicateSessionAnnotations: number;
}

const annotationKey = (messageId: string, pluginId: string) => `${messageId}/${pluginId}`;

async function watchPlugins(options: PluginsOptions, sessionId: string): Promise<PluginWatch> {
  const state: Omit<PluginWatch, "watch"> = {
    versions: new Set(),
    duplicateVersions: 0,
    created: new Map(),
    annotations: new Map(),
    duplicateAnnotations: 0,
    sessionAnnotations: new Map(),
    duplicateSessionAnnotations: 0,
  };
  const watch = await watchSse(
    `${options.apiUrl}${sessionPath(options.projectId, sessionId)}/events?after=0`,
    options.apiKey,
    (event) => {
      if (event.id === undefined) return; // a control event (heartbeat, reset)
      const version = Number(event.id);
      if (state.versions.has(version)) {
        state.duplicateVersions++;
        return;
      }
      state.versions.add(version);
      const envelope = JSON.parse(event.data) as EventEnvelope;
      if (event.event === "message.created") {
        state.created.set((envelope.data as { message: { id: string } }).message.id, event.at);
      } else if (event.event === "message.annotation.created") {
        const { messageId, pluginId } = (envelope.data as { annotation: { messageId: string; pluginId: string } })
          .annotation;
        const key = annotationKey(messageId, pluginId);
        if (state.annotations.has(key)) state.duplicateAnnotations++;
        else state.annotations.set(key, event.at);
      } else if (event.event === "session.annotation.created") {
        const { type, trigger } = (envelope.data as { annotation: { type: string; trigger: { kind: string } } })
          .annotation;
        const key = `${type}/${trigger.kind}`;
        if (state.sessionAnnotations.has(key)) state.duplicateSessionAnnotations++;
        else state.sessionAnnotations.set(key, event.at);
      }
    },
  );
  return { watch, ...state };
}

function checkWatch(report: Report, what: string, watch: PluginWatch): void {
  report.check(watch.duplicateVersions === 0, `plugins: ${what}: ${watch.duplicateVersions} duplicate event versions`);
  report.check(
    watch.duplicateAnnotations === 0,
    `plugins: ${what}: ${watch.duplicateAnnotations} duplicate annotations (same message and plugin twice)`,
  );
  report.check(
    watch.duplicateSessionAnnotations === 0,
    `plugins: ${what}: ${watch.duplicateSessionAnnotations} duplicate session annotations`,
  );
  report.check(gapless(watch.versions), `plugins: ${what}: the session's event versions have gaps`);
}

type Rows = Array<[string, string]>;
const p50p99 = (s: Summary, digits = 0) => `${fmt(s.p50, digits)} / ${fmt(s.p99, digits)}`;

function rounded(summary: Summary): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, round(v)]));
}

// ── 1. message.created → annotation, paced ────────────────────────────────────────────────────────────

async function pacedLatency(report: Report, options: PluginsOptions, api: BenchHttp, bot: BenchHttp) {
  const session = await openSession(options, api, bot, "plugins-paced");
  const watch = await watchPlugins(options, session.id);
  report.check(watch.watch.status === 200, `plugins: SSE answered ${watch.watch.status}`);
  const posts = new Map<string, { at: number; profane: boolean }>();
  for (let i = 0; i < options.latency.messages; i++) {
    const id = `paced-${i}`;
    const posted = expectStatus(
      await bot.request("POST", `${sessionPath(options.projectId, session.id)}/messages`, utterance(0, i, id)),
      201,
      "post message",
    );
    posts.set(id, { at: posted.at, profane: lineOf(i).profane });
    await sleep(options.latency.pauseMs);
  }
  const expected = [...posts].flatMap(([id, p]) => [
    annotationKey(id, "sentiment"),
    ...(p.profane ? [annotationKey(id, "profanity")] : []),
  ]);
  await until(() => expected.every((k) => watch.annotations.has(k)), 60_000);
  await sleep(500); // a late, unexpected annotation (a clean line flagged) would arrive by now
  watch.watch.close();

  const series = { createdToSentiment: [], createdToProfanity: [], postToSentiment: [], postToProfanity: [] } as Record<
    "createdToSentiment" | "createdToProfanity" | "postToSentiment" | "postToProfanity",
    number[]
  >;
  const postToCreated: number[] = [];
  for (const [id, post] of posts) {
    const created = watch.created.get(id);
    if (created !== undefined) postToCreated.push(created - post.at);
    const sentiment = watch.annotations.get(annotationKey(id, "sentiment"));
    const profanity = watch.annotations.get(annotationKey(id, "profanity"));
    if (sentiment !== undefined) {
      series.postToSentiment.push(sentiment - post.at);
      if (created !== undefined) series.createdToSentiment.push(sentiment - created);
    }
    if (profanity !== undefined) {
      series.postToProfanity.push(profanity - post.at);
      if (created !== undefined) series.createdToProfanity.push(profanity - created);
    }
  }
  const missing = expected.filter((k) => !watch.annotations.has(k)).length;
  const unexpected = [...watch.annotations.keys()].filter((k) => !expected.includes(k)).length;
  report.check(missing === 0, `plugins: paced: ${missing} of ${expected.length} annotations never reached the watcher`);
  if (unexpected > 0) report.warn(`plugins: paced: ${unexpected} annotations on lines not scripted as profane`);
  checkWatch(report, "paced", watch);

  const s = Object.fromEntries(Object.entries(series).map(([k, v]) => [k, summarize(v)])) as Record<
    keyof typeof series,
    Summary
  >;
  const created = summarize(postToCreated);
  progress(
    `plugins: message.created → sentiment p50 ${fmt(s.createdToSentiment.p50, 0)} ms, p99 ${fmt(s.createdToSentiment.p99, 0)} ms; ` +
      `→ profanity p50 ${fmt(s.createdToProfanity.p50, 0)} ms, p99 ${fmt(s.createdToProfanity.p99, 0)} ms`,
  );
  report.data.plugins = {
    paced: {
      messages: posts.size,
      pauseMs: options.latency.pauseMs,
      postToCreated: rounded(created),
      ...Object.fromEntries(Object.entries(s).map(([k, v]) => [k, rounded(v)])),
      missing,
      unexpected,
    },
  };
  const rows: Rows = [
    [
      `paced (${posts.size} utterances, ${options.latency.pauseMs} ms apart): post → message.created p50 / p99 ms`,
      p50p99(created),
    ],
    [
      `  message.created → sentiment annotation p50 / p99 ms (n=${s.createdToSentiment.n})`,
      p50p99(s.createdToSentiment),
    ],
    [
      `  message.created → profanity annotation p50 / p99 ms (n=${s.createdToProfanity.n})`,
      p50p99(s.createdToProfanity),
    ],
    ["  post → sentiment annotation p50 / p99 ms", p50p99(s.postToSentiment)],
    ["  post → profanity annotation p50 / p99 ms", p50p99(s.postToProfanity)],
    [
      "  annotations at the watcher: missing, unexpected, duplicates; versions",
      `${missing}, ${unexpected}, ${watch.duplicateAnnotations}; ${gapless(watch.versions) ? "gapless" : "WITH GAPS"}`,
    ],
  ];
  return { rows };
}

// ── 2. A 1,000-message meeting: throughput, drain, end → minutes ───────────────────────────────────────

async function meetingThroughput(report: Report, options: PluginsOptions, api: BenchHttp, bot: BenchHttp) {
  const { speakers, perSpeaker, drainTimeoutMs } = options.throughput;
  const session = await openSession(options, api, bot, "plugins-meeting");
  const watch = await watchPlugins(options, session.id);
  report.check(watch.watch.status === 200, `plugins: SSE answered ${watch.watch.status}`);
  const posted = new Map<string, boolean>();
  const errors: string[] = [];
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: speakers }, async (_, speaker) => {
      for (let line = 0; line < perSpeaker; line++) {
        const id = `s${speaker}-l${line}`;
        try {
          const result = await bot.request(
            "POST",
            `${sessionPath(options.projectId, session.id)}/messages`,
            utterance(speaker, line, id),
          );
          if (result.status === 201) posted.set(id, lineOf(line).profane);
          else errors.push(`${result.status} ${JSON.stringify(result.body).slice(0, 300)}`);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    }),
  );
  const postsDoneAt = Date.now();
  const total = speakers * perSpeaker;
  progress(
    `plugins: ${posted.size}/${total} utterances posted in ${fmt((postsDoneAt - t0) / 1000, 1)} s; waiting for the annotations…`,
  );
  const sentimentKeys = [...posted.keys()].map((id) => annotationKey(id, "sentiment"));
  const profanityKeys = [...posted].filter(([, profane]) => profane).map(([id]) => annotationKey(id, "profanity"));
  const drained = await until(
    () => [...sentimentKeys, ...profanityKeys].every((k) => watch.annotations.has(k)),
    drainTimeoutMs,
  );
  const drainedAt = Date.now();
  report.check(errors.length === 0, `plugins: ${errors.length} of ${total} posts failed (first: ${errors[0] ?? "–"})`);
  report.check(
    drained,
    `plugins: not every annotation of the meeting reached the watcher within ${drainTimeoutMs / 1000} s`,
  );

  // The end of the meeting: stop, then the session plugins' annotations.
  const stopped = expectStatus(
    await api.request("POST", `${sessionPath(options.projectId, session.id)}/stop`),
    202,
    "stop session",
  );
  const endKeys = ["summary/session.ended", "action_items/session.ended", "sentiment/session.ended"];
  await until(() => endKeys.every((k) => watch.sessionAnnotations.has(k)), 60_000);
  await sleep(500);
  watch.watch.close();

  const at = (keys: string[]) => keys.map((k) => watch.annotations.get(k)).filter((v): v is number => v !== undefined);
  const sentimentAt = at(sentimentKeys);
  const profanityAt = at(profanityKeys);
  const lastSentiment = Math.max(...sentimentAt);
  const lastProfanity = Math.max(...profanityAt);
  const lastCreated = Math.max(...watch.created.values());
  const seconds = (ms: number) => ms / 1000;
  const sentimentRate = sentimentAt.length / seconds(lastSentiment - t0);
  const profanityRate = profanityAt.length / seconds(lastProfanity - t0);
  const checkedRate = posted.size / seconds(lastProfanity - t0);
  const end = Object.fromEntries(endKeys.map((k) => [k.split("/")[0]!, watch.sessionAnnotations.get(k)])) as Record<
    string,
    number | undefined
  >;
  const endMs = (type: string) => (end[type] === undefined ? Number.NaN : end[type]! - stopped.at);
  const missing = sentimentKeys.length + profanityKeys.length - sentimentAt.length - profanityAt.length;
  const unexpected = [...watch.annotations.keys()].filter(
    (k) => !k.endsWith("/sentiment") && !profanityKeys.includes(k),
  ).length;
  report.check(
    missing === 0,
    `plugins: meeting: ${missing} of ${sentimentKeys.length + profanityKeys.length} annotations never reached the watcher`,
  );
  report.check(
    endKeys.every((k) => watch.sessionAnnotations.has(k)),
    `plugins: meeting: session annotations at the watcher after the stop: ${[...watch.sessionAnnotations.keys()].join(", ") || "none"}`,
  );
  if (unexpected > 0)
    report.warn(`plugins: meeting: ${unexpected} profanity annotations on lines not scripted as profane`);
  checkWatch(report, "meeting", watch);
  progress(
    `plugins: ${sentimentAt.length} sentiment annotations at ${fmt(sentimentRate, 0)}/s, ${profanityAt.length} profanity at ` +
      `${fmt(profanityRate, 0)}/s; drained ${fmt(seconds(lastSentiment - postsDoneAt), 1)} s after the last post; ` +
      `end → summary ${fmt(endMs("summary"), 0)} ms (${fmt(seconds(drainedAt - t0), 1)} s to drain)`,
  );
  const result = {
    speakers,
    messages: posted.size,
    postSeconds: round(seconds(postsDoneAt - t0)),
    postsPerSecond: round(posted.size / seconds(postsDoneAt - t0)),
    errors: errors.length,
    sentiment: {
      annotations: sentimentAt.length,
      perSecond: round(sentimentRate),
      drainSeconds: round(seconds(lastSentiment - postsDoneAt)),
    },
    profanity: {
      annotations: profanityAt.length,
      perSecond: round(profanityRate),
      messagesCheckedPerSecond: round(checkedRate),
      drainSeconds: round(seconds(lastProfanity - postsDoneAt)),
    },
    messageCreatedDrainSeconds: round(seconds(lastCreated - postsDoneAt)),
    endToAnnotationMs: {
      summary: endMs("summary"),
      action_items: endMs("action_items"),
      sentiment: endMs("sentiment"),
    },
    events: watch.versions.size,
    duplicates: watch.duplicateAnnotations + watch.duplicateSessionAnnotations + watch.duplicateVersions,
    gapless: gapless(watch.versions),
    missing,
    unexpected,
  };
  (report.data.plugins as Record<string, unknown>).meeting = result;
  const rows: Rows = [
    [
      `meeting: ${speakers} speakers × ${perSpeaker} utterances, posted in s (messages/s)`,
      `${fmt(result.postSeconds, 1)} (${fmt(result.postsPerSecond, 0)}/s), ${errors.length} errors`,
    ],
    ["  last message.created at the watcher, after the last post s", fmt(result.messageCreatedDrainSeconds, 2)],
    [
      `  sentiment: annotations/s (${sentimentAt.length} to the last one); drain after the last post s`,
      `${fmt(sentimentRate, 1)}; ${fmt(result.sentiment.drainSeconds, 1)}`,
    ],
    [
      `  profanity: annotations/s (${profanityAt.length}); messages checked/s; drain after the last post s`,
      `${fmt(profanityRate, 1)}; ${fmt(checkedRate, 1)}; ${fmt(result.profanity.drainSeconds, 1)}`,
    ],
    [
      "  stop → summary / action items / sentiment roll-up at the watcher ms",
      `${fmt(endMs("summary"), 0)} / ${fmt(endMs("action_items"), 0)} / ${fmt(endMs("sentiment"), 0)}`,
    ],
    [
      "  events at the watcher; duplicate annotations (per message+plugin); versions",
      `${watch.versions.size}; ${watch.duplicateAnnotations + watch.duplicateSessionAnnotations}; ${gapless(watch.versions) ? "gapless" : "WITH GAPS"}`,
    ],
  ];
  return { rows };
}

// ── 3. In-process: a plugin batch's calls, capacity and time; the session plugins at the end ───────────

const API_KEY: Principal = { tenantId: "local", projectScope: "*", keyId: "bench-plugins-in-process" };
const BOT_KEY: Principal = { ...API_KEY, keyId: "bench-plugins-in-process-bot", credential: "bot", actorType: "bot" };

interface Sample {
  calls: MeteredCall[];
  ms: number;
}

const sum = (calls: MeteredCall[], key: "rru" | "wru") => calls.reduce((n, c) => n + c[key], 0);

function describeCalls(calls: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => `${n}× ${c}`).join(" + ") || "–";
}

async function inProcessCosts(report: Report, options: PluginsOptions): Promise<PluginsResult> {
  // A table of the same schema that no stream consumer reads (the runtime's own sequencer and plugins
  // would race the measured ones).
  const client = localDynamo(options.dynamodbEndpoint);
  await ensureTable(client, SCRATCH_TABLE);
  const meter = new Meter(client);
  const store = new DynamoDbStore({ tableName: SCRATCH_TABLE, client: sdkDynamoDbCalls(client) });
  const deps = inProcessApiDeps(store, "plugins");
  const engines = localEngines();
  const pluginDeps: PluginDeps = { store, clock: systemClock, engines };
  const projectId = `${options.projectId}-inproc`;
  const scope = devScope(projectId);
  const call = inProcessCaller(deps, projectId, "plugins");
  const measure = async <T>(run: () => Promise<T>): Promise<{ value: T } & Sample> => {
    meter.take();
    const t0 = performance.now();
    const value = await run();
    return { value, ms: performance.now() - t0, calls: meter.take() };
  };
  const createSession = async (title: string) =>
    (await call("createSession", API_KEY, {}, { title, externalRoomId: `bench-room-${title}` })).body as SessionBody;

  // ── Message plugins: batches of 1 and of `batchSize` message.created events ──
  const session = await createSession("plugins-in-process");
  let version = session.version;
  const newEvents = async (sessionId: string, after: number) => {
    const page = await store.query({
      pk: aggregatePk("session", scope, sessionId),
      between: eventRangeAfter(after),
      consistent: true,
      limit: 1000,
    });
    return page.items.map((item) => EventEnvelopeSchema.parse(item.event));
  };
  let line = 0;
  const postBatch = async (size: number): Promise<PluginRecord[]> => {
    const messages: Message[] = [];
    for (let i = 0; i < size; i++) {
      const id = `inproc-${line}`;
      const body = { ...utterance(0, line++, id) };
      messages.push((await call("postMessage", BOT_KEY, { sessionId: session.id }, body)).body as Message);
    }
    await sequenceMessages(
      deps,
      messages.map((m) => ({ key: m.id, item: messageItem(scope, m) })),
    );
    const events = await newEvents(session.id, version);
    version = events.at(-1)?.version ?? version;
    return events.filter((e) => e.type === "message.created").map((e) => ({ key: e.id, envelope: e }));
  };
  const plugins = ["sentiment", "profanity"] as const;
  const samples: Record<(typeof plugins)[number], Record<"one" | "full", Array<BatchCost>>> = {
    sentiment: { one: [], full: [] },
    profanity: { one: [], full: [] },
  };
  const runBatch = async (pluginId: (typeof plugins)[number], records: PluginRecord[]): Promise<BatchCost> => {
    const texts = records.map((r) => (r.envelope.data as { message: Message }).message.content);
    const run = await measure(() => runPlugin(pluginDeps, pluginId, records));
    report.check(
      run.value.failed.length === 0,
      `plugins: the in-process ${pluginId} plugin failed ${run.value.failed.length} records: ${String(run.value.errors[0])}`,
    );
    // The engine alone on the same texts, for the share of the batch's time that an AWS engine replaces.
    const t0 = performance.now();
    if (pluginId === "sentiment") await (await engines.sentiment()).score(texts);
    else {
      const engine = await engines.profanity();
      await Promise.all(texts.map((t) => engine.check(t)));
    }
    const engineMs = performance.now() - t0;
    return {
      calls: run.calls.map((c) => shortName(c.command)),
      rru: sum(run.calls, "rru"),
      wru: sum(run.calls, "wru"),
      ms: run.ms,
      engineMs,
      annotated: run.value.counts.annotated,
    };
  };
  // One unmeasured round first: module and model loading (the NLP model) is a cold start, not a batch.
  let warmUpMs = 0;
  for (let b = -1; b < options.inProcess.batches; b++) {
    for (const size of [1, options.inProcess.batchSize]) {
      const records = await postBatch(size);
      for (const pluginId of plugins) {
        const cost = await runBatch(pluginId, records);
        if (b < 0) warmUpMs += cost.ms;
        else samples[pluginId][size === 1 ? "one" : "full"].push(cost);
      }
    }
  }
  const medianOf = (list: BatchCost[]): BatchCost => ({
    calls: list[0]?.calls ?? [],
    rru: median(list.map((c) => c.rru)),
    wru: median(list.map((c) => c.wru)),
    ms: median(list.map((c) => c.ms)),
    engineMs: median(list.map((c) => c.engineMs)),
    annotated: median(list.map((c) => c.annotated)),
  });
  const perBatch = Object.fromEntries(
    plugins.map((p) => [
      p,
      { one: medianOf(samples[p].one), full: medianOf(samples[p].full), batchSize: options.inProcess.batchSize },
    ]),
  ) as PluginsResult["perBatch"];

  // ── The sequencer's commit of annotation items, and the consumers their events reach ──
  const annotationItems = async () =>
    (
      await store.query({
        pk: aggregatePk("session", scope, session.id),
        beginsWith: MESSAGE_ANNOTATION_SK_PREFIX,
        consistent: true,
        limit: 1000,
      })
    ).items.filter((item) => item.version === undefined);
  const pending = await annotationItems();
  const single = await measure(() => sequenceMessages(deps, [{ key: "one", item: pending[0]! }]));
  const several = pending.slice(1, 1 + options.inProcess.batchSize);
  const batched = await measure(() =>
    sequenceMessages(
      deps,
      several.map((item, i) => ({ key: `k${i}`, item })),
    ),
  );
  report.check(
    single.value.counts.sequenced === 1 && batched.value.counts.sequenced === several.length,
    `plugins: the in-process sequencer did not publish the annotations (${JSON.stringify(single.value.counts)}, ${JSON.stringify(batched.value.counts)})`,
  );
  const singleWru = sum(single.calls, "wru");
  const marginalWru = (sum(batched.calls, "wru") - singleWru) / Math.max(1, several.length - 1);
  const annotationEvents = (await newEvents(session.id, version)).filter(
    (e) => e.type === "message.annotation.created",
  );
  version = Math.max(version, ...annotationEvents.map((e) => e.version));
  const consumerSamples: Record<string, Sample[]> = {};
  for (const event of annotationEvents) {
    const bridged = { source: EVENT_SOURCE, "detail-type": event.type, detail: event };
    for (const rule of RULES) {
      if (!matchesPattern(rule.pattern, bridged)) continue;
      const entry = CONSUMERS[rule.consumer].entry;
      let run: (() => Promise<unknown>) | undefined;
      if (rule.consumer === "activityRecorder") run = () => recordActivity(store, event, 7 * 86_400);
      else if (rule.consumer === "webhookFanout")
        run = () => fanOut({ store, queue: { send: async () => undefined }, clock: systemClock }, event);
      else report.warn(`plugins: message.annotation.created reaches ${entry}, which the bench does not run`);
      if (run) (consumerSamples[entry] ??= []).push(await measure(run));
    }
  }
  const annotationConsumers = Object.fromEntries(
    Object.entries(consumerSamples).map(([fn, list]) => [
      fn,
      {
        wru: median(list.map((s) => sum(s.calls, "wru"))),
        rru: median(list.map((s) => sum(s.calls, "rru"))),
        ms: median(list.map((s) => s.ms)),
      },
    ]),
  );

  // ── Session plugins at the end of a long meeting ──
  const meetingSession = await createSession("plugins-in-process-meeting");
  const utterances = options.inProcess.meetingUtterances;
  const speakers = 5;
  await runWorkers(8, utterances, async (i) => {
    await call("postMessage", BOT_KEY, { sessionId: meetingSession.id }, utterance(i % speakers, i, `m-${i}`));
    if ((i + 1) % 600 === 0) progress(`plugins: in-process meeting: ${i + 1}/${utterances} utterances posted`);
  });
  await call("stopSession", API_KEY, { sessionId: meetingSession.id });
  const ended = (await newEvents(meetingSession.id, 0)).find((e) => e.type === "session.ended");
  if (!report.check(ended !== undefined, "plugins: the in-process meeting has no session.ended event")) {
    throw new Error("no session.ended");
  }
  const transcript: MeetingMessage[] = [];
  const sessionCosts = {} as Record<"summary" | "action_items" | "sentiment", SessionPluginCost>;
  for (const pluginId of ["summary", "action_items", "sentiment"] as const satisfies readonly PluginId[]) {
    const run = await measure(() => runPlugin(pluginDeps, pluginId, [{ key: `end-${pluginId}`, envelope: ended! }]));
    report.check(
      run.value.counts.annotated === 1,
      `plugins: the in-process ${pluginId} plugin did not annotate the meeting (${JSON.stringify(run.value.counts)}: ${String(run.value.errors[0])})`,
    );
    if (transcript.length === 0) {
      let cursor: string | undefined;
      do {
        const page = await store.query({
          pk: aggregatePk("session", scope, meetingSession.id),
          beginsWith: MESSAGE_SK_PREFIX,
          consistent: true,
          limit: 1000,
          ...(cursor !== undefined && { cursor }),
        });
        for (const item of page.items)
          transcript.push({
            id: String(item.id),
            senderName: String(item.senderName),
            content: String(item.content),
            timestamp: String(item.timestamp),
          });
        cursor = page.nextCursor;
      } while (cursor);
    }
    const t0 = performance.now();
    if (pluginId === "summary") await (await engines.summary({ maxSentences: 3 })).summarize(transcript);
    else if (pluginId === "action_items") await (await engines.actionItems()).extract(transcript);
    else await (await engines.sentiment()).score(transcript.map((m) => m.content));
    sessionCosts[pluginId] = {
      calls: run.calls.map((c) => shortName(c.command)),
      rru: sum(run.calls, "rru"),
      wru: sum(run.calls, "wru"),
      ms: run.ms,
      engineMs: performance.now() - t0,
    };
  }
  report.check(
    transcript.length === utterances,
    `plugins: the in-process meeting lists ${transcript.length} of ${utterances} utterances`,
  );

  const profaneShare = MIX.filter((l) => l.profane).length / MIX.length;
  const meanChars = MIX.reduce((n, l) => n + l.content.length, 0) / MIX.length;
  const rows: Array<[string, BatchCost | SessionPluginCost]> = [
    ...plugins.flatMap(
      (p) =>
        [
          [`${p}: a batch of 1 message.created`, perBatch[p].one],
          [`${p}: a batch of ${perBatch[p].batchSize}`, perBatch[p].full],
        ] as Array<[string, BatchCost]>,
    ),
    ...(["summary", "action_items", "sentiment"] as const).map(
      (p) =>
        [
          `${p === "sentiment" ? "sentiment roll-up" : p}: session.ended, ${utterances} utterances`,
          sessionCosts[p],
        ] as [string, SessionPluginCost],
    ),
  ];
  report.table({
    title: `Plugin round trips, capacity and time (in-process, local engines, median of ${options.inProcess.batches} batches)`,
    columns: ["step", "DynamoDB calls", "RRU", "WRU", "in-process ms", "of which the engine ms"],
    rows: [
      ...rows.map(([step, c]) => [
        step,
        describeCalls(c.calls),
        fmt(c.rru, 1),
        fmt(c.wru, 0),
        fmt(c.ms, 1),
        fmt(c.engineMs, 1),
      ]),
      [
        "sequencer: one annotation alone (root + event + the annotation's stamp)",
        describeCalls(single.calls.map((c) => shortName(c.command))),
        fmt(sum(single.calls, "rru"), 1),
        fmt(singleWru, 0),
        fmt(single.ms, 1),
        "",
      ],
      ...Object.entries(annotationConsumers).map(([fn, c]) => [
        `${fn} (message.annotation.created)`,
        "",
        fmt(c.rru, 1),
        fmt(c.wru, 0),
        fmt(c.ms, 1),
        "",
      ]),
    ],
    notes: [
      `A further annotation in a sequencer commit of ${several.length} adds ${fmt(marginalWru, 1)} WRU (its event and its ` +
        `stamp; the root write is shared). The first round (not counted) loaded the engines: ${fmt(warmUpMs, 0)} ms.`,
      "Batch WRU include each annotation's conditional insert (the store sends a one-item transaction as a " +
        "conditional PutItem: 1 WRU per KB, not a TransactWriteItems' 2); a " +
        "batch reads the project's plugin settings once and checks each message for an existing annotation. " +
        "Profanity writes only flagged lines (2 of 10 in the mix). The session plugins read the whole transcript " +
        `(${utterances} messages, consistent); the roll-up here also scores every line itself, because this scratch ` +
        "session has no message annotations — an upper bound on its time.",
      "Run over a scratch table of the same schema that no stream consumer reads, with the local engines; the " +
        "engine's share is the same engine call timed again on the same texts.",
    ],
  });
  (report.data.plugins as Record<string, unknown>).inProcess = {
    perBatch,
    warmUpMs: round(warmUpMs),
    annotationCommit: {
      single: { wru: singleWru, rru: sum(single.calls, "rru"), ms: round(single.ms) },
      marginalWru,
      calls: single.calls.map((c) => shortName(c.command)),
    },
    annotationConsumers,
    sessionPlugins: sessionCosts,
  };
  client.destroy();
  return {
    mix: {
      lines: MIX.map((l, i) => ({ id: `mix-${i}`, senderName: "Speaker", content: l.content, timestamp: "" })),
      profaneShare,
      meanChars,
    },
    perBatch,
    annotationCommit: { single: { wru: singleWru, rru: sum(single.calls, "rru"), ms: single.ms }, marginalWru },
    annotationConsumers,
    sessionPlugins: { utterances, transcript, ...sessionCosts },
  };
}
