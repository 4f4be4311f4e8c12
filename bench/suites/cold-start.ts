import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { BASE_ENV, ENV, FUNCTION_ENV, type EnvName } from "../../shared/kernel/config.js";
import { LAMBDA_BUNDLING, localEngineAliases } from "../../infra/constructs/bundling.js";
import { fmt, median, percentile, round } from "../lib/stats.js";
import { progress, type Report } from "../lib/report.js";

/**
 * Cold start: every Lambda entry bundled with the stack's own options (LAMBDA_BUNDLING, which
 * infra/constructs/node-function.ts gives NodejsFunction: ESM, minified, node24, the createRequire banner,
 * the AWS SDK external, zod as zod/mini), then imported in fresh Node processes with the environment
 * it is deployed with. The bundles are written inside the repository, so the external AWS SDK resolves to
 * node_modules, unbundled as the runtime's copy is.
 */
export interface ColdStartOptions {
  root: string;
  outDir: string;
  runs: number;
}

const SIZE_GOAL_BYTES = 300 * 1024;
const LOAD_GOAL_MS = 100;

/** Dummy values of the right shape for the variables functions are deployed with (others get "bench"). */
const DUMMY: Partial<Record<string, string>> = {
  tableName: "cortex",
  eventBusName: "cortex",
  eventSource: "cortex",
  replayWindowDays: "7",
  logLevel: "info",
  webhookQueueUrl: "https://sqs.us-east-1.amazonaws.com/000000000000/webhook-deliveries",
  webhookAllowPrivateTargets: "false",
  webhookAllowHttp: "false",
  webhookRetryScale: "1",
  mailFrom: "Cortex <invitations@example.com>",
  publicBaseUrl: "https://api.example.com",
  sesConfigurationSet: "cortex",
  scheduleGroupName: "cortex",
  schedulerRoleArn: "arn:aws:iam::000000000000:role/scheduler",
  schedulerTargetArn: "arn:aws:lambda:us-east-1:000000000000:function:scheduler-target",
  userFunctionExport: "onGatheringMemberReady",
  profanityEngine: "comprehend",
  sentimentEngine: "comprehend",
  minutesEngine: "bedrock",
  pluginRetryScale: "1",
};

/** The variables of `entry` by their ENV name, as the stack gives them (the default AWS engines). */
function settingsOf(entry: string): Record<string, string> {
  return Object.fromEntries(namesOf(entry).map((name) => [name, DUMMY[name] ?? "bench"]));
}

function namesOf(entry: string): readonly EnvName[] {
  return entry in FUNCTION_ENV
    ? [...BASE_ENV, ...FUNCTION_ENV[entry as keyof typeof FUNCTION_ENV]]
    : // An entry FUNCTION_ENV does not declare: give it everything.
      (Object.keys(ENV) as EnvName[]);
}

export function functionEnv(entry: string): Record<string, string> {
  return {
    ...Object.fromEntries(namesOf(entry).map((name) => [ENV[name], DUMMY[name] ?? "bench"])),
    // What the Lambda runtime and the stack set.
    AWS_REGION: "us-east-1",
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDBENCH",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_LAMBDA_FUNCTION_NAME: entry,
    NODE_OPTIONS: "--enable-source-maps",
  };
}

/** Bytes in the bundle by origin: zod (and its locales), the AWS SDK, the project's own code, the rest. */
function compositionOf(inputs: Record<string, { bytesInOutput: number }>): Record<string, number> {
  const groups: Record<string, number> = {};
  const add = (group: string, bytes: number) => (groups[group] = (groups[group] ?? 0) + bytes);
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    if (path.includes("node_modules/zod/")) {
      add("zod", bytesInOutput);
      if (path.includes("/locales/")) add("zod locales", bytesInOutput);
    } else if (
      /node_modules\/(@aws-sdk|@smithy|@aws-crypto|@aws\/|fast-xml-parser|strnum|tslib|uuid|bowser)/.test(path)
    ) {
      add("AWS SDK", bytesInOutput);
    } else if (!path.includes("node_modules/")) add("project", bytesInOutput);
    else add("other", bytesInOutput);
  }
  return groups;
}

interface LoadRun {
  /** performance.now() around the dynamic import, inside the fresh process. */
  importMs: number;
  /**
   * CPU time (user + system, process.cpuUsage) of the same import: the work of loading the module, which a
   * loaded machine stretches far less than wall time (the goal is judged on wall time).
   */
  importCpuMs: number;
  /** The whole process: spawn to exit. */
  processMs: number;
}

function loadOnce(bundle: string, preload: string, env: Record<string, string>): Promise<LoadRun> {
  const script =
    `const c0 = process.cpuUsage(); const t0 = performance.now();` +
    `await import(${JSON.stringify(pathToFileURL(bundle).href)});` +
    `const t = performance.now() - t0; const c = process.cpuUsage(c0);` +
    `process.stdout.write("IMPORT_MS=" + t + " CPU_MS=" + (c.user + c.system) / 1000);`;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", pathToFileURL(preload).href, "--input-type=module", "-e", script],
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const processMs = performance.now() - started;
      const match = /IMPORT_MS=([\d.]+) CPU_MS=([\d.]+)/.exec(out);
      if (code !== 0 || !match) reject(new Error(`exit ${code}: ${out.slice(0, 600)}`));
      else resolve({ importMs: Number(match[1]), importCpuMs: Number(match[2]), processMs });
    });
  });
}

