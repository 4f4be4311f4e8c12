import { devScope } from "../lib/runtime.js";
import { QueryCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { activityPk, aggregatePk, eventRangeAfter } from "../../shared/store/keys.js";
import { readFunctionCalls } from "../lib/function-log.js";
import { type BenchHttp } from "../lib/http.js";
import { runQueue, runWorkers, sleep } from "../lib/pool.js";
import { progress, type Report } from "../lib/report.js";
import { fmt, round, summarize } from "../lib/stats.js";
import { watchSse, type SseWatch } from "../lib/sse.js";
import { TABLE_NAME } from "./capacity.js";

/**
 * Load: many lobbies filling up at once — create, 8 distinct players each joining by code and marking
 * ready, then the host starts and ends the lobby — with a bounded number of requests in flight. Then
 * every channel is reconciled against the committed event log (the source of truth): the activity log
 * (stream → EventBridge → activity recorder), the user functions, and SSE watchers on a sample of lobbies.
 */
export interface LoadOptions {
  http: BenchHttp;
  dynamo: DynamoDBClient;
  apiUrl: string;
  apiKey: string;
  projectId: string;
  lobbies: number;
  players: number;
  inFlight: number;
  /** Every n-th lobby gets an SSE watcher. */
  sseEvery: number;
  eventsFile: string;
  deadlineMs: number;
}

interface Lobby {
  index: number;
  id?: string;
  code?: string;
  ready: number;
  watch?: SseWatch;
  sse: number[];
  failed: boolean;
}

type OpName = "create" | "join by code" | "ready" | "start" | "end";

export async function loadSuite(report: Report, options: LoadOptions): Promise<void> {
  const { http } = options;
  const base = `/v1/projects/${options.projectId}`;
  const latencies: Record<OpName, number[]> = { create: [], "join by code": [], ready: [], start: [], end: [] };
  const errors: string[] = [];
  let ops = 0;
  const lobbies: Lobby[] = Array.from({ length: options.lobbies }, (_, index) => ({
    index,
    ready: 0,
    sse: [],
    failed: false,
  }));

  /** One request; a status other than the expected one is an error and stops that lobby's script. */
  async function step<T>(lobby: Lobby, op: OpName, method: string, path: string, status: number, body?: unknown) {
    try {
      const result = await http.request<T>(method, path, body);
      ops++;
      if (result.status !== status) {
        lobby.failed = true;
        errors.push(`${op}: ${result.status} ${JSON.stringify(result.body).slice(0, 300)}`);
        return undefined;
      }
      latencies[op].push(result.ms);
      return result;
    } catch (error) {
      lobby.failed = true;
      errors.push(`${op}: ${(error as Error).message}`);
      return undefined;
    }
  }

  const queue = runQueue(
    options.inFlight,
    lobbies.map((lobby) => async () => {
      const created = await step<{ id: string; joinCode: string }>(lobby, "create", "POST", `${base}/gatherings`, 201, {
        name: `Load lobby ${lobby.index}`,
        type: "lobby",
        maxMembers: options.players,
      });
      if (!created) return;
      lobby.id = created.body.id;
      lobby.code = created.body.joinCode;
      if (lobby.index % options.sseEvery === 0) {
        lobby.watch = await watchSse(
          `${options.apiUrl}${base}/gatherings/${lobby.id}/events?after=0`,
          options.apiKey,
          (e) => lobby.sse.push(Number(e.id)),
        );
        report.check(lobby.watch.status === 200, `load: SSE for lobby ${lobby.index} answered ${lobby.watch.status}`);
      }
      for (let p = 0; p < options.players; p++) queue.push(() => joinAndReady(lobby, `player-${lobby.index}-${p}`));
    }),
    options.deadlineMs,
  );

  async function joinAndReady(lobby: Lobby, participantId: string): Promise<void> {
    const joined = await step(lobby, "join by code", "POST", `${base}/gatherings/join`, 200, {
      joinCode: lobby.code,
      participantId,
      displayName: participantId,
    });
    if (!joined) return;
    queue.push(async () => {
      const ready = await step(
        lobby,
        "ready",
        "POST",
        `${base}/gatherings/${lobby.id}/members/${participantId}/ready`,
        200,
      );
      if (!ready || ++lobby.ready < options.players) return;
      queue.push(async () => {
        if (!(await step(lobby, "start", "POST", `${base}/gatherings/${lobby.id}/start`, 200))) return;
        queue.push(async () => void (await step(lobby, "end", "POST", `${base}/gatherings/${lobby.id}/end`, 200)));
      });
    });
  }

  const reporter = setInterval(() => progress(`load: ${ops} requests done`), 10_000);
  const t0 = performance.now();
  try {
    await queue.start();
  } catch (error) {
    report.check(false, `load: ${(error as Error).message}`);
  } finally {
    clearInterval(reporter);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const acknowledgedAt = Date.now();
  progress(`load: ${ops} requests in ${fmt(elapsed, 1)} s (${fmt(ops / elapsed, 0)}/s), ${errors.length} errors`);
  for (const e of errors.slice(0, 5)) progress(`load: error: ${e}`);

  // ── The committed log, per lobby: versions 1..n, exactly once ───────────────────────────────────────
  const created = lobbies.filter((l) => l.id);
  const committed = new Map<string, number[]>();
  await runWorkers(8, created.length, async (i) => {
    const lobby = created[i]!;
    const versions: number[] = [];
    let start: Record<string, never> | undefined;
    const range = eventRangeAfter(0);
    do {
      const page = await options.dynamo.send(
        new QueryCommand({
          TableName: TABLE_NAME,
          KeyConditionExpression: "PK = :pk AND SK BETWEEN :a AND :b",
          ExpressionAttributeValues: {
            ":pk": { S: aggregatePk("gathering", devScope(options.projectId), lobby.id!) },
            ":a": { S: range.from },
            ":b": { S: range.to },
          },
          ProjectionExpression: "SK",
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      versions.push(...(page.Items ?? []).map((item) => Number(String(unmarshall(item).SK).slice(2))));
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    committed.set(lobby.id!, versions);
  });
  // created + a joined per player + owner.changed (first join) + a ready per player + started + ended
  const perLobby = 1 + options.players + 1 + options.players + 1 + 1;
  const totalCommitted = [...committed.values()].reduce((n, v) => n + v.length, 0);
  let logGaps = 0;
  for (const [id, versions] of committed) {
    if (!versions.every((v, i) => v === i + 1)) logGaps++;
    const lobby = created.find((l) => l.id === id)!;
    if (!lobby.failed && versions.length !== perLobby) {
      report.check(false, `load: lobby ${lobby.index} committed ${versions.length} events, expected ${perLobby}`);
    }
  }
  report.check(logGaps === 0, `load: ${logGaps} lobbies have a gap in their committed event log`);

  // ── Wait (bounded) until the channels have caught up ─────────────────────────────────────────────────
  const resources = new Set(created.map((l) => `gathering:${l.id}`));
  const countActivity = async () => {
    let count = 0;
    let start: Record<string, never> | undefined;
    do {
      const page = await options.dynamo.send(
        new QueryCommand({
          TableName: TABLE_NAME,
          KeyConditionExpression: "PK = :pk",
          ExpressionAttributeValues: { ":pk": { S: activityPk(devScope(options.projectId)) } },
          Select: "COUNT",
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return count;
  };
  const sampled = created.filter((l) => l.watch);
  const sseExpected = sampled.reduce((n, l) => n + committed.get(l.id!)!.length, 0);
  const sseReceived = () => sampled.reduce((n, l) => n + l.sse.length, 0);
  const functionCalls = () => readFunctionCalls(options.eventsFile).filter((c) => resources.has(c.resource));
  const deadline = Date.now() + 90_000;
  let activityCount = 0;
  let fnCount = 0;
  for (;;) {
    activityCount = await countActivity();
    fnCount = new Set(functionCalls().map((c) => c.id)).size;
    if (
      (activityCount >= totalCommitted && fnCount >= totalCommitted && sseReceived() >= sseExpected) ||
      Date.now() > deadline
    )
      break;
    await sleep(500);
  }
  const drainMs = Date.now() - acknowledgedAt;
  for (const lobby of sampled) lobby.watch!.close();
  progress(`load: delivered within ${fmt(drainMs / 1000, 1)} s of the last acknowledgement`);

  // ── Reconcile every channel against the log ──────────────────────────────────────────────────────────
  const activity = new Map<string, number[]>();
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await http.request<{ items: Array<{ resource: string; version: number }>; nextCursor?: string }>(
      "GET",
      `${base}/activity?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    if (!report.check(page.status === 200, `load: listing the activity log answered ${page.status}`)) break;
    for (const e of page.body.items) {
      if (!activity.has(e.resource)) activity.set(e.resource, []);
      activity.get(e.resource)!.push(e.version);
    }
    cursor = page.body.nextCursor;
  } while (cursor && ++pages < 10_000);
  const fnByResource = new Map<string, number[]>();
  for (const call of functionCalls()) {
    if (!fnByResource.has(call.resource)) fnByResource.set(call.resource, []);
    fnByResource.get(call.resource)!.push(call.version);
  }

  /** Per channel: events missing (gaps) and received more than once, against the committed versions. */
  const reconcile = (got: (id: string) => number[], lobbyIds: string[]) => {
    let delivered = 0;
    let missing = 0;
    let duplicates = 0;
    for (const id of lobbyIds) {
      const versions = got(id);
      const expected = committed.get(id) ?? [];
      const seen = new Set<number>();
      for (const v of versions) {
        if (seen.has(v)) duplicates++;
        seen.add(v);
      }
      delivered += seen.size;
      missing += expected.filter((v) => !seen.has(v)).length;
    }
    const expected = lobbyIds.reduce((n, id) => n + (committed.get(id)?.length ?? 0), 0);
    return { expected, delivered, missing, duplicates };
  };
  const ids = created.map((l) => l.id!);
  const channels = {
    "activity log (stream → EventBridge → recorder)": reconcile((id) => activity.get(`gathering:${id}`) ?? [], ids),
    "user functions (stream → EventBridge → function)": reconcile(
      (id) => fnByResource.get(`gathering:${id}`) ?? [],
      ids,
    ),
    [`SSE watchers (${sampled.length} of ${created.length} lobbies)`]: reconcile(
      (id) => created.find((l) => l.id === id)!.sse,
      sampled.map((l) => l.id!),
    ),
  };
  for (const [name, c] of Object.entries(channels)) {
    report.check(c.missing === 0, `load: ${name}: ${c.missing} of ${c.expected} events missing (gaps)`);
    if (name.startsWith("user functions")) {
      if (c.duplicates > 0) report.warn(`load: ${name}: ${c.duplicates} redelivered invocations (at-least-once)`);
    } else report.check(c.duplicates === 0, `load: ${name}: ${c.duplicates} duplicate events`);
  }
  report.check(errors.length === 0, `load: ${errors.length} requests failed (first: ${errors[0] ?? "–"})`);

  const all = Object.values(latencies).flat();
  const total = summarize(all);
  report.data.load = {
    lobbies: options.lobbies,
    players: options.players,
    inFlight: options.inFlight,
    requests: ops,
    seconds: round(elapsed),
    throughput: round(ops / elapsed),
    errors: errors.length,
    errorSamples: errors.slice(0, 10),
    committedEvents: totalCommitted,
    drainMs,
    latency: Object.fromEntries(
      Object.entries(latencies).map(([k, v]) => [
        k,
        Object.fromEntries(Object.entries(summarize(v)).map(([a, b]) => [a, round(b)])),
      ]),
    ),
    channels,
  };
  report.table({
    title: `Load: ${options.lobbies} lobbies × ${options.players} players (create, join by code, ready, start, end; ${options.inFlight} requests in flight)`,
    columns: ["measure", "value"],
    rows: [
      ["requests", ops],
      ["wall time s", fmt(elapsed, 1)],
      ["throughput requests/s", fmt(ops / elapsed, 0)],
      ["request latency p50 / p99 ms", `${fmt(total.p50, 1)} / ${fmt(total.p99, 1)}`],
      ...(Object.entries(latencies) as Array<[OpName, number[]]>).map(([op, v]): [string, string] => {
        const s = summarize(v);
        return [`  ${op} p50 / p99 ms`, `${fmt(s.p50, 1)} / ${fmt(s.p99, 1)}`];
      }),
      ["errors (5xx or unexpected 4xx)", errors.length],
      ["committed events (state changes)", totalCommitted],
      ...Object.entries(channels).map(([name, c]): [string, string] => [
        name,
        `${c.delivered}/${c.expected} delivered, ${c.missing} gaps, ${c.duplicates} duplicates`,
      ]),
      ["all delivered within (s after last ack)", fmt(drainMs / 1000, 1)],
    ],
  });
}
