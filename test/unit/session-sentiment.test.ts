import { describe, expect, it } from "vitest";
import type { SentimentLabel, SentimentScore } from "../../shared/domain/plugins/engines.js";
import { rollUpSentiment } from "../../shared/domain/plugins/session-sentiment.js";

const s = (label: SentimentLabel, score: number, engine = "wink-nlp@2.4.0:sentiment"): SentimentScore => ({
  label,
  score,
  engine,
});

describe("session sentiment roll-up", () => {
  it("is neutral with score 0 for a session with no messages", () => {
    expect(rollUpSentiment([])).toEqual({
      label: "neutral",
      score: 0,
      messages: 0,
      counts: { positive: 0, negative: 0, neutral: 0, mixed: 0 },
      engine: "",
    });
  });

  it("follows the sign of the mean when one side dominates", () => {
    const up = rollUpSentiment([s("positive", 0.6), s("positive", 0.4), s("neutral", 0), s("negative", -0.2)]);
    expect(up).toMatchObject({ label: "positive", messages: 4, counts: { positive: 2, negative: 1, neutral: 1 } });
    expect(up.score).toBeCloseTo(0.2);
    expect(rollUpSentiment([s("negative", -0.5), s("neutral", 0), s("neutral", 0)]).label).toBe("negative");
  });

  it("is mixed when positive and negative messages are both substantial, even if the mean leans", () => {
    const rollUp = rollUpSentiment([
      s("positive", 0.9),
      s("positive", 0.8),
      s("positive", 0.7),
      s("negative", -0.2),
      s("negative", -0.3),
    ]);
    expect(rollUp.score).toBeGreaterThan(0.3);
    expect(rollUp.label).toBe("mixed");
  });

  it("is neutral when the mean stays inside the neutral band and one side is a small minority", () => {
    const rollUp = rollUpSentiment([s("neutral", 0), s("neutral", 0), s("neutral", 0), s("positive", 0.12)]);
    expect(rollUp.label).toBe("neutral");
  });

  it("names every engine that scored the session's messages", () => {
    expect(rollUpSentiment([s("neutral", 0), s("neutral", 0, "amazon-comprehend:BatchDetectSentiment")]).engine).toBe(
      "amazon-comprehend:BatchDetectSentiment, wink-nlp@2.4.0:sentiment",
    );
  });
});
