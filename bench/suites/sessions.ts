import { matchesPattern } from "../../local/eventbridge/pattern.js";
import { ensureTable } from "../../local/dynamodb/table.js";
import { sdkDynamoDbCalls } from "../../shared/adapters/aws/dynamodb-sdk-calls.js";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { recordActivity } from "../../shared/consumers/activity.js";
import { fanOut } from "../../shared/consumers/webhooks/service.js";
import { runSessionDeadline } from "../../shared/domain/scheduling/session-deadlines.js";
import { messageItem } from "../../shared/domain/sessions/messages.js";
import type { Message } from "../../shared/domain/sessions/model.js";
import { sequenceMessages } from "../../shared/domain/sessions/sequencer.js";
import { CONSUMERS, RULES } from "../../shared/events/rules.js";
import { systemClock } from "../../shared/kernel/clock.js";
import { EventEnvelopeSchema, EVENT_SOURCE, type EventEnvelope } from "../../shared/kernel/envelope.js";
import type { Principal } from "../../shared/kernel/tenancy.js";
import { aggregatePk, eventRangeAfter } from "../../shared/store/keys.js";
import { inProcessApiDeps, inProcessCaller } from "../lib/api-deps.js";
import { localDynamo, Meter, shortName, type MeteredCall } from "../lib/dynamo.js";
import { BenchHttp, expectStatus } from "../lib/http.js";
import { sleep, until } from "../lib/pool.js";
import { progress, type Report } from "../lib/report.js";
import { devScope } from "../lib/runtime.js";
import { fmt, median, round, summarize, type Summary } from "../lib/stats.js";
import { gapless, watchSse, type SseWatch } from "../lib/sse.js";
import { P50_GOAL, P99_GOAL } from "./latency.js";

/**
 * Sessions: the transcript path under the shape of a meeting. (1) Five speakers posting into one session
 * at once through the bot API, reconciled against an SSE watcher (every message.created, versions gapless,
 * no duplicates). (2) message.created → SSE latency at a light, paced rate, interleaved with gathering
 * joins → SSE in the same run (the message path has one more hop: the table stream → the sequencer).
 * (3) Idle-deadline schedule writes of a talking session that then falls silent. (4) In-process, over a
 * metered DynamoDB client: the calls, capacity and time of one message through the post, the sequencer,
 * the consumers the shared rules route message.created to, an SSE poll and an idle-deadline firing —
 * the measured inputs of the cost per meeting-hour (session-cost.ts).
 */
export interface SessionsOptions {
  apiUrl: string;
  apiKey: string;
  /** A bot credential (the runtime banner's dev bot key). */
  botKey: string;
  dynamodbEndpoint: string;
  projectId: string;
  speakers: number;
  perSpeaker: number;
  paced: { messages: number; pauseMs: number };
  idle: { timeoutSeconds: number; everyMs: number; talkMs: number };
  inProcess: { messages: number; batch: number };
}

export interface SessionsResult {
  /** HTTP post latency at the paced rate (ms). */
  pacedPost: Summary;
  idle: {
    /** A session's idle-deadline writes without talk (created, bot in the room, ended by the deadline). */
    lifecycleWrites: number;
    /** The idle windows of that silent session (about one). */
    lifecycleWindows: number;
    /** The writes each further idleTimeout window of talk adds. */
    writesPerTalkWindow: number;
  };
  /** Per message, in-process medians. */
  perMessage: {
    post: StepCost;
    /** One sequencer invocation holding this one message (one commit). */
    sequencer: StepCost;
    /** WRU of a message in a sequencer commit of many: its event item and its stamp (the root is shared). */
    sequencerMarginalWru: number;
    consumers: Record<string, StepCost>;
  };
  /** One SSE poll that finds nothing (a consistent Query of the session's events after its version). */
  ssePollRru: number;
  /** One idle-deadline firing that re-arms (the scheduler-target function). */
  idleFire: StepCost & { schedulerCalls: number };
}

export interface StepCost {
  calls: string[];
  rru: number;
  wru: number;
  ms: number;
}

interface SessionBody {
  id: string;
  version: number;
  status: string;
  endedReason?: string;
  endedAt?: string;
  bot: { state: string; commandId?: string };
}

