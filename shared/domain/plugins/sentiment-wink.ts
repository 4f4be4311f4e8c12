import type { SentimentEngine, SentimentLabel, SentimentScore } from "./engines.js";
import { analyse, WINK_NLP_VERSION } from "./wink.js";

/** Below this (in absolute value) a message reads as neutral. */
const NEUTRAL_BAND = 0.1;
/** A message with one sentence at least this positive and another at least this negative is mixed. */
const MIXED_SENTENCE = 0.25;

/**
 * The local sentiment engine: wink-nlp's lexicon-based sentiment (AFINN-style word valences with
 * negation — "not bad" reads positive — and emoji/emoticons), per sentence and per message, in −1…1.
 * Chosen over AFINN's `sentiment` package because wink is already the engine of the summary and the
 * action items (one library, one model in the bundle) and its per-sentence scores give "mixed".
 */
export class WinkSentimentEngine implements SentimentEngine {
  readonly engine = `wink-nlp@${WINK_NLP_VERSION}:sentiment`;

  async score(texts: readonly string[]): Promise<SentimentScore[]> {
    return texts.map((text) => {
      const doc = analyse(text);
      const score = clamp(doc.sentiment);
      const sentences = doc.sentences.map((s) => s.sentiment);
      return { label: labelOf(score, sentences), score, engine: this.engine };
    });
  }
}

function labelOf(score: number, sentences: number[]): SentimentLabel {
  if (sentences.some((s) => s >= MIXED_SENTENCE) && sentences.some((s) => s <= -MIXED_SENTENCE)) return "mixed";
  if (score >= NEUTRAL_BAND) return "positive";
  if (score <= -NEUTRAL_BAND) return "negative";
  return "neutral";
}

function clamp(score: number): number {
  return Number.isFinite(score) ? Math.max(-1, Math.min(1, score)) : 0;
}
