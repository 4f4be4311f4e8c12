/**
 * Requests per key: a token bucket per key id, held in memory by each warm function instance. The limit is
 * therefore approximate on AWS (each concurrent instance has its own buckets — a key spread over N
 * instances may reach N× the rate) and costs nothing per request; the stage-wide throttle of API Gateway
 * stays the hard ceiling. docs-drafts/keys.md weighs it against usage plans and a DynamoDB bucket.
 */
export interface RateLimit {
  /** Tokens added per second (sustained requests per second). */
  perSecond: number;
  /** Bucket size (the burst a key may send at once). */
  burst: number;
}

/** The default: `CORTEX_RATE_LIMIT_PER_SECOND` / `CORTEX_RATE_LIMIT_BURST`, else 500/s with bursts of 1000. */
export function rateLimitFromEnv(env: Record<string, string | undefined> = process.env): RateLimit {
  const number = (raw: string | undefined, fallback: number) => {
    const value = Number(raw);
    return raw !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    perSecond: number(env.CORTEX_RATE_LIMIT_PER_SECOND, 500),
    burst: number(env.CORTEX_RATE_LIMIT_BURST, 1000),
  };
}

interface Bucket {
  tokens: number;
  at: number;
}

/** At most this many keys are tracked; the least recently seen bucket is dropped first (it was full anyway). */
const MAX_BUCKETS = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`: undefined when allowed, else the whole seconds until a token is back. */
  take(key: string): number | undefined {
    const now = this.now();
    const seen = this.buckets.get(key);
    const elapsed = seen ? Math.max(0, now - seen.at) / 1000 : 0;
    const tokens = seen ? Math.min(this.limit.burst, seen.tokens + elapsed * this.limit.perSecond) : this.limit.burst;
    this.buckets.delete(key);
    if (tokens >= 1) {
      this.remember(key, { tokens: tokens - 1, at: now });
      return undefined;
    }
    this.remember(key, { tokens, at: now });
    return Math.max(1, Math.ceil((1 - tokens) / this.limit.perSecond));
  }

  private remember(key: string, bucket: Bucket): void {
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
