/**
 * The API fuzzer, unbounded: starts a throwaway local runtime, aims generated requests at every route of
 * the OpenAPI document and reports what came back.
 *
 *   npm run fuzz -- [--runs 5000] [--seed 42]
 *
 * Exit status 1 when any request got a 5xx, a 4xx that is not problem+json, or a rejected request wrote.
 */
import { parseArgs } from "node:util";
import { buildFuzzWorld, runApiFuzz } from "../test/support/api-fuzz.js";
import { startRuntime } from "../test/support/runtime.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "2000" }, seed: { type: "string" } } });
const numRuns = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
process.stderr.write(`starting a throwaway runtime…\n`);
const rt = await startRuntime(["--in-memory", "--port", "0"]);
try {
  const world = await buildFuzzWorld(rt, "fuzz");
  process.stderr.write(`fuzzing ${numRuns} requests (seed ${seed})\n`);
  const report = await runApiFuzz(rt, world, {
    numRuns,
    seed,
    collectAll: true,
    onProgress: (r) => {
      if (r.requests % 250 === 0)
        process.stderr.write(`  ${r.requests}/${numRuns} requests, ${r.failures.length} failures\n`);
    },
  });
  const statuses = Object.entries(report.byStatus)
    .map(([status, count]) => `${status}×${count}`)
    .join(" ");
  process.stdout.write(`${report.requests} requests (seed ${seed}): ${statuses}\n`);
  process.stdout.write(`${report.failures.length} failures\n`);
  for (const failure of report.failures.slice(0, 50)) process.stdout.write(`  ${failure}\n`);
  process.exitCode = report.failures.length > 0 ? 1 : 0;
} finally {
  rt.process.kill("SIGINT");
  await rt.exited;
}
