import { describe, expect, it } from "vitest";
import { RateLimiter, rateLimitFromEnv } from "../../shared/domain/auth/rate-limit.js";

describe("per-key token bucket", () => {
  it("allows a burst, then answers with the seconds until a token is back; other keys are unaffected", () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([undefined, undefined, undefined]);
    expect(limiter.take("a")).toBe(1);
    expect(limiter.take("b")).toBeUndefined();
    now += 500; // one token back at 2/s
    expect(limiter.take("a")).toBeUndefined();
    expect(limiter.take("a")).toBe(1);
  });

  it("a slow refill gives a Retry-After of several seconds", () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 0.25, burst: 1 }, () => now);
    expect(limiter.take("a")).toBeUndefined();
    expect(limiter.take("a")).toBe(4);
    now += 4000;
    expect(limiter.take("a")).toBeUndefined();
  });

  it("reads its limits from the environment, ignoring nonsense", () => {
    expect(rateLimitFromEnv({ CORTEX_RATE_LIMIT_PER_SECOND: "5", CORTEX_RATE_LIMIT_BURST: "10" })).toEqual({
      perSecond: 5,
      burst: 10,
    });
    expect(rateLimitFromEnv({ CORTEX_RATE_LIMIT_PER_SECOND: "-1", CORTEX_RATE_LIMIT_BURST: "x" })).toEqual({
      perSecond: 500,
      burst: 1000,
    });
  });
});
