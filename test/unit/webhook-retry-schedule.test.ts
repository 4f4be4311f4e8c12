import { describe, expect, it } from "vitest";
import { MAX_ATTEMPTS, RETRY_SCHEDULE_MS, retryDelayMs } from "../../shared/consumers/webhooks/retry-schedule.js";

const s = 1000;
const min = 60 * s;
const h = 60 * min;

describe("the webhook retry schedule", () => {
  it("waits 0, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h before attempts 1 to 10", () => {
    const delays = Array.from({ length: 10 }, (_, i) => retryDelayMs(i + 1));
    expect(delays).toEqual([0, 5 * s, 5 * min, 30 * min, 2 * h, 5 * h, 10 * h, 14 * h, 20 * h, 24 * h]);
    expect(RETRY_SCHEDULE_MS).toEqual(delays);
    expect(MAX_ATTEMPTS).toBe(10);
  });

  it("gives up after the 10th attempt", () => {
    expect(retryDelayMs(10)).toBe(24 * h);
    expect(retryDelayMs(11)).toBeUndefined();
    expect(retryDelayMs(1000)).toBeUndefined();
  });

  it("spans 3 days 3 h 35 min 5 s from the first attempt to the last", () => {
    const total = RETRY_SCHEDULE_MS.reduce((sum, delay) => sum + delay, 0);
    expect(total).toBe(75 * h + 35 * min + 5 * s);
  });

  it("shrinks by a scale for local runs and tests, in whole milliseconds", () => {
    expect(Array.from({ length: 11 }, (_, i) => retryDelayMs(i + 1, 0.001))).toEqual([
      0,
      5,
      300,
      1_800,
      7_200,
      18_000,
      36_000,
      50_400,
      72_000,
      86_400,
      undefined,
    ]);
    expect(retryDelayMs(2, 0.0001)).toBe(1); // 0.5 ms rounds to 1
    expect(retryDelayMs(5, 0)).toBe(0);
    expect(retryDelayMs(11, 0)).toBeUndefined(); // a zero scale still gives up
  });

  it("refuses attempts that are not 1-based integers and scales that are negative or not finite", () => {
    for (const attempt of [0, -1, 1.5, Number.NaN])
      expect(() => retryDelayMs(attempt), String(attempt)).toThrow(RangeError);
    for (const scale of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => retryDelayMs(1, scale), String(scale)).toThrow(RangeError);
    }
  });

  it("cannot be changed by a caller", () => {
    expect(Object.isFrozen(RETRY_SCHEDULE_MS)).toBe(true);
  });
});
