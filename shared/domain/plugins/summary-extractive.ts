import { inMeetingOrder, type MeetingMessage, type SummaryEngine, type SummaryResult } from "./engines.js";
import { analyse, WINK_NLP_VERSION, type WinkToken } from "./wink.js";

export interface ExtractiveSummaryOptions {
  /** Share of the meeting's sentences kept. @default 0.2 */
  ratio?: number;
  /** @default 8 */
  maxSentences?: number;
}

/** Content words (lemmas) that make a sentence worth ranking; shorter sentences rank only if nothing else does. */
const MIN_CONTENT_TERMS = 3;
/** A candidate sharing this much vocabulary (Jaccard) with a kept sentence adds nothing: skipped. */
const MAX_OVERLAP = 0.5;
const CONTENT_TAGS = new Set(["NOUN", "PROPN", "VERB", "ADJ", "NUM"]);

/**
 * The local summary: extractive. The meeting's sentences (wink-nlp's sentence boundaries, quoted
 * verbatim) are ranked by the TF-IDF weight of their content words — frequent in the meeting, rare
 * across its sentences — over the square root of their length, the top share is kept (skipping near
 * repeats), and they are returned in meeting order. It never writes a word the meeting did not say.
 */
export class ExtractiveSummaryEngine implements SummaryEngine {
  readonly engine = `wink-nlp@${WINK_NLP_VERSION}:extractive-summary`;

  constructor(private readonly options: ExtractiveSummaryOptions = {}) {}

  async summarize(messages: readonly MeetingMessage[]): Promise<SummaryResult> {
    const sentences = inMeetingOrder(messages).flatMap((message) =>
      analyse(message.content).sentences.map((sentence) => ({
        messageId: message.id,
        text: sentence.text,
        terms: contentTerms(sentence.tokens),
      })),
    );
    if (sentences.length === 0) return { summary: "", sentences: [], engine: this.engine };

    const meetingFrequency = new Map<string, number>();
    const sentenceFrequency = new Map<string, number>();
    for (const { terms } of sentences) {
      for (const term of terms) meetingFrequency.set(term, (meetingFrequency.get(term) ?? 0) + 1);
      for (const term of new Set(terms)) sentenceFrequency.set(term, (sentenceFrequency.get(term) ?? 0) + 1);
    }
    const weight = (term: string) =>
      (meetingFrequency.get(term) ?? 0) * Math.log(1 + sentences.length / (sentenceFrequency.get(term) ?? 1));

    const ranked = sentences
      .map((sentence, index) => {
        const unique = new Set(sentence.terms);
        const total = [...unique].reduce((sum, term) => sum + weight(term), 0);
        return { index, unique, score: unique.size === 0 ? 0 : total / Math.sqrt(sentence.terms.length) };
      })
      .sort((a, b) => {
        const aLong = a.unique.size >= MIN_CONTENT_TERMS ? 1 : 0;
        const bLong = b.unique.size >= MIN_CONTENT_TERMS ? 1 : 0;
        return bLong - aLong || b.score - a.score || a.index - b.index;
      });

    const wanted = Math.max(
      1,
      Math.min(this.options.maxSentences ?? 8, Math.ceil(sentences.length * (this.options.ratio ?? 0.2))),
    );
    const kept: typeof ranked = [];
    for (const candidate of ranked) {
      if (kept.length >= wanted) break;
      if (kept.some((k) => jaccard(k.unique, candidate.unique) >= MAX_OVERLAP)) continue;
      kept.push(candidate);
    }
    const chosen = kept
      .sort((a, b) => a.index - b.index)
      .map(({ index }) => ({ messageId: sentences[index]!.messageId, text: sentences[index]!.text }));
    return { summary: chosen.map((s) => s.text).join(" "), sentences: chosen, engine: this.engine };
  }
}

function contentTerms(tokens: WinkToken[]): string[] {
  return tokens
    .filter((t) => t.type === "word" && !t.stopWord && CONTENT_TAGS.has(t.pos) && t.normal.length > 1)
    .map((t) => t.lemma);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const term of a) if (b.has(term)) shared++;
  return shared / (a.size + b.size - shared);
}
