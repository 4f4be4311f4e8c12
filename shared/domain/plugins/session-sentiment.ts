import * as z from "../../kernel/zod.js";
import { SENTIMENT_LABELS, type SentimentLabel, type SentimentScore } from "./engines.js";

/**
 * The session roll-up of the per-message sentiment annotations, made when the session ends. Pure: it
 * reads the scores already written, so it calls no engine and costs nothing on AWS.
 */
export const SessionSentimentSchema = z.object({
  label: z.enum(SENTIMENT_LABELS),
  /** The mean of the message scores (each message weighs the same). */
  score: z.number().check(z.minimum(-1), z.maximum(1)),
  messages: z.number().check(z.int(), z.minimum(0)),
  counts: z.object({
    positive: z.number().check(z.int()),
    negative: z.number().check(z.int()),
    neutral: z.number().check(z.int()),
    mixed: z.number().check(z.int()),
  }),
  /** The engines of the message scores, comma-separated when the project switched engines mid-session. */
  engine: z.string(),
});
export type SessionSentiment = z.infer<typeof SessionSentimentSchema>;

/** The mean must reach this (in absolute value) for the session to read positive or negative. */
const SESSION_NEUTRAL_BAND = 0.05;
/** Both sides present, the smaller at least this share of the two: the session was mixed. */
const MIXED_MINORITY_SHARE = 0.4;

/**
 * Rolls message scores up into one: `mixed` when positive and negative messages are both substantial
 * (a mixed message counts on both sides), otherwise the sign of the mean; `neutral` with no messages.
 */
export function rollUpSentiment(scores: readonly SentimentScore[]): SessionSentiment {
  const counts: Record<SentimentLabel, number> = { positive: 0, negative: 0, neutral: 0, mixed: 0 };
  let sum = 0;
  for (const { label, score } of scores) {
    counts[label] += 1;
    sum += score;
  }
  const mean = scores.length > 0 ? sum / scores.length : 0;
  const positive = counts.positive + counts.mixed;
  const negative = counts.negative + counts.mixed;
  let label: SentimentLabel;
  if (positive > 0 && negative > 0 && Math.min(positive, negative) / (positive + negative) >= MIXED_MINORITY_SHARE)
    label = "mixed";
  else if (mean >= SESSION_NEUTRAL_BAND) label = "positive";
  else if (mean <= -SESSION_NEUTRAL_BAND) label = "negative";
  else label = "neutral";
  return {
    label,
    score: Math.max(-1, Math.min(1, mean)),
    messages: scores.length,
    counts,
    engine: [...new Set(scores.map((s) => s.engine))].sort().join(", "),
  };
}
