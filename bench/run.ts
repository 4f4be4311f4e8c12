import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { localDynamo } from "./lib/dynamo.js";
import { BenchHttp } from "./lib/http.js";
import { markdownTable, progress, Report, textTable } from "./lib/report.js";
import { startBenchRuntime, type BenchRuntime } from "./lib/runtime.js";
import { capacitySuite, type CapacityResult } from "./suites/capacity.js";
import { coldStartSuite } from "./suites/cold-start.js";
import { costModel } from "./suites/cost.js";
import { latencySuite } from "./suites/latency.js";
import { loadSuite } from "./suites/load.js";
import { overheadSuite } from "./suites/overhead.js";
import { pluginCostModel } from "./suites/plugin-cost.js";
import { pluginsSuite } from "./suites/plugins.js";
import { scaleSuite } from "./suites/scale.js";
import { sdkSizeSuite } from "./suites/sdk-size.js";
import { sessionCostModel } from "./suites/session-cost.js";
import { sessionsSuite } from "./suites/sessions.js";
import { watchersSuite } from "./suites/watchers.js";

/**
 * `npm run bench`: starts the local runtime (in memory), runs the suites, prints a summary and writes
 * JSON + Markdown under bench/results/. Exits non-zero when a self-check FAILs (a missed goal is reported,
 * not failed). `-- --quick` runs every suite with small counts; `-- --only load,latency` runs a subset.
 */
const SUITES = [
  "cold-start",
  "sdk-size",
  "capacity",
  "overhead",
  "latency",
  "scale",
  "load",
  "sessions",
  "plugins",
  "watchers",
] as const;
type SuiteName = (typeof SUITES)[number];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
  },
});
const quick = values.quick;
const only = new Set((values.only?.split(",") ?? SUITES) as SuiteName[]);
for (const name of only)
  if (!SUITES.includes(name)) throw new Error(`unknown suite ${name}; one of ${SUITES.join(", ")}`);

const CONFIG = {
  coldStart: { runs: quick ? 3 : 10 },
  capacity: { lifecycles: quick ? 2 : 5 },
  overhead: {
    workers: 16,
    seq: quick ? { rounds: 2, block: 10, warmup: 5 } : { rounds: 10, block: 20, warmup: 10 },
    conc: quick ? { rounds: 2, perWorker: 2, warmup: 1 } : { rounds: 6, perWorker: 4, warmup: 1 },
    paced: quick ? { rounds: 2, block: 5, warmup: 1, pauseMs: 150 } : { rounds: 4, block: 12, warmup: 2, pauseMs: 150 },
    settleMs: 100,
  },
  latency: { events: quick ? 60 : 500, pauseMs: 20 },
  scale: { members: quick ? 1_000 : 10_000, measuredJoins: quick ? 50 : 200, listings: quick ? 1 : 3 },
  load: { lobbies: quick ? 20 : 200, players: 8, inFlight: 32, sseEvery: 10, deadlineMs: 240_000 },
  sessions: {
    speakers: 5,
    perSpeaker: quick ? 20 : 200,
    paced: { messages: quick ? 20 : 100, pauseMs: 50 },
    idle: { timeoutSeconds: 2, everyMs: 500, talkMs: quick ? 4_000 : 8_000 },
    inProcess: { messages: quick ? 5 : 20, batch: 5 },
  },
  plugins: {
    latency: { messages: quick ? 20 : 100, pauseMs: 100 },
    throughput: { speakers: 5, perSpeaker: quick ? 20 : 200, drainTimeoutMs: 180_000 },
    inProcess: { batches: quick ? 2 : 5, batchSize: 10, meetingUtterances: 1_800 },
  },
  watchers: {
    steps: quick ? [100, 500] : [100, 1_000, 5_000],
    gatherings: 200,
    hotShare: 0.2,
    changes: 40,
    pauseMs: 25,
  },
  /** The whole run must finish well inside the 10-minute budget. */
  budgetMs: 570_000,
};

