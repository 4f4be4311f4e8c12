/**
 * The Standard Webhooks retry schedule. Entry n-1 is the delay before attempt n, counted from the moment
 * attempt n-1 failed (not from the first attempt): attempt 1 goes out immediately, attempt 2 five
 * seconds after attempt 1 failed, …, attempt 10 a day after attempt 9 failed. If attempt 10 fails the
 * message is given up on — 3 days 3 h 35 min 5 s after the first attempt, plus the attempts' own time.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
]);

export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length;

/**
 * Milliseconds to wait before attempt `attempt` (1-based), after the previous attempt failed; undefined
 * once `attempt` is past the last one, meaning give up. `scale` multiplies every delay (0.001 turns the
 * three-day schedule into about four and a half minutes for local runs and tests); results are whole
 * milliseconds.
 */
export function retryDelayMs(attempt: number, scale = 1): number | undefined {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (!Number.isFinite(scale) || scale < 0) throw new RangeError(`scale must be a finite number ≥ 0, got ${scale}`);
  const delay = RETRY_SCHEDULE_MS[attempt - 1];
  return delay === undefined ? undefined : Math.round(delay * scale);
}
