/**
 * Schedule expressions the local scheduler understands, and when they are due.
 *
 *   at(yyyy-mm-ddThh:mm:ss)   one-time, evaluated in ScheduleExpressionTimezone (only UTC locally)
 *   rate(n minute|minutes|hour|hours|day|days)   recurring
 *   cron(…)                   rejected: not supported by the local scheduler
 */
import { validation } from "./errors.js";

export type ParsedExpression = { kind: "at"; atMs: number } | { kind: "rate"; periodMs: number };

/** Time zones that mean UTC. Anything else is rejected rather than silently evaluated in UTC. */
const UTC_ZONES = new Set(["UTC", "Etc/UTC"]);
export const DEFAULT_TIMEZONE = "UTC";

const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

export function parseTimezone(timezone: string | undefined): string {
  const zone = timezone ?? DEFAULT_TIMEZONE;
  if (!UTC_ZONES.has(zone)) {
    throw validation(
      `Invalid ScheduleExpressionTimezone "${zone}": the local scheduler evaluates schedules in UTC only; ` +
        `omit ScheduleExpressionTimezone or set it to "UTC".`,
    );
  }
  return zone;
}

export function parseExpression(expression: string): ParsedExpression {
  const at = AT.exec(expression);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const atMs = Date.UTC(year, month - 1, day, hour, minute, second);
    const check = new Date(atMs);
    // Date.UTC rolls 2025-02-30 over to March; the real service rejects it, and so do we.
    if (
      check.getUTCFullYear() !== year ||
      check.getUTCMonth() !== month - 1 ||
      check.getUTCDate() !== day ||
      check.getUTCHours() !== hour ||
      check.getUTCMinutes() !== minute ||
      check.getUTCSeconds() !== second
    ) {
      throw validation(`Invalid Schedule Expression ${expression}: the date/time does not exist.`);
    }
    return { kind: "at", atMs };
  }
  const rate = RATE.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw validation(`Invalid Schedule Expression ${expression}: the rate value must be a positive integer.`);
    }
    return { kind: "rate", periodMs: value * UNIT_MS[rate[2]!]! };
  }
  if (/^cron\(.*\)$/.test(expression)) {
    throw validation(
      `Invalid Schedule Expression ${expression}: cron() expressions are not supported by the local scheduler; ` +
        `use at(yyyy-mm-ddThh:mm:ss) or rate(value unit).`,
    );
  }
  throw validation(`Invalid Schedule Expression ${expression}: expected at(yyyy-mm-ddThh:mm:ss) or rate(value unit).`);
}

/**
 * The first occurrence of a rate schedule strictly after `afterMs`, on the grid anchored at `anchorMs`
 * (StartDate, or the creation time). Occurrences missed while the runtime was down are not replayed.
 */
export function nextRateOccurrence(anchorMs: number, periodMs: number, afterMs: number): number {
  if (afterMs < anchorMs) return anchorMs;
  const steps = Math.floor((afterMs - anchorMs) / periodMs) + 1;
  return anchorMs + steps * periodMs;
}
