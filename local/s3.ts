import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Local S3 for debug audio: `s3rver` (S3's REST API on the file system) on 127.0.0.1, with the buckets
 * the stack creates. Clients address it by path (`forcePathStyle`); presigned GET URLs work, and s3rver
 * refuses them once expired (it does not check signatures).
 *
 * s3rver runs in a process of its own, with OpenSSL's legacy provider: its ListObjectsV2 continuation
 * tokens are DES-encrypted, which OpenSSL 3 (Node 17+) refuses otherwise, so listing past 1,000 keys would
 * fail. The tokens are opaque cursors, not a secret; the rest of the runtime keeps the default provider.
 */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>`: the S3Client `endpoint` (or AWS_ENDPOINT_URL_S3). */
  endpoint: string;
  /** Where the objects are (the temporary directory when none was given). */
  directory: string;
  stop(): Promise<void>;
}

export interface LocalS3Options {
  buckets: readonly string[];
  /** Where objects live; omitted = a temporary directory, removed on stop. */
  directory?: string;
  /** The access key clients sign with (the runtime's AWS_ACCESS_KEY_ID); s3rver refuses unknown ones. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Called when the process exits on its own after it started (requests then fail until a restart). */
  onExit?: (exit: { code: number | null; signal: NodeJS.Signals | null }) => void;
}

const PROCESS_SCRIPT = fileURLToPath(new URL("./s3-process.mjs", import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  const temporary = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), "cortex-s3-"));
  mkdirSync(directory, { recursive: true });
  const removeTemporary = () => {
    if (temporary) rmSync(directory, { recursive: true, force: true });
  };

  const child = fork(
    PROCESS_SCRIPT,
    [JSON.stringify({ directory, buckets: options.buckets, ...options.credentials })],
    // Only the legacy provider: not the parent's loaders (tsx, vitest), which the script does not need.
    { execArgv: ["--openssl-legacy-provider"], stdio: ["ignore", "ignore", "pipe", "ipc"] },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the local S3 did not start in time")), START_TIMEOUT_MS);
      child.once("message", (message: { port?: number; error?: string }) => {
        clearTimeout(timer);
        if (message.port) resolve(message.port);
        else reject(new Error(`the local S3 did not start: ${message.error}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the local S3 exited while starting (${signal ?? `code ${code}`}): ${stderr.trim()}`));
      });
    });
  } catch (error) {
    child.kill("SIGKILL");
    await exited;
    removeTemporary();
    throw error;
  }

  let stopped: Promise<void> | undefined;
  child.once("exit", (code, signal) => {
    if (!stopped) options.onExit?.({ code, signal });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
          if (child.connected) child.send("stop");
          else child.kill("SIGTERM");
          await exited;
          clearTimeout(timer);
        }
        removeTemporary();
      })()),
  };
}