/** One utterance of about 20 words. Its size matters: message and event items are priced per KB. */
const UTTERANCE =
  "so for the release I'd keep the migration behind the flag until Thursday, and then we can watch the error rate";
const SCRATCH_TABLE = "cortex-bench-sessions";

export async function sessionsSuite(report: Report, options: SessionsOptions): Promise<SessionsResult> {
  const api = new BenchHttp(options.apiUrl, options.apiKey);
  const bot = new BenchHttp(options.apiUrl, options.botKey);
  try {
    const concurrent = await concurrentSpeakers(report, options, api, bot);
    const paced = await pacedLatency(report, options, api, bot);
    const idle = await idleWindows(report, options, api, bot);
    report.table({
      title: `Sessions: messages into one session (bot API; ${options.speakers} concurrent speakers; idle session of ${options.idle.timeoutSeconds} s)`,
      columns: ["measure", "value", "goal"],
      rows: [...concurrent.rows, ...paced.rows, ...idle.rows],
      notes: [
        `Concurrent: ${options.speakers} speakers each post ${options.perSpeaker} utterances one after another (ids of ` +
          "their own, as the SDK's bot sends them); throughput = messages / wall time of the posts. An SSE watcher " +
          "opened before the posts is reconciled against the posted ids (every message.created once, versions gapless).",
        `Paced: one utterance, ~${options.paced.pauseMs} ms pause, one gathering join, ~${options.paced.pauseMs} ms pause, ` +
          "repeated; each measured from its HTTP response to its event at an SSE watcher (by message id / version). " +
          "The message path has one hop more than a join: the table stream → the message sequencer → its commit; " +
          "both then wait for the SSE function's next poll (50 ms). Locally the sequencer's stream poller waits 50 ms " +
          "when idle; on AWS Lambda polls a stream shard four times a second, so the hop costs more there.",
        `Idle: idleTimeout ${options.idle.timeoutSeconds} s, the bot in the room, one utterance every ` +
          `${options.idle.everyMs} ms for ${options.idle.talkMs / 1000} s, then silence until the session ends. ` +
          "Write requests = the local scheduler's CreateSchedule/UpdateSchedule/DeleteSchedule for `<id>-idle` (a " +
          "setting is a create, or a refused create and an update); idle windows = active time (bot in the room → " +
          "ended) / idleTimeout. A silent session with the same lifecycle runs alongside: what talk adds is the " +
          "difference. The local scheduler fires to the second; EventBridge Scheduler fires within the minute.",
      ],
    });
    const measured = await inProcessCosts(report, options);
    return { pacedPost: paced.post, idle: idle.result, ...measured };
  } finally {
    api.close();
    bot.close();
  }
}

// ── Helpers ────────────────────────────────────────────────────────────────────────────────────────────

function paths(projectId: string) {
  const base = `/v1/projects/${projectId}`;
  return {
    base,
    sessions: `${base}/sessions`,
    session: (id: string) => `${base}/sessions/${id}`,
  };
}

/** A session with the bot in the room, as after a bot's join. */
async function openSession(
  options: SessionsOptions,
  api: BenchHttp,
  bot: BenchHttp,
  body: { title: string; idleTimeout?: number },
): Promise<{ session: SessionBody; inRoomAt: number }> {
  const p = paths(options.projectId);
  const created = expectStatus(
    await api.request<SessionBody>("POST", p.sessions, { ...body, externalRoomId: `bench-room-${body.title}` }),
    201,
    "create session",
  ).body;
  const reported = expectStatus(
    await bot.request<{ session: SessionBody }>("POST", `${p.session(created.id)}/bot`, {
      state: "in_room",
      commandId: created.bot.commandId,
    }),
    200,
    "bot in_room",
  );
  return { session: reported.body.session, inRoomAt: reported.at };
}

function utterance(speaker: number, line: number, id: string) {
  return {
    id,
    senderName: `Speaker ${speaker}`,
    peerId: `peer-${speaker}`,
    content: `${UTTERANCE} (${line})`,
    timestamp: new Date().toISOString(),
  };
}

/** An SSE watcher of a session's event log: versions, message ids (first arrival), duplicates. */
interface SessionWatch {
  watch: SseWatch;
  versions: Set<number>;
  messages: Map<string, { version: number; at: number; occurredAt: string }>;
  duplicates: number;
}

