import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { freePort } from "../ports.js";

/**
 * AWS's DynamoDB Local (Java), bound to 127.0.0.1 by our launcher (local/dynamodb/LoopbackDynamoDBLocal.java,
 * compiled by `npm run setup`). The child exits when its stdin closes, so even a SIGKILLed parent leaves
 * no Java process behind.
 */
export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** False from the moment the Java process exits on its own until a restart is ready. */
  isUp(): boolean;
  /** How many times it was restarted after exiting on its own. */
  restarts(): number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Directory for the database file; omitted = in memory. */
  dataDir?: string;
  port?: number;
  root?: string;
  /**
   * Called when the Java process exits on its own (killed, crashed). With a data directory it is then
   * restarted on the same port and data; in memory it is not (its data is gone), and `onGiveUp` is called.
   */
  onExit?: (info: { code: number | null; signal: NodeJS.Signals | null }) => void;
  onRestart?: (info: { restarts: number }) => void;
  /** Restarting failed (or is pointless): the endpoint stays down. */
  onGiveUp?: (error: Error) => void;
  /** Restarts allowed within 60 s before giving up. Default 5. */
  maxRestartsPerMinute?: number;
}

export class JavaMissingError extends Error {
  constructor() {
    super(
      "Java was not found on PATH. DynamoDB Local needs Java 17 or newer:\n" +
        "  Debian/Ubuntu: sudo apt-get install -y openjdk-17-jdk-headless\n" +
        "  macOS:         brew install openjdk@17",
    );
    this.name = "JavaMissingError";
  }
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const root = options.root ?? process.cwd();
  const home = resolve(root, ".cache", "dynamodb-local");
  if (spawnSync("java", ["-version"]).error) throw new JavaMissingError();
  if (!existsSync(join(home, "launcher", "LoopbackDynamoDBLocal.class"))) {
    throw new Error("DynamoDB Local is not installed: run `npm run setup` (npm start and npm test do it for you)");
  }
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  const storage = dataDir ? ["-dbPath", dataDir] : ["-inMemory"];
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const classpath = [
    join(home, "launcher"),
    join(home, "DynamoDBLocal.jar"),
    join(home, "DynamoDBLocal_lib", "*"),
  ].join(delimiter);
  const launch = () =>
    spawn(
      "java",
      [
        `-Djava.library.path=${join(home, "DynamoDBLocal_lib")}`,
        "-Xms64m",
        "-cp",
        classpath,
        "LoopbackDynamoDBLocal",
        "-port",
        String(port),
        "-sharedDb",
        "-disableTelemetry",
        ...storage,
      ],
      // cwd: DynamoDB Local drops a metadata file into its working directory.
      { stdio: ["pipe", "pipe", "pipe"], cwd: home },
    );
  let child = launch();
  await waitForReady(child);

  let stopping = false;
  let up = true;
  let restarts = 0;
  const recentRestarts: number[] = [];
  const maxPerMinute = options.maxRestartsPerMinute ?? 5;
  const giveUp = (error: Error) => {
    up = false;
    options.onGiveUp?.(error);
  };
  const supervise = (current: ChildProcess) =>
    current.once("exit", (code, signal) => {
      if (stopping) return;
      up = false;
      options.onExit?.({ code, signal });
      if (!dataDir) {
        giveUp(new Error("DynamoDB Local (in memory) exited; its data is gone, so it is not restarted"));
        return;
      }
      void restart();
    });
  async function restart(): Promise<void> {
    for (;;) {
      if (stopping) return;
      const now = Date.now();
      while (recentRestarts.length > 0 && recentRestarts[0]! < now - 60_000) recentRestarts.shift();
      if (recentRestarts.length >= maxPerMinute) {
        giveUp(
          new Error(`DynamoDB Local exited ${recentRestarts.length + 1} times within a minute; not restarting it`),
        );
        return;
      }
      recentRestarts.push(now);
      const next = launch();
      try {
        await waitForReady(next);
      } catch {
        await new Promise((r) => setTimeout(r, 1_000));
        continue;
      }
      if (stopping) {
        await stopChild(next);
        return;
      }
      child = next;
      up = true;
      restarts++;
      supervise(child);
      options.onRestart?.({ restarts });
      return;
    }
  }
  supervise(child);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    isUp: () => up,
    restarts: () => restarts,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let output = "";
    // Generous: on a loaded 2-core machine the JVM can take far longer than its usual 2–3 s.
    const timer = setTimeout(() => fail(new Error(`DynamoDB Local did not start within 120 s:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("READY 127.0.0.1:")) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolveReady();
      }
    };
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) =>
      fail(new Error(`DynamoDB Local exited (code ${code}) before it was ready:\n${output}`)),
    );
    child.once("error", fail);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.stdin?.end(); // the launcher's watchdog halts the JVM
    child.kill("SIGTERM");
  });
}
