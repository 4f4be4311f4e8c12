import { readFileSync } from "node:fs";
import { request, type ClientRequest } from "node:http";
import { onEventStreamBlocks, parseEventStreamBlock } from "../../test/support/sse-blocks.js";
import { startRuntime, type RunningRuntime } from "../../test/support/runtime.js";
import { runWorkers, sleep } from "../lib/pool.js";
import { progress, type Report } from "../lib/report.js";
import { fmt, round, summarize } from "../lib/stats.js";
import { P50_GOAL, P99_GOAL } from "./latency.js";

/**
 * Watchers: many concurrent SSE watchers on one local runtime, served by the in-memory fan-out
 * (shared/app/live/hub.ts). 200 gatherings plus one hot gathering; watchers are opened in steps (100,
 * 1,000, 5,000, a fifth of them on the hot gathering) and at each step the same paced changes are made:
 * the requests reaching DynamoDB Local are counted (the runtime's counting pass-through) and compared with
 * the same changes made with no watcher, so the reads the live path adds per delivered event are
 * measured, not estimated. At 5,000: commit → client latency (the event's occurredAt to the moment its
 * block is complete at the client), every watcher gapless, and the runtime's memory per idle connection.
 * Runs its own runtime: it needs the counter and a per-key stream limit above 5,000.
 */
export interface WatchersOptions {
  steps: number[];
  gatherings: number;
  /** Share of each step's watchers on the hot gathering. */
  hotShare: number;
  /** Changes per step: half on the hot gathering, half spread over the others. */
  changes: number;
  pauseMs: number;
}

interface Watcher {
  gathering: number;
  after: number;
  versions: number[];
  latencies: number[];
  opened: boolean;
  req?: ClientRequest;
}

const READS = ["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"];

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith("VmRSS:"));
  return Number(/(\d+)/.exec(line ?? "")?.[1] ?? 0) * 1024;
}