async function watchSession(options: SessionsOptions, sessionId: string): Promise<SessionWatch> {
  const state: Omit<SessionWatch, "watch"> = { versions: new Set(), messages: new Map(), duplicates: 0 };
  const watch = await watchSse(
    `${options.apiUrl}${paths(options.projectId).session(sessionId)}/events?after=0`,
    options.apiKey,
    (event) => {
      if (event.id === undefined) return; // a control event (heartbeat, reset)
      const version = Number(event.id);
      if (state.versions.has(version)) {
        state.duplicates++;
        return;
      }
      state.versions.add(version);
      if (event.event !== "message.created") return;
      const envelope = JSON.parse(event.data) as EventEnvelope & { data: { message: { id: string } } };
      if (state.messages.has(envelope.data.message.id)) state.duplicates++;
      else state.messages.set(envelope.data.message.id, { version, at: event.at, occurredAt: envelope.occurredAt });
    },
  );
  return { watch, ...state };
}

type Rows = Array<[string, string, string]>;

// ── 1. Concurrent speakers ─────────────────────────────────────────────────────────────────────────────

const THROUGHPUT_GOAL = 50;

async function concurrentSpeakers(report: Report, options: SessionsOptions, api: BenchHttp, bot: BenchHttp) {
  const p = paths(options.projectId);
  const { session } = await openSession(options, api, bot, { title: "concurrent" });
  const watch = await watchSession(options, session.id);
  report.check(watch.watch.status === 200, `sessions: SSE answered ${watch.watch.status}`);

  const latencies: number[] = [];
  const errors: string[] = [];
  const posted = new Set<string>();
  const total = options.speakers * options.perSpeaker;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: options.speakers }, async (_, speaker) => {
      for (let line = 0; line < options.perSpeaker; line++) {
        const id = `s${speaker}-l${line}`;
        try {
          const result = await bot.request("POST", `${p.session(session.id)}/messages`, utterance(speaker, line, id));
          if (result.status === 201) {
            latencies.push(result.ms);
            posted.add(id);
          } else errors.push(`${result.status} ${JSON.stringify(result.body).slice(0, 300)}`);
        } catch (error) {
          errors.push((error as Error).message);
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const postsDoneAt = Date.now();
  const rate = posted.size / seconds;
  progress(
    `sessions: ${posted.size}/${total} messages in ${fmt(seconds, 1)} s (${fmt(rate, 0)}/s), ${errors.length} errors`,
  );

  await until(() => [...posted].every((id) => watch.messages.has(id)), 30_000);
  const drainMs = Math.max(0, ...[...watch.messages.values()].map((m) => m.at)) - postsDoneAt;
  watch.watch.close();
  const missing = [...posted].filter((id) => !watch.messages.has(id)).length;
  const unexpected = [...watch.messages.keys()].filter((id) => !posted.has(id)).length;
  // A commit stamps its events with one time: distinct times ≈ sequencer commits.
  const commits = new Set([...watch.messages.values()].map((m) => m.occurredAt)).size;
  report.check(errors.length === 0, `sessions: ${errors.length} of ${total} posts failed (first: ${errors[0] ?? "–"})`);
  report.check(missing === 0, `sessions: ${missing} of ${posted.size} messages never reached the SSE watcher`);
  report.check(unexpected === 0, `sessions: the SSE watcher received ${unexpected} message.created for unposted ids`);
  report.check(watch.duplicates === 0, `sessions: the SSE watcher received ${watch.duplicates} duplicates`);
  report.check(gapless(watch.versions), `sessions: the session's event versions at the SSE watcher have gaps`);

  const s = summarize(latencies);
  const met = rate >= THROUGHPUT_GOAL && errors.length === 0;
  report.goal(
    `sessions: ${options.speakers} concurrent speakers into one session`,
    `≥ ${THROUGHPUT_GOAL} messages/s, 0 errors`,
    `${fmt(rate, 0)} messages/s, ${errors.length} errors`,
    met,
  );
  report.data.sessions = {
    concurrent: {
      speakers: options.speakers,
      messages: posted.size,
      seconds: round(seconds),
      messagesPerSecond: round(rate),
      errors: errors.length,
      errorSamples: errors.slice(0, 10),
      post: rounded(s),
      sse: { delivered: watch.messages.size, missing, duplicates: watch.duplicates, gapless: gapless(watch.versions) },
      sequencerCommits: commits,
      drainMs,
    },
  };
  const rows: Rows = [
    [
      `concurrent: ${options.speakers} speakers × ${options.perSpeaker} messages, messages/s (wall)`,
      `${fmt(rate, 0)} (${posted.size} in ${fmt(seconds, 1)} s)`,
      `≥ ${THROUGHPUT_GOAL}: ${met ? "met" : "MISSED"}`,
    ],
    ["  post latency p50 / p99 ms", `${fmt(s.p50, 1)} / ${fmt(s.p99, 1)}`, ""],
    ["  errors (non-2xx)", String(errors.length), "0"],
    [
      "  SSE watcher: message.created delivered",
      `${watch.messages.size}/${posted.size}, ${missing} missing, ${watch.duplicates} duplicates, versions ${gapless(watch.versions) ? "gapless" : "WITH GAPS"}`,
      "",
    ],
    [
      "  sequencer commits (messages per commit)",
      `${commits} (${fmt(watch.messages.size / Math.max(commits, 1), 1)})`,
      "",
    ],
    ["  last event at the watcher, after the last post s", fmt(drainMs / 1000, 2), ""],
  ];
  return { rows };
}

// ── 2. message.created → SSE, paced, against gathering joins → SSE ─────────────────────────────────────

async function pacedLatency(report: Report, options: SessionsOptions, api: BenchHttp, bot: BenchHttp) {
  const p = paths(options.projectId);
  const { session } = await openSession(options, api, bot, { title: "paced" });
  const watch = await watchSession(options, session.id);
  const gathering = expectStatus(
    await api.request<{ id: string; joinCode: string; version: number }>("POST", `${p.base}/gatherings`, {
      name: "Sessions bench control",
      type: "open",
    }),
    201,
    "create gathering",
  ).body;
  const gatheringEvents = new Map<number, number>();
  let gatheringDuplicates = 0;
  const gatheringWatch = await watchSse(
    `${options.apiUrl}${p.base}/gatherings/${gathering.id}/events?after=${gathering.version}`,
    options.apiKey,
    (event) => {
      if (event.id === undefined) return;
      if (gatheringEvents.has(Number(event.id))) gatheringDuplicates++;
      else gatheringEvents.set(Number(event.id), event.at);
    },
  );
  report.check(
    watch.watch.status === 200 && gatheringWatch.status === 200,
    `sessions: SSE answered ${watch.watch.status} / ${gatheringWatch.status}`,
  );

  const posts = new Map<string, number>();
  const joins = new Map<number, number>();
  const postMs: number[] = [];
  let version = gathering.version;
  for (let i = 0; i < options.paced.messages; i++) {
    const id = `paced-${i}`;
    const posted = expectStatus(
      await bot.request("POST", `${p.session(session.id)}/messages`, utterance(0, i, id)),
      201,
      "post message",
    );
    posts.set(id, posted.at);
    postMs.push(posted.ms);
    await sleep(options.paced.pauseMs);
    const joined = expectStatus(
      await api.request<{ gathering: { version: number } }>("POST", `${p.base}/gatherings/join`, {
        joinCode: gathering.joinCode,
        participantId: `paced-${i}`,
      }),
      200,
      "join",
    );
    // The first join also makes the joiner owner (a second event of the same commit): joined is the first.
    joins.set(version + 1, joined.at);
    version = joined.body.gathering.version;
    await sleep(options.paced.pauseMs);
  }
  await until(
    () =>
      [...posts.keys()].every((id) => watch.messages.has(id)) && [...joins.keys()].every((v) => gatheringEvents.has(v)),
    30_000,
  );
  watch.watch.close();
  gatheringWatch.close();

  const toSse: number[] = [];
  const joinToSse: number[] = [];
  for (const [id, at] of posts) {
    const event = watch.messages.get(id);
    if (event) toSse.push(event.at - at);
  }
  for (const [v, at] of joins) {
    const eventAt = gatheringEvents.get(v);
    if (eventAt !== undefined) joinToSse.push(eventAt - at);
  }
  report.check(
    toSse.length === posts.size,
    `sessions: ${posts.size - toSse.length} of ${posts.size} paced messages never reached the SSE watcher`,
  );
  report.check(
    joinToSse.length === joins.size,
    `sessions: ${joins.size - joinToSse.length} of ${joins.size} gathering joins never reached the SSE watcher`,
  );
  report.check(
    watch.duplicates + gatheringDuplicates === 0,
    `sessions: ${watch.duplicates + gatheringDuplicates} duplicate events in the paced phase`,
  );
  report.check(gapless(watch.versions), `sessions: the paced session's event versions have gaps`);

  const m = summarize(toSse);
  const g = summarize(joinToSse);
  const post = summarize(postMs);
  const met = m.p50 <= P50_GOAL && m.p99 <= P99_GOAL;
  report.goal(
    "sessions: message post → SSE client (message.created)",
    `p50 ≤ ${P50_GOAL} ms, p99 ≤ ${P99_GOAL} ms`,
    `${fmt(m.p50, 0)} / ${fmt(m.p99, 0)} ms`,
    met,
  );
  // The latency suite's gathering figure, when it ran in this run too (a second reference, not the A/B).
  const latency = report.data.latency as { sse?: { p50: number; p99: number } } | undefined;
  progress(
    `sessions: message → SSE p50 ${fmt(m.p50, 0)} ms, p99 ${fmt(m.p99, 0)} ms; join → SSE p50 ${fmt(g.p50, 0)} ms, p99 ${fmt(g.p99, 0)} ms`,
  );
  (report.data.sessions as Record<string, unknown>).paced = {
    messages: posts.size,
    post: rounded(post),
    messageToSse: rounded(m),
    joinToSse: rounded(g),
    ratioP50: round(m.p50 / g.p50),
    ratioP99: round(m.p99 / g.p99),
  };
  const rows: Rows = [
    [
      `paced: message post → SSE p50 / p99 ms (n=${m.n})`,
      `${fmt(m.p50, 0)} / ${fmt(m.p99, 0)}`,
      `p50 ≤ ${P50_GOAL}, p99 ≤ ${P99_GOAL}: ${met ? "met" : "MISSED"}`,
    ],
    [`  gathering join → SSE p50 / p99 ms, interleaved (n=${g.n})`, `${fmt(g.p50, 0)} / ${fmt(g.p99, 0)}`, ""],
    ["  ratio message / join, p50 / p99", `${fmt(m.p50 / g.p50, 2)} / ${fmt(m.p99 / g.p99, 2)}`, ""],
    ...(latency?.sse
      ? [
          [
            "  latency suite's commit → SSE p50 / p99 ms (this run)",
            `${fmt(latency.sse.p50, 0)} / ${fmt(latency.sse.p99, 0)}`,
            "",
          ] as [string, string, string],
        ]
      : []),
    ["  post latency p50 / p99 ms (paced)", `${fmt(post.p50, 1)} / ${fmt(post.p99, 1)}`, ""],
  ];
  return { rows, post };
}

// ── 3. Idle-deadline writes ────────────────────────────────────────────────────────────────────────────

interface ScheduleWrites {
  writes: Record<string, { create: number; update: number; delete: number }>;
  total: number;
}

interface IdleRun {
  messages: number;
  writes: { create: number; update: number; delete: number; total: number };
  activeSeconds: number;
  windows: number;
  endedReason: string | undefined;
  endedAfterLastWordSeconds: number;
}

/**
 * A talking session (one utterance every `everyMs` for `talkMs`, then silence) and, at the same time, a
 * silent one with the same lifecycle (created, the bot in the room, ended by its idle deadline) that
 * says nothing: the difference is what talk adds.
 */
async function idleWindows(report: Report, options: SessionsOptions, api: BenchHttp, bot: BenchHttp) {
  const { timeoutSeconds, everyMs, talkMs } = options.idle;
  const [talking, silent] = await Promise.all([
    idleSession(report, options, api, bot, "idle-talking", talkMs),
    idleSession(report, options, api, bot, "idle-silent", 0),
  ]);
  if (!talking || !silent) {
    return {
      rows: [] as Rows,
      result: { lifecycleWrites: Number.NaN, lifecycleWindows: Number.NaN, writesPerTalkWindow: Number.NaN },
    };
  }
  const result = {
    /** The silent session's writes: created, bot in the room, ended after one window. */
    lifecycleWrites: silent.writes.total,
    lifecycleWindows: silent.windows,
    /** What each further window of talk adds. */
    writesPerTalkWindow: (talking.writes.total - silent.writes.total) / (talking.windows - silent.windows),
  };
  const perWindow = talking.writes.total / talking.windows;
  const perMessage = talking.writes.total / talking.messages;
  progress(
    `sessions: idle: ${talking.messages} messages, ${talking.writes.total} idle-deadline writes over ` +
      `${fmt(talking.windows, 1)} windows (silent session: ${silent.writes.total} over ${fmt(silent.windows, 1)})`,
  );
  (report.data.sessions as Record<string, unknown>).idle = {
    idleTimeoutSeconds: timeoutSeconds,
    talking,
    silent,
    writesPerWindow: round(perWindow),
    writesPerMessage: round(perMessage),
    writesPerTalkWindow: round(result.writesPerTalkWindow),
  };
  const counts = (w: IdleRun["writes"]) => `${w.total} (${w.create} / ${w.update} / ${w.delete})`;
  const rows: Rows = [
    [`idle: messages posted (one every ${everyMs} ms for ${talkMs / 1000} s)`, String(talking.messages), ""],
    ["  idle-deadline write requests (create / update / delete)", counts(talking.writes), ""],
    [`  idle windows (active ${fmt(talking.activeSeconds, 1)} s / ${timeoutSeconds} s)`, fmt(talking.windows, 1), ""],
    ["  writes per window / per message", `${fmt(perWindow, 2)} / ${fmt(perMessage, 2)}`, ""],
    [
      "  ended after the last utterance s (endedReason)",
      `${fmt(talking.endedAfterLastWordSeconds, 1)} (${talking.endedReason})`,
      "",
    ],
    [
      `  silent session, same lifecycle: writes; windows (active ${fmt(silent.activeSeconds, 1)} s)`,
      `${counts(silent.writes)}; ${fmt(silent.windows, 1)}`,
      "",
    ],
    ["  writes per window of talk beyond the silent session's", fmt(result.writesPerTalkWindow, 2), ""],
  ];
  return { rows, result };
}

async function idleSession(
  report: Report,
  options: SessionsOptions,
  api: BenchHttp,
  bot: BenchHttp,
  title: string,
  talkMs: number,
): Promise<IdleRun | undefined> {
  const p = paths(options.projectId);
  const { timeoutSeconds, everyMs } = options.idle;
  const { session, inRoomAt } = await openSession(options, api, bot, { title, idleTimeout: timeoutSeconds });
  let messages = 0;
  const talkUntil = Date.now() + talkMs;
  while (Date.now() < talkUntil) {
    const tick = Date.now();
    expectStatus(
      await bot.request("POST", `${p.session(session.id)}/messages`, utterance(0, messages, `idle-${messages}`)),
      201,
      "post message",
    );
    messages++;
    await sleep(Math.max(0, everyMs - (Date.now() - tick)));
  }
  const lastWordAt = Date.now();
  let ended: SessionBody | undefined;
  const deadline = Date.now() + 30_000 + timeoutSeconds * 1000;
  while (!ended && Date.now() < deadline) {
    const current = expectStatus(await api.request<SessionBody>("GET", p.session(session.id)), 200, "get session");
    if (current.body.status === "ended") ended = current.body;
    else await sleep(200);
  }
  if (!report.check(ended !== undefined, `sessions: ${title} had not ended 30 s after its idle deadline`)) return;
  report.check(ended!.endedReason === "idle", `sessions: ${title} ended with ${ended!.endedReason}, not idle`);
  // session.ended reaches scheduler-sync (which deletes the deadline) shortly after the session reads ended.
  const name = `${session.id}-idle`;
  const readWrites = async () =>
    expectStatus(
      await api.request<ScheduleWrites>("GET", `/local/scheduler/writes?prefix=${encodeURIComponent(name)}`),
      200,
      "schedule writes",
    ).body;
  let writes = await readWrites();
  for (let settled = 0, tries = 0; settled < 2 && tries < 20; tries++) {
    await sleep(500);
    const again = await readWrites();
    settled = again.total === writes.total ? settled + 1 : 0;
    writes = again;
  }
  const activeSeconds = (Date.parse(ended!.endedAt!) - inRoomAt) / 1000;
  return {
    messages,
    writes: { ...(writes.writes[name] ?? { create: 0, update: 0, delete: 0 }), total: writes.total },
    activeSeconds: round(activeSeconds),
    windows: round(activeSeconds / timeoutSeconds),
    endedReason: ended!.endedReason,
    endedAfterLastWordSeconds: round((Date.parse(ended!.endedAt!) - lastWordAt) / 1000),
  };
}

// ── 4. In-process: one message's calls, capacity and time through each function ───────────────────────

const API_KEY: Principal = { tenantId: "local", projectScope: "*", keyId: "bench-in-process" };
const BOT_KEY: Principal = { ...API_KEY, keyId: "bench-in-process-bot", credential: "bot", actorType: "bot" };

async function inProcessCosts(
  report: Report,
  options: SessionsOptions,
): Promise<Pick<SessionsResult, "perMessage" | "ssePollRru" | "idleFire">> {
  // A table of the same schema that no stream consumer reads: the runtime's own sequencer would race the
  // one measured here for every message inserted into its table.
  const client = localDynamo(options.dynamodbEndpoint);
  await ensureTable(client, SCRATCH_TABLE);
  const meter = new Meter(client);
  const store = new DynamoDbStore({ tableName: SCRATCH_TABLE, client: sdkDynamoDbCalls(client) });
  const deps = inProcessApiDeps(store, "sessions");
  const projectId = `${options.projectId}-inproc`;
  const scope = devScope(projectId);
  const call = inProcessCaller(deps, projectId, "sessions");
  const measure = async <T>(run: () => Promise<T>): Promise<{ value: T; calls: MeteredCall[]; ms: number }> => {
    meter.take();
    const t0 = performance.now();
    const value = await run();
    return { value, ms: performance.now() - t0, calls: meter.take() };
  };

  const session = (
    await call("createSession", API_KEY, {}, { title: "in-process", externalRoomId: "bench-room", idleTimeout: 300 })
  ).body as SessionBody;
  let version = session.version;
  const newEvents = async () => {
    const page = await store.query({
      pk: aggregatePk("session", scope, session.id),
      between: eventRangeAfter(version),
      consistent: true,
      limit: 100,
    });
    const events = page.items.map((item) => EventEnvelopeSchema.parse(item.event));
    version = events.at(-1)?.version ?? version;
    return events;
  };
  await newEvents();

  const samples = { post: [] as Sample[], sequencer: [] as Sample[] };
  const consumerSamples: Record<string, Sample[]> = {};
  let line = 0;
  const post = async () => {
    const id = `inproc-${line}`;
    const { value, calls, ms } = await measure(() =>
      call("postMessage", BOT_KEY, { sessionId: session.id }, utterance(0, line++, id)),
    );
    return { message: value.body as Message, calls, ms };
  };
  // One unmeasured message first: module warm-up (schema compilation, JIT) is not what a message costs.
  for (let i = -1; i < options.inProcess.messages; i++) {
    const posted = await post();
    const sequenced = await measure(() =>
      sequenceMessages(deps, [{ key: posted.message.id, item: messageItem(scope, posted.message) }]),
    );
    report.check(
      sequenced.value.counts.sequenced === 1,
      `sessions: the in-process sequencer did not sequence its message (${JSON.stringify(sequenced.value.counts)})`,
    );
    meter.take();
    const events = await newEvents();
    meter.take();
    if (i >= 0) {
      samples.post.push(posted);
      samples.sequencer.push(sequenced);
    }
    for (const event of events) {
      const bridged = { source: EVENT_SOURCE, "detail-type": event.type, detail: event };
      for (const rule of RULES) {
        if (!matchesPattern(rule.pattern, bridged)) continue;
        const entry = CONSUMERS[rule.consumer].entry;
        let run: (() => Promise<unknown>) | undefined;
        if (rule.consumer === "activityRecorder") run = () => recordActivity(store, event, 7 * 86_400);
        else if (rule.consumer === "webhookFanout")
          run = () => fanOut({ store, queue: { send: async () => undefined }, clock: systemClock }, event);
        else report.warn(`sessions: message.created reaches ${entry}, which the bench does not run`);
        if (!run) continue;
        const sample = await measure(run);
        if (i >= 0) (consumerSamples[entry] ??= []).push(sample);
      }
    }
  }

  // A commit of several messages at once (speakers overlapping): what one more message adds to it.
  const batch: Message[] = [];
  for (let i = 0; i < options.inProcess.batch; i++) batch.push((await post()).message);
  const batched = await measure(() =>
    sequenceMessages(
      deps,
      batch.map((m) => ({ key: m.id, item: messageItem(scope, m) })),
    ),
  );
  report.check(
    batched.value.counts.sequenced === batch.length,
    `sessions: the in-process sequencer sequenced ${batched.value.counts.sequenced} of a batch of ${batch.length}`,
  );
  meter.take();
  await newEvents();

  // An SSE poll that finds nothing new.
  const poll = await measure(() => newEvents());
  const ssePollRru = poll.calls.reduce((n, c) => n + c.rru, 0);

  // The idle deadline fires while the session is talking: it re-arms (one scheduler put).
  let schedulerCalls = 0;
  const scheduler = { put: async () => void schedulerCalls++, delete: async () => void schedulerCalls++ };
  const fired = await measure(() =>
    runSessionDeadline(
      { ...deps, scheduler },
      { action: "idle", tenantId: scope.tenantId, projectId, sessionId: session.id, at: new Date().toISOString() },
    ),
  );
  report.check(fired.value === "rearmed", `sessions: the in-process idle deadline ${fired.value}, expected rearmed`);

  const single = cost(samples.sequencer);
  const sequencerMarginalWru = (sumWru(batched.calls) - single.wru) / (batch.length - 1);
  const perMessage = {
    post: cost(samples.post),
    sequencer: single,
    sequencerMarginalWru,
    consumers: Object.fromEntries(Object.entries(consumerSamples).map(([k, v]) => [k, cost(v)])),
  };
  const idleFire = { ...cost([fired]), schedulerCalls };
  const rows = [
    ["post (bot API, handleApiRequest)", perMessage.post],
    ["message sequencer, one message per commit", perMessage.sequencer],
    ...Object.entries(perMessage.consumers).map(([k, v]) => [`${k} (message.created)`, v] as const),
    ["idle deadline fires and re-arms (scheduler-target)", idleFire],
    ["SSE poll, nothing new", { ...cost([poll]) }],
  ] as const;
  report.table({
    title: `Round trips and capacity per message (in-process, median of ${options.inProcess.messages})`,
    columns: ["step", "DynamoDB calls", "RRU", "WRU", "in-process ms"],
    rows: rows.map(([step, c]) => [step, describeCalls(c.calls), fmt(c.rru, 1), fmt(c.wru, 0), fmt(c.ms, 1)]),
    notes: [
      `The sequencer with ${batch.length} messages in one commit: ${describeCalls(batched.calls.map((c) => shortName(c.command)))}, ` +
        `${fmt(sumWru(batched.calls), 0)} WRU — ${fmt(sequencerMarginalWru, 1)} WRU per further message (its event item and ` +
        `its stamp; the root write is shared). Priced by DynamoDB's rules from the item sizes (transactional write = ` +
        `2 WRU per KB per item, the root's GSI1 write included), with a ${UTTERANCE.length + 6}-character utterance.`,
      "Run over a scratch table of the same schema that no stream consumer reads (the runtime's own sequencer " +
        "would race the measured one); consumers are the ones the shared rules route message.created to.",
    ],
  });
  (report.data.sessions as Record<string, unknown>).perMessage = {
    ...perMessage,
    batch: {
      messages: batch.length,
      rru: batched.calls.reduce((n, c) => n + c.rru, 0),
      wru: sumWru(batched.calls),
      calls: batched.calls.map((c) => shortName(c.command)),
    },
    ssePollRru,
    idleFire,
  };
  client.destroy();
  return { perMessage, ssePollRru, idleFire };
}

interface Sample {
  calls: MeteredCall[];
  ms: number;
}

const sumWru = (calls: MeteredCall[]) => calls.reduce((n, c) => n + c.wru, 0);

function cost(samples: Sample[]): StepCost {
  return {
    calls: samples[0]?.calls.map((c) => shortName(c.command)) ?? [],
    rru: median(samples.map((s) => s.calls.reduce((n, c) => n + c.rru, 0))),
    wru: median(samples.map((s) => sumWru(s.calls))),
    ms: median(samples.map((s) => s.ms)),
  };
}

function describeCalls(calls: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => `${n}× ${c}`).join(" + ") || "–";
}

function rounded(summary: Summary): Record<string, number> {
  return Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, round(v)]));
}