const ROOT = fileURLToPath(new URL("../", import.meta.url));
process.chdir(ROOT);
const RESULTS = join(ROOT, "bench/results");
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const runDir = join(RESULTS, `run-${stamp}`);
mkdirSync(runDir, { recursive: true });
const eventsFile = join(runDir, "function-calls.jsonl");

const report = new Report();
const started = Date.now();
let runtime: BenchRuntime | undefined;
let http: BenchHttp | undefined;

async function shutdown(): Promise<void> {
  http?.close();
  await runtime?.stop();
}
const watchdog = setTimeout(() => {
  report.check(false, `the run exceeded its ${CONFIG.budgetMs / 60_000}-minute budget; stopping`);
  void shutdown().finally(() => process.exit(1));
}, CONFIG.budgetMs);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void shutdown().finally(() => process.exit(130)));
}

const suiteSeconds: Partial<Record<SuiteName, number>> = {};
async function suite(name: SuiteName, run: () => Promise<void>): Promise<void> {
  if (!only.has(name)) return;
  progress(`── ${name} ──`);
  const t0 = Date.now();
  try {
    await run();
  } catch (error) {
    report.check(false, `${name}: ${(error as Error).stack ?? String(error)}`);
  }
  const seconds = (Date.now() - t0) / 1000;
  suiteSeconds[name] = Math.round(seconds * 10) / 10;
  progress(`${name} done in ${seconds.toFixed(1)} s`);
}

const loadAtStart = loadavg();
progress(
  `${quick ? "quick run" : "full run"}: ${[...only].join(", ")} on ${cpus().length} cores, Node ${process.version}`,
);
try {
  await suite("cold-start", () =>
    coldStartSuite(report, { root: ROOT, outDir: join(runDir, "bundles"), runs: CONFIG.coldStart.runs }),
  );

  await suite("sdk-size", () => sdkSizeSuite(report, { root: ROOT }));

  // cold-start and sdk-size need no runtime; watchers starts its own (with the request counter and a higher
  // stream limit).
  const ownRuntime: readonly SuiteName[] = ["cold-start", "sdk-size", "watchers"];
  if (SUITES.some((s) => !ownRuntime.includes(s) && only.has(s))) {
    progress("starting the local runtime (in memory)…");
    const t0 = Date.now();
    try {
      runtime = await startBenchRuntime({ functionsModule: "bench/support/functions.ts", eventsFile });
      progress(`runtime up in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${runtime.apiUrl}`);
      http = new BenchHttp(runtime.apiUrl, runtime.apiKey);
    } catch (error) {
      report.check(false, `the local runtime did not start: ${(error as Error).message}`);
      for (const name of SUITES) if (name !== "cold-start") only.delete(name);
    }
  }
  const rt = runtime;
  const api = http;
  const dynamo = rt && localDynamo(rt.dynamodbEndpoint);
  const project = (name: string) => `bench-${name}-${stamp.toLowerCase().replace(/[^a-z0-9]/g, "")}`;

  let capacity: CapacityResult | undefined;
  await suite("capacity", async () => {
    capacity = await capacitySuite(report, {
      endpoint: rt!.dynamodbEndpoint,
      projectId: project("capacity"),
      ...CONFIG.capacity,
    });
    costModel(report, capacity);
  });
  await suite("overhead", async () => {
    await overheadSuite(report, { http: api!, dynamo: dynamo!, projectId: project("overhead"), ...CONFIG.overhead });
  });
  await suite("latency", () =>
    latencySuite(report, {
      http: api!,
      apiUrl: rt!.apiUrl,
      apiKey: rt!.apiKey,
      projectId: project("latency"),
      eventsFile,
      ...CONFIG.latency,
    }),
  );
  await suite("scale", () =>
    scaleSuite(report, { http: api!, dynamo: dynamo!, projectId: project("scale"), ...CONFIG.scale }),
  );
  await suite("load", () =>
    loadSuite(report, {
      http: api!,
      dynamo: dynamo!,
      apiUrl: rt!.apiUrl,
      apiKey: rt!.apiKey,
      projectId: project("load"),
      eventsFile,
      ...CONFIG.load,
    }),
  );
  await suite("sessions", async () => {
    const measured = await sessionsSuite(report, {
      apiUrl: rt!.apiUrl,
      apiKey: rt!.apiKey,
      botKey: rt!.botKey,
      dynamodbEndpoint: rt!.dynamodbEndpoint,
      projectId: project("sessions"),
      ...CONFIG.sessions,
    });
    sessionCostModel(report, measured);
  });
  await suite("plugins", async () => {
    const measured = await pluginsSuite(report, {
      apiUrl: rt!.apiUrl,
      apiKey: rt!.apiKey,
      botKey: rt!.botKey,
      dynamodbEndpoint: rt!.dynamodbEndpoint,
      projectId: project("plugins"),
      ...CONFIG.plugins,
    });
    await pluginCostModel(report, measured);
  });
  await suite("watchers", () => watchersSuite(report, CONFIG.watchers));
  dynamo?.destroy();
} finally {
  await shutdown();
  clearTimeout(watchdog);
}

