/** The clock port: domain code asks it for time, so tests and the scheduler can reason about "now". */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
