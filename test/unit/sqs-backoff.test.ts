import { describe, expect, it } from "vitest";
import { SqsBackoff } from "../../shared/adapters/aws/sqs-backoff.js";
import { PLUGIN_RETRY_DELAYS_SECONDS, QUEUES } from "../../shared/events/rules.js";

describe("plugin retry backoff", () => {
  it("waits 5 s, 30 s, 2 min after the first three receives, and not at all after the last one", () => {
    const backoff = new SqsBackoff(PLUGIN_RETRY_DELAYS_SECONDS, 1, {} as never);
    expect([1, 2, 3, 4].map((n) => backoff.delayFor(n))).toEqual([5, 30, 120, 0]);
    // The last receive before the dead-letter queue is the one past the schedule.
    expect(QUEUES.pluginSentiment.maxReceiveCount).toBe(PLUGIN_RETRY_DELAYS_SECONDS.length + 1);
  });

  it("scales the delays to whole seconds (the local runtime's 0.1)", () => {
    const backoff = new SqsBackoff(PLUGIN_RETRY_DELAYS_SECONDS, 0.1, {} as never);
    expect([1, 2, 3, 4].map((n) => backoff.delayFor(n))).toEqual([1, 3, 12, 0]);
  });
});
