/**
 * "Full jitter" exponential backoff: a random wait in [0, min(baseMs · 2^attempt, capMs)), so the losers of a
 * race spread out at once instead of colliding again in step.
 */
export function fullJitter(attempt: number, baseMs: number, capMs = Number.POSITIVE_INFINITY): Promise<void> {
  const ms = Math.random() * Math.min(baseMs * 2 ** attempt, capMs);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
