import { startRuntime, type RunningRuntime } from "../../test/support/runtime.js";

/**
 * The local runtime as `npm start -- --in-memory` starts it (one Node process running local/cli.ts, with
 * DynamoDB Local as its child), plus the bench's functions module, which records when each event reaches
 * a user function.
 */
export interface BenchRuntime extends RunningRuntime {
  stop(): Promise<void>;
}

export async function startBenchRuntime(options: {
  functionsModule: string;
  eventsFile: string;
}): Promise<BenchRuntime> {
  const rt = await startRuntime(["--in-memory", "--port", "0", "--functions", options.functionsModule], {
    LOG_LEVEL: "warn",
    BENCH_EVENTS_FILE: options.eventsFile,
  });
  return {
    ...rt,
    async stop() {
      if (rt.process.exitCode !== null) return;
      rt.process.kill("SIGINT");
      const timer = setTimeout(() => rt.process.kill("SIGKILL"), 15_000);
      await rt.exited;
      clearTimeout(timer);
    },
  };
}

/** The key scope of a project under the local runtime's dev key (tenant `local`, as `local/runtime.ts` mints it). */
export function devScope(projectId: string): { tenantId: string; projectId: string } {
  return { tenantId: "local", projectId };
}
