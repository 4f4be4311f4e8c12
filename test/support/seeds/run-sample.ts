import { spawn } from "node:child_process";
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Runs one seed sample (a file in this folder) the way a reader would — `node` on the file, with the
 * API key in CORTEX_API_KEY — plus a preload that points the sample's hard-coded hosted origin at the
 * local runtime. Samples that watch forever are stopped by the test once it has seen what it asserts.
 */
export interface SampleResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningSample {
  stdout(): string;
  stderr(): string;
  /** Whether the sample is still running. */
  running(): boolean;
  /** Resolves with stdout once `pattern` matches it; rejects if the sample exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the sample exits by itself. */
  exited: Promise<SampleResult>;
  /** Stops the sample (SIGTERM) and resolves with what it printed. */
  stop(): Promise<SampleResult>;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** `file`: a sample of this folder by name, or any sample file by absolute path. */
export function runSample(
  file: string,
  runtime: { apiUrl: string; apiKey: string },
  env: Record<string, string> = {},
): RunningSample {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--import", here("./preload.mjs"), isAbsolute(file) ? file : here(`./${file}`)],
    {
      env: {
        ...process.env,
        CORTEX_API_KEY: runtime.apiKey,
        CORTEX_SEED_API_URL: runtime.apiUrl,
        NODE_NO_WARNINGS: "1",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  const watchers = new Set<() => void>();
  let closed = false;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const check of [...watchers]) check();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<SampleResult>((resolve) =>
    // "close", not "exit": the output streams may still hold data when the process exits.
    child.once("close", (code, signal) => {
      closed = true;
      for (const check of [...watchers]) check();
      resolve({ stdout, stderr, code, signal });
    }),
  );

  return {
    stdout: () => stdout,
    stderr: () => stderr,
    running: () => !closed,
    exited,
    waitFor(pattern, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(
              `${file} did not print ${pattern} within ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          if (pattern.test(stdout)) {
            clearTimeout(timer);
            watchers.delete(check);
            resolve(stdout);
          } else if (closed) {
            clearTimeout(timer);
            watchers.delete(check);
            reject(
              new Error(
                `${file} exited (${child.exitCode}) before printing ${pattern}.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
              ),
            );
          }
        };
        watchers.add(check);
        check();
      });
    },
    async stop() {
      if (!closed) child.kill("SIGTERM");
      return exited;
    },
  };
}
