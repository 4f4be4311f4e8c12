import {
  asteriskCensorStrategy,
  englishDataset,
  englishRecommendedTransformers,
  keepStartCensorStrategy,
  RegExpMatcher,
  TextCensor,
} from "obscenity";
import type { ProfanityEngine, ProfanityMatch, ProfanityResult } from "./engines.js";

/** The installed version (a unit test checks it against node_modules). */
export const OBSCENITY_VERSION = "0.4.6";

/**
 * The local profanity engine: obscenity's English word list with its recommended transformers, which
 * catch leetspeak ("b1tch"), confusable characters and repeated letters while leaving words that merely
 * contain a listed one ("Scunthorpe", "assessment") alone. Spans are those of the listed word inside the
 * text ("fuck" in "fucking"); the censored text keeps each match's first letter ("f***ing").
 */
export class ObscenityProfanityEngine implements ProfanityEngine {
  readonly engine = `obscenity@${OBSCENITY_VERSION}`;
  private readonly matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
  private readonly censor = new TextCensor().setStrategy(keepStartCensorStrategy(asteriskCensorStrategy()));

  async check(text: string): Promise<ProfanityResult> {
    // Several patterns of one word can match the same span ("shit"): one match per span.
    const payloads = this.matcher
      .getAllMatches(text, true)
      .filter((p, i, all) => i === 0 || p.startIndex !== all[i - 1]!.startIndex || p.endIndex !== all[i - 1]!.endIndex);
    const matches: ProfanityMatch[] = payloads.map((payload) => ({
      start: payload.startIndex,
      // obscenity's end index is inclusive (and points at the low surrogate of a final astral character).
      end: payload.endIndex + 1,
      term:
        englishDataset.getPayloadWithPhraseMetadata(payload).phraseMetadata?.originalWord ??
        text.slice(payload.startIndex, payload.endIndex + 1).toLowerCase(),
    }));
    return {
      flagged: matches.length > 0,
      matches,
      censored: this.censor.applyTo(text, payloads),
      engine: this.engine,
    };
  }
}