// ── Summary ─────────────────────────────────────────────────────────────────────────────────────────────
const wallSeconds = (Date.now() - started) / 1000;
// The cost table is derived from the capacity suite: print it last, after the measurements.
const ordered = [
  ...report.tables.filter((t) => !t.title.startsWith("Cost")),
  ...report.tables.filter((t) => t.title.startsWith("Cost")),
];
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, ${(totalmem() / 1024 ** 3).toFixed(0)} GB, Node ${process.version}`;
const loadNote = `load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(" ")}, at end ${loadavg()
  .map((l) => l.toFixed(2))
  .join(" ")}`;
const goalLines = report.goals.map(
  (g) => `${g.met ? "met   " : "MISSED"}  ${g.name}: ${g.measured} (goal ${g.target})`,
);

process.stdout.write("\n" + ordered.map(textTable).join("\n\n") + "\n\nGoals\n" + goalLines.join("\n") + "\n");
for (const w of report.warnings) process.stdout.write(`WARN ${w}\n`);
for (const f of report.fails) process.stdout.write(`FAIL ${f}\n`);
process.stdout.write(
  `\n${report.fails.length === 0 ? "OK" : `${report.fails.length} FAIL`} — ${report.goals.filter((g) => g.met).length}/${report.goals.length} goals met; ` +
    `wall time ${wallSeconds.toFixed(0)} s; ${machine}; ${loadNote}\n`,
);

const markdown = [
  `## Performance`,
  "",
  `Measured by \`npm run bench\` on ${new Date(started).toISOString().slice(0, 16).replace("T", " ")} UTC: ${machine}; ` +
    `wall time ${wallSeconds.toFixed(0)} s; ${loadNote}.`,
  "",
  ...ordered.flatMap((t) => [markdownTable(t), ""]),
  "### Goals",
  "",
  ...report.goals.map((g) => `- ${g.met ? "met" : "**missed**"} — ${g.name}: ${g.measured} (goal ${g.target})`),
  ...(report.fails.length ? ["", "### FAIL", "", ...report.fails.map((f) => `- ${f}`)] : []),
  "",
].join("\n");
const json = {
  startedAt: new Date(started).toISOString(),
  wallSeconds,
  suiteSeconds,
  quick,
  suites: [...only],
  machine: { cores: cpus().length, model: cpus()[0]?.model, node: process.version, loadAtStart, loadAtEnd: loadavg() },
  config: CONFIG,
  goals: report.goals,
  fails: report.fails,
  warnings: report.warnings,
  results: report.data,
};
for (const name of [`bench-${stamp}`, "latest"]) {
  writeFileSync(join(RESULTS, `${name}.json`), JSON.stringify(json, null, 2) + "\n");
  writeFileSync(join(RESULTS, `${name}.md`), markdown);
}
// Bundles and the function-call log are kept only when something FAILed, for the diagnosis.
if (report.fails.length === 0) rmSync(runDir, { recursive: true, force: true });
progress(`results: bench/results/bench-${stamp}.{json,md} (and latest.*)`);
process.exit(report.fails.length === 0 ? 0 : 1);