export async function coldStartSuite(report: Report, options: ColdStartOptions): Promise<void> {
  const entries = readdirSync(join(options.root, "functions"))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => f.replace(/\.ts$/, ""))
    .sort();
  const preload = join(options.root, "bench/support/awslambda-preload.mjs");
  const rows: Array<Array<string | number>> = [];
  const results: Record<string, unknown> = {};
  for (const entry of entries) {
    const dir = join(options.outDir, entry);
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, "index.mjs");
    const t0 = performance.now();
    let composition: Record<string, number> = {};
    try {
      const result = await build({
        absWorkingDir: options.root,
        entryPoints: [join(options.root, "functions", `${entry}.ts`)],
        outfile,
        bundle: true,
        ...LAMBDA_BUNDLING,
        mainFields: [...LAMBDA_BUNDLING.mainFields],
        banner: { js: LAMBDA_BUNDLING.banner },
        external: [...LAMBDA_BUNDLING.external],
        alias: {
          ...localEngineAliases(settingsOf(entry)),
          ...(entry === "user-function" && { "cortex-user-functions": "./user-functions/index.ts" }),
        },
        logLevel: "warning",
        metafile: true,
      });
      const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
      composition = compositionOf(output?.inputs ?? {});
    } catch (error) {
      report.check(false, `cold start: bundling functions/${entry}.ts failed: ${(error as Error).message}`);
      continue;
    }
    const bundleMs = performance.now() - t0;
    const bytes = statSync(outfile).size;
    const env = functionEnv(entry);
    const runs: LoadRun[] = [];
    let failure: string | undefined;
    for (let i = 0; i < options.runs && !failure; i++) {
      try {
        runs.push(await loadOnce(outfile, preload, env));
      } catch (error) {
        failure = (error as Error).message;
      }
    }
    if (!report.check(!failure, `cold start: functions/${entry}.ts bundle does not load: ${failure}`)) continue;
    const imports = runs.map((r) => r.importMs);
    const cpus = runs.map((r) => r.importCpuMs);
    const processes = runs.map((r) => r.processMs);
    const loadP50 = median(imports);
    results[entry] = {
      bytes,
      composition,
      bundleMs: round(bundleMs),
      importMs: imports.map((v) => round(v)),
      importCpuMs: cpus.map((v) => round(v)),
      processMs: processes.map((v) => round(v)),
      importP50: round(loadP50),
    };
    const ok = bytes <= SIZE_GOAL_BYTES && loadP50 <= LOAD_GOAL_MS;
    const kb = (group: string) => ((composition[group] ?? 0) / 1024).toFixed(0);
    rows.push([
      entry,
      (bytes / 1024).toFixed(1),
      `${kb("zod")} (${kb("zod locales")})`,
      kb("AWS SDK"),
      kb("project"),
      fmt(loadP50),
      fmt(percentile(imports, 90)),
      fmt(median(cpus)),
      fmt(median(processes)),
      ok ? "met" : "MISSED",
    ]);
    report.goal(
      `cold start ${entry}`,
      "≤ 300 KB and ≤ 100 ms",
      `${(bytes / 1024).toFixed(1)} KB, ${fmt(loadP50)} ms`,
      ok,
    );
    progress(`cold start: ${entry} ${(bytes / 1024).toFixed(1)} KB, import p50 ${fmt(loadP50)} ms`);
  }
  report.data.coldStart = results;
  report.table({
    title: `Cold start: bundle size and module load in a fresh Node process (median of ${options.runs})`,
    columns: [
      "function",
      "KB (minified)",
      "zod KB (locales)",
      "AWS SDK KB",
      "own code KB",
      "import p50 ms",
      "import p90 ms",
      "import CPU p50 ms",
      "process p50 ms",
      "goal ≤300 KB, ≤100 ms",
    ],
    rows,
    notes: [
      "Bundled with the stack's LAMBDA_BUNDLING (infra/constructs/bundling.ts: esbuild ESM, minify, node24, AWS SDK external, zod as zod/mini); the external SDK loads from node_modules as from the runtime; " +
        "composition from esbuild's metafile (AWS SDK = @aws-sdk, @smithy, @aws-crypto and their helpers); " +
        "`import` timed inside the process with NODE_OPTIONS=--enable-source-maps as deployed (wall, and CPU = user + system time of the same import); process = spawn to exit.",
      "Not in these figures: http-api and user-function import the S3 client (debug audio) on the first request that needs it, ~30 ms of CPU then (shared/adapters/aws/s3-debug-audio.ts).",
    ],
  });
}
