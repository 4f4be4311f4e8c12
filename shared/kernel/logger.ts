/**
 * One structured JSON logger with per-request keys. Never log PII: callers pass ids, not emails.
 */
type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(keys: Record<string, unknown>): Logger;
}

export function createLogger(
  keys: Record<string, unknown> = {},
  sink: (line: string) => void = (line) => process.stdout.write(line + "\n"),
): Logger {
  const threshold = ORDER[(process.env.LOG_LEVEL as Level | undefined) ?? "info"] ?? ORDER.info;
  const write = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    const entry = { level, time: new Date().toISOString(), message, ...keys, ...fields };
    sink(
      JSON.stringify(entry, (_k, v: unknown) =>
        v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v,
      ),
    );
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (more) => createLogger({ ...keys, ...more }, sink),
  };
}
