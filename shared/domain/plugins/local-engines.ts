import type { Engines } from "./runner.js";

/** Made on first use, then the same one: each engine is made once per function instance. */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/**
 * The local engines (offline, no cloud account): obscenity's word list, wink-nlp's sentiment, its
 * sentence ranking and rule-based action items. Each module is imported on first use, so a function that
 * never scores sentiment never loads the NLP model; each engine is made once per function instance.
 */
export function localEngines(): Engines {
  const profanity = once(async () => new (await import("./profanity-obscenity.js")).ObscenityProfanityEngine());
  const sentiment = once(async () => new (await import("./sentiment-wink.js")).WinkSentimentEngine());
  const actionItems = once(async () => new (await import("./action-items-rules.js")).RuleBasedActionItemsEngine());
  return {
    profanity,
    sentiment,
    summary: async ({ maxSentences }) =>
      new (await import("./summary-extractive.js")).ExtractiveSummaryEngine({ maxSentences }),
    actionItems,
  };
}
