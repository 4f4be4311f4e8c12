import { spawn, type ChildProcess } from "node:child_process";
import { createConnection } from "node:net";
import { inject } from "vitest";

/**
 * The runtime the global setup started for the whole run (in memory, default settings). Tests isolate
 * themselves with their own project ids; tests that need other settings, or to stop or kill a runtime,
 * start their own with `startRuntime`.
 */
export function sharedRuntime(): RuntimeEndpoints {
  return inject("sharedRuntime");
}

/** Where a running local runtime can be reached (what tests need of it). */
export interface RuntimeEndpoints {
  apiUrl: string;
  apiKey: string;
  /** The dev bot key (`credential: "bot"`). */
  botKey: string;
  /** The local bot command queue; its origin is the local SQS endpoint. */
  botCommandQueueUrl: string;
  dynamodbEndpoint: string;
  inboxUrl: string;
}

/** The local runtime started the way `npm start` starts it (one Node process running local/cli.ts). */
export interface RunningRuntime extends RuntimeEndpoints {
  process: ChildProcess;
  output: () => string;
  /** Resolves with the exit code/signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startRuntime(args: string[], env: Record<string, string> = {}): Promise<RunningRuntime> {
  // Port 0: the API binds a port the OS picks at that moment and the banner names it. A port chosen here
  // and bound seconds later, once the runtime is up, could be taken by another runtime in between.
  const child = spawn(process.execPath, ["--import", "tsx", "local/cli.ts", ...args], {
    env: { ...process.env, PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 180_000;
  while (!/Ctrl-C stops everything/.test(out)) {
    if (child.exitCode !== null) throw new Error(`runtime exited early:\n${out}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`runtime did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const field = (label: string) => new RegExp(`${label}\\s+(\\S+)`).exec(out)?.[1] ?? "";
  return {
    process: child,
    apiUrl: field("API"),
    apiKey: field("API key"),
    botKey: field("Bot key"),
    botCommandQueueUrl: field("Bot commands"),
    dynamodbEndpoint: field("DynamoDB"),
    inboxUrl: field("Email inbox"),
    output: () => out,
    exited,
  };
}

/** True when something accepts TCP connections at the URL's host and port. */
export function isListening(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function eventually<T>(probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Moves a runtime's clock forward (`POST /local/clock`): schedules come due and events leave the replay
 * window without waiting. Only on a runtime of the test's own: the shared one serves concurrent tests.
 */
export async function advanceClock(rt: RuntimeEndpoints, seconds: number): Promise<Date> {
  const response = await fetch(`${rt.apiUrl}/local/clock`, {
    method: "POST",
    headers: { Authorization: `Bearer ${rt.apiKey}`, "Content-Type": "application/json" },
    body: JSON.stringify({ advanceSeconds: seconds }),
  });
  if (response.status !== 200)
    throw new Error(`advancing the clock failed: ${response.status} ${await response.text()}`);
  return new Date(((await response.json()) as { now: string }).now);
}

/** Writes per schedule name (`GET /local/scheduler/writes`), as the local scheduler counted them. */
export interface ScheduleWritesReport {
  /** Successful creates, updates and deletes; `refused`: write requests that failed (conflict, not found). */
  writes: Record<string, { create: number; update: number; delete: number; refused: number }>;
  /** The successful writes, all names together. */
  total: number;
}

/**
 * The local scheduler's successful CreateSchedule/UpdateSchedule/DeleteSchedule calls (and refused ones,
 * apart) for schedules whose name starts with `prefix` (a session's schedules start with its id), since the
 * runtime started.
 */
export async function scheduleWrites(rt: RuntimeEndpoints, prefix: string): Promise<ScheduleWritesReport> {
  const response = await fetch(`${rt.apiUrl}/local/scheduler/writes?prefix=${encodeURIComponent(prefix)}`, {
    headers: { Authorization: `Bearer ${rt.apiKey}` },
  });
  if (response.status !== 200)
    throw new Error(`reading schedule writes failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as ScheduleWritesReport;
}
