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

const offset = startOffset();

export const systemClock: Clock = { now: () => new Date(Date.now() + offset) };
