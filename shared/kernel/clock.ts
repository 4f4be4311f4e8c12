/** The clock port: domain code asks it for time, so tests and the scheduler can reason about "now". */
export interface Clock {
  now(): Date;
}

/**
 * `CORTEX_CLOCK_START` (an ISO instant) makes the clock start at that instant and run on from there —
 * for demos and for running samples written for a date that has passed. Unset, it is the system time.
 */
function startOffset(): number {
  const start = process.env.CORTEX_CLOCK_START;
  if (!start) return 0;
  const at = Date.parse(start);
  if (Number.isNaN(at)) throw new Error(`CORTEX_CLOCK_START must be an ISO 8601 instant, got "${start}"`);
  return at - Date.now();
}

let offset = startOffset();

export const systemClock: Clock = { now: () => new Date(Date.now() + offset) };

/**
 * Moves the clock forward (never back): what happens "an hour later" (a schedule coming due, an event
 * leaving the replay window) happens now. Every reader of `systemClock` in this process sees it; the local
 * runtime exposes it to tests as `POST /local/clock`, and nothing on AWS calls it.
 */
export function advanceClock(ms: number): Date {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`the clock only moves forward, by a finite amount (got ${ms})`);
  offset += ms;
  return systemClock.now();
}