export async function watchersSuite(report: Report, options: WatchersOptions): Promise<void> {
  const most = Math.max(...options.steps);
  const rt: RunningRuntime = await startRuntime(["--in-memory"], {
    CORTEX_LOCAL_COUNT_DYNAMODB: "true",
    SSE_MAX_STREAMS_PER_KEY: String(most * 2),
    // The watchers open as fast as the runtime accepts them, all with one key: the key's rate limit
    // (500/s, burst 1,000 by default) is not what this suite measures, and it made a full run fail by timing.
    CORTEX_RATE_LIMIT_PER_SECOND: String(most * 10),
    CORTEX_RATE_LIMIT_BURST: String(most * 2),
    // The safety read (one query per watched gathering per SSE_SAFETY_POLL_SECONDS, 20 s by default) is
    // time-based, not per event: moved out of the measured windows so the per-event figure is just that.
    SSE_SAFETY_POLL_SECONDS: "600",
    LOG_LEVEL: "warn",
  });
  const watchers: Watcher[] = [];
  try {
    const projectId = `bench-watchers-${Date.now().toString(36)}`;
    const auth = { Authorization: `Bearer ${rt.apiKey}`, "Content-Type": "application/json" };
    const call = async (method: string, path: string, body?: unknown): Promise<{ id: string; version: number }> => {
      const response = await fetch(`${rt.apiUrl}/v1/projects/${projectId}${path}`, {
        method,
        headers: auth,
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return JSON.parse(text) as { id: string; version: number };
    };
    const reads = async (): Promise<number> => {
      const response = await fetch(`${rt.apiUrl}/local/dynamodb/requests`, { headers: auth });
      const { counts } = (await response.json()) as { counts: Record<string, number> };
      return READS.reduce((sum, op) => sum + (counts[op] ?? 0), 0);
    };

    // Gathering 0 is the hot one.
    const ids: string[] = new Array(options.gatherings + 1);
    const versions: number[] = new Array(options.gatherings + 1).fill(0);
    await runWorkers(8, options.gatherings + 1, async (i) => {
      const g = await call("POST", "/gatherings", { name: `watched ${i}`, type: "open" });
      ids[i] = g.id;
      versions[i] = g.version;
    });
    progress(`watchers: ${options.gatherings + 1} gatherings created`);

    let member = 0;
    /** Paced changes: half on the hot gathering, half round-robin over the others. */
    const change = async (): Promise<number[]> => {
      const touched: number[] = [];
      for (let i = 0; i < options.changes; i++) {
        const g = i % 2 === 0 ? 0 : 1 + ((member + i) % options.gatherings);
        await call("POST", `/gatherings/${ids[g]}/members`, { participantId: `m${member++}` });
        versions[g]!++;
        touched.push(g);
        await sleep(options.pauseMs);
      }
      return touched;
    };

    // Baseline: the reads of the changes themselves, with nobody watching.
    let r0 = await reads();
    await change();
    const baseline = (await reads()) - r0;
    const baselinePerEvent = baseline / options.changes;

    const open = (w: Watcher) => {
      const target = new URL(`${rt.apiUrl}/v1/projects/${projectId}/gatherings/${ids[w.gathering]}/events`);
      return new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: target.hostname,
            port: Number(target.port),
            path: target.pathname,
            agent: false,
            headers: {
              Accept: "text/event-stream",
              Authorization: auth.Authorization,
              "Last-Event-ID": String(w.after),
            },
          },
          (res) => {
            if (res.statusCode !== 200) {
              let problem = "";
              res.setEncoding("utf8");
              res.on("data", (chunk: string) => (problem += chunk));
              res.on("end", () => reject(new Error(`watch answered ${res.statusCode}: ${problem.slice(0, 300)}`)));
              return;
            }
            w.opened = true;
            res.setEncoding("utf8");
            res.on(
              "data",
              onEventStreamBlocks((block) => {
                const at = Date.now();
                const { id, data } = parseEventStreamBlock(block);
                if (!id) return;
                const occurredAt = data && /"occurredAt":"([^"]+)"/.exec(data)?.[1];
                w.versions.push(Number(id));
                if (occurredAt) w.latencies.push(at - Date.parse(occurredAt));
              }),
            );
            resolve();
          },
        );
        req.on("error", reject);
        req.end();
        w.req = req;
      });
    };

    const pid = rt.process.pid!;
    const rssBefore = rssBytes(pid);
    const rows: Array<Array<string | number>> = [];
    let latencyAtMax: ReturnType<typeof summarize> | undefined;
    for (const step of options.steps) {
      const hot = Math.round(step * options.hotShare);
      const adding: Watcher[] = [];
      const hotHave = watchers.filter((w) => w.gathering === 0).length;
      for (let i = hotHave; i < hot; i++)
        adding.push({ gathering: 0, after: 0, versions: [], latencies: [], opened: false });
      const othersHave = watchers.length - hotHave;
      for (let i = othersHave; i < step - hot; i++) {
        adding.push({ gathering: 1 + (i % options.gatherings), after: 0, versions: [], latencies: [], opened: false });
      }
      for (const w of adding) w.after = versions[w.gathering]!;
      const t0 = Date.now();
      await runWorkers(32, adding.length, (i) => open(adding[i]!));
      watchers.push(...adding);
      progress(`watchers: ${watchers.length} open (+${adding.length} in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      await sleep(1_000);
      const idleRss = rssBytes(pid);

      for (const w of watchers) w.latencies = [];
      r0 = await reads();
      await change();
      const deadline = Date.now() + 60_000;
      while (watchers.some((w) => (w.versions.at(-1) ?? w.after) < versions[w.gathering]!)) {
        if (Date.now() > deadline) break;
        await sleep(50);
      }
      const stepReads = (await reads()) - r0;
      const delivered = options.changes;
      const lagging = watchers.filter((w) => (w.versions.at(-1) ?? w.after) < versions[w.gathering]!).length;
      report.check(lagging === 0, `watchers: ${lagging} of ${watchers.length} watchers did not get every change`);
      const latency = summarize(watchers.flatMap((w) => w.latencies));
      if (step === most) latencyAtMax = latency;
      const perEvent = stepReads / delivered;
      rows.push([
        watchers.length,
        hot,
        delivered,
        latency.n,
        round(perEvent, 2),
        round(Math.max(0, perEvent - baselinePerEvent), 2),
        fmt(latency.p50),
        fmt(latency.p99),
        round((idleRss - rssBefore) / 1024 / watchers.length, 1),
      ]);
      report.data[`watchers.${watchers.length}`] = {
        hot,
        events: delivered,
        deliveries: latency.n,
        readsPerEvent: perEvent,
        liveReadsPerEvent: perEvent - baselinePerEvent,
        latency,
        rssBytes: idleRss,
      };
    }

    const gapless = watchers.every((w) => w.versions.every((v, i) => v === w.after + 1 + i));
    report.check(gapless, "watchers: a watcher saw a gap or a duplicate");
    const memoryPerConnection = (rssBytes(pid) - rssBefore) / most;
    report.table({
      title: `Live delivery: ${most.toLocaleString("en")} SSE watchers on one local runtime (in-memory fan-out)`,
      columns: [
        "watchers",
        "on the hot gathering",
        "changes",
        "deliveries",
        "DynamoDB reads / event (all)",
        "reads / event added by the live path",
        "commit→client p50 ms",
        "p99 ms",
        "runtime RSS / idle connection KiB",
      ],
      rows,
      notes: [
        `Changes are member joins paced ${options.pauseMs} ms apart, half on the hot gathering, half spread over ${options.gatherings} others; ` +
          `"all" counts every read request reaching DynamoDB Local during the changes (the API's own reads: ${round(baselinePerEvent, 2)} per change with no watcher).`,
        `Every watcher gapless: ${gapless ? "yes" : "NO"}. Memory: the runtime process's RSS growth per open connection (DynamoDB Local runs apart).`,
        `Not in the per-event figure: the safety read, one query per watched gathering per 20 s while it has watchers ` +
          `(${options.gatherings + 1} gatherings → at most ${round((options.gatherings + 1) / 20, 1)} reads/s, whatever the number of watchers), ` +
          "and one catch-up query per new stream (when it opens).",
      ],
    });
    if (latencyAtMax) {
      report.goal(
        `commit → client with ${most.toLocaleString("en")} watchers`,
        `p50 ≤ ${P50_GOAL} ms, p99 ≤ ${P99_GOAL} ms`,
        `p50 ${fmt(latencyAtMax.p50)} ms, p99 ${fmt(latencyAtMax.p99)} ms`,
        latencyAtMax.p50 <= P50_GOAL && latencyAtMax.p99 <= P99_GOAL,
      );
    }
    const live = rows.map((r) => Number(r[5]));
    report.goal(
      "DynamoDB reads per delivered event independent of the number of watchers",
      "the same at every step",
      live.map((v, i) => `${options.steps[i]}: ${v}`).join(", "),
      Math.max(...live) - Math.min(...live) <= 0.5,
    );
    report.data["watchers.memoryPerConnectionBytes"] = memoryPerConnection;
  } finally {
    for (const w of watchers) w.req?.destroy();
    rt.process.kill("SIGINT");
    const timer = setTimeout(() => rt.process.kill("SIGKILL"), 15_000);
    await rt.exited;
    clearTimeout(timer);
  }
}
