import { readFunctionCalls } from "../lib/function-log.js";
import { expectStatus, type BenchHttp } from "../lib/http.js";
import { sleep } from "../lib/pool.js";
import { progress, type Report } from "../lib/report.js";
import { fmt, round, summarize } from "../lib/stats.js";
import { watchSse, type SseEvent } from "../lib/sse.js";

/**
 * Event latency: from a member change acknowledged over HTTP (the response has arrived) to (a) an SSE
 * client of the gathering receiving its event, and (b) a user function being invoked with it (the bench
 * functions module records Date.now() per event). Changes are issued one after another with a short
 * pause, so the figures are per-event latencies at a light, steady rate — not under load.
 */
export interface LatencyOptions {
  http: BenchHttp;
  apiUrl: string;
  apiKey: string;
  projectId: string;
  events: number;
  pauseMs: number;
  eventsFile: string;
}

export const P50_GOAL = 100;
export const P99_GOAL = 300;

export async function latencySuite(report: Report, options: LatencyOptions): Promise<void> {
  const { http } = options;
  const base = `/v1/projects/${options.projectId}`;
  const created = expectStatus(
    await http.request<{ id: string; joinCode: string; version: number }>("POST", `${base}/gatherings`, {
      name: "Latency open space",
      type: "open",
    }),
    201,
    "create",
  );
  const gathering = created.body;
  const received = new Map<number, SseEvent>();
  let duplicates = 0;
  const watch = await watchSse(
    `${options.apiUrl}${base}/gatherings/${gathering.id}/events?after=${gathering.version}`,
    options.apiKey,
    (event) => {
      const version = Number(event.id);
      if (received.has(version)) duplicates++;
      else received.set(version, event);
    },
  );
  report.check(watch.status === 200, `latency: SSE answered ${watch.status}`);

  // version → when the commit that produced it was acknowledged, for member joined/ready events.
  const acknowledged = new Map<number, { at: number; type: string }>();
  let version = gathering.version;
  let n = 0;
  for (let i = 0; acknowledged.size < options.events; i++) {
    const participantId = `lat-${i}`;
    const joined = expectStatus(
      await http.request<{ gathering: { version: number } }>("POST", `${base}/gatherings/join`, {
        joinCode: gathering.joinCode,
        participantId,
      }),
      200,
      "join",
    );
    // The first join also makes the joiner owner (a second event in the same commit): the joined event is the first.
    acknowledged.set(version + 1, { at: joined.at, type: "gathering.member.joined" });
    version = joined.body.gathering.version;
    await sleep(options.pauseMs);
    if (acknowledged.size >= options.events) break;
    const ready = expectStatus(
      await http.request<{ gathering: { version: number } }>(
        "POST",
        `${base}/gatherings/${gathering.id}/members/${participantId}/ready`,
      ),
      200,
      "ready",
    );
    acknowledged.set(version + 1, { at: ready.at, type: "gathering.member.ready" });
    version = ready.body.gathering.version;
    await sleep(options.pauseMs);
    if (++n % 100 === 0) progress(`latency: ${acknowledged.size}/${options.events} changes committed`);
  }

  // Wait (bounded) for both paths to catch up.
  const resource = `gathering:${gathering.id}`;
  const functionCalls = () => readFunctionCalls(options.eventsFile).filter((c) => c.resource === resource);
  const deadline = Date.now() + 30_000;
  const complete = () => {
    const calls = new Set(functionCalls().map((c) => c.version));
    return [...acknowledged.keys()].every((v) => received.has(v) && calls.has(v));
  };
  while (!complete() && Date.now() < deadline) await sleep(200);
  watch.close();

  const sse: number[] = [];
  const fn: number[] = [];
  const firstCall = new Map<number, number>();
  let fnDuplicates = 0;
  for (const call of functionCalls()) {
    if (firstCall.has(call.version)) fnDuplicates++;
    else firstCall.set(call.version, call.at);
  }
  let missingSse = 0;
  let missingFn = 0;
  for (const [v, ack] of acknowledged) {
    const event = received.get(v);
    if (event) sse.push(event.at - ack.at);
    else missingSse++;
    const at = firstCall.get(v);
    if (at !== undefined) fn.push(at - ack.at);
    else missingFn++;
  }
  report.check(missingSse === 0, `latency: ${missingSse} of ${acknowledged.size} events never reached the SSE client`);
  report.check(missingFn === 0, `latency: ${missingFn} of ${acknowledged.size} events never reached the user function`);
  report.check(duplicates === 0, `latency: the SSE client received ${duplicates} duplicate event ids`);
  if (fnDuplicates > 0) report.warn(`latency: ${fnDuplicates} user-function invocations were redeliveries`);

  const s = summarize(sse);
  const f = summarize(fn);
  const rows = [
    ["commit ack → SSE client", s],
    ["commit ack → user function", f],
  ] as const;
  for (const [path, summary] of rows) {
    const met = summary.p50 <= P50_GOAL && summary.p99 <= P99_GOAL;
    report.goal(
      `latency ${path}`,
      `p50 ≤ ${P50_GOAL} ms, p99 ≤ ${P99_GOAL} ms`,
      `${fmt(summary.p50, 0)} / ${fmt(summary.p99, 0)} ms`,
      met,
    );
    progress(`latency: ${path}: p50 ${fmt(summary.p50, 0)} ms, p99 ${fmt(summary.p99, 0)} ms (n=${summary.n})`);
  }
  report.data.latency = {
    events: acknowledged.size,
    sse: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v)])),
    userFunction: Object.fromEntries(Object.entries(f).map(([k, v]) => [k, round(v)])),
    duplicates: { sse: duplicates, userFunction: fnDuplicates },
  };
  report.table({
    title: `Event latency over ${acknowledged.size} member changes (ms; one change every ~${options.pauseMs} ms + its round trip)`,
    columns: ["path", "n", "p50", "p90", "p99", "max", `goal p50 ≤ ${P50_GOAL}, p99 ≤ ${P99_GOAL}`],
    rows: rows.map(([path, x]) => [
      path,
      x.n,
      fmt(x.p50, 0),
      fmt(x.p90, 0),
      fmt(x.p99, 0),
      fmt(x.max, 0),
      x.p50 <= P50_GOAL && x.p99 <= P99_GOAL ? "met" : "MISSED",
    ]),
    notes: [
      "From the moment the HTTP response of the change is complete at the client. SSE: the local SSE function polls " +
        "the event log every SSE_POLL_INTERVAL_MS (50 ms). User function: DynamoDB stream poller (50 ms idle wait) → " +
        "stream publisher → local EventBridge → rule → function; times are Date.now() in both processes (same clock).",
    ],
  });
}
