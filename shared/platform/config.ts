/**
 * Fail-fast configuration: a handler module reads what it needs at load time, so a missing variable
 * fails the cold start with a clear message instead of the first request.
 */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`environment variable ${name} is required but not set`);
  }
  return value;
}

export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === "" ? fallback : value;
}

export function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`environment variable ${name} must be a number, got "${raw}"`);
  return value;
}

/** How long event items stay in the table for SSE resume and replay, unless configured. */
export const DEFAULT_REPLAY_WINDOW_DAYS = 7;

/** Names of the variables the stack sets on every function; the local runtime sets the same ones. */
export const ENV = {
  tableName: "TABLE_NAME",
  eventBusName: "EVENT_BUS_NAME",
  eventSource: "EVENT_SOURCE",
  replayWindowDays: "EVENT_REPLAY_WINDOW_DAYS",
  logLevel: "LOG_LEVEL",
} as const;
