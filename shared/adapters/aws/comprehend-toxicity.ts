import type { DetectToxicContentResponse, LanguageCode } from "@aws-sdk/client-comprehend";
import { AwsClient, SERVICES } from "./client/aws-client.js";
import {
  EngineResponseError,
  type ProfanityEngine,
  type ProfanityMatch,
  type ProfanityResult,
} from "../../domain/plugins/engines.js";
import { sentenceSpans } from "./comprehend-text.js";

export interface ComprehendProfanityOptions {
  client?: AwsClient;
  /** @default "en" */
  languageCode?: LanguageCode;
  /**
   * The toxicity labels that flag a sentence (PROFANITY, INSULT, HATE_SPEECH, HARASSMENT_OR_ABUSE,
   * SEXUAL, VIOLENCE_OR_THREAT, GRAPHIC). @default ["PROFANITY"]
   */
  labels?: readonly string[];
  /** A label flags a sentence at this score or above. @default 0.5 */
  threshold?: number;
}

/** DetectToxicContent takes at most 10 segments of at most 1 KB (UTF-8) each per request. */
const SEGMENTS_PER_REQUEST = 10;
const SEGMENT_BYTES = 1000;

/**
 * Profanity through Amazon Comprehend's toxicity detection. Comprehend scores whole segments and
 * reports no word positions, so the message is sent as its sentences: a match is a flagged sentence
 * (its term the label that flagged it) and the censored text masks that sentence. Comprehend bills per
 * 100-character unit with a 3-unit (300-character) minimum, so a short chat line costs as much as a
 * 300-character one.
 */
export class ComprehendProfanityEngine implements ProfanityEngine {
  readonly engine = "amazon-comprehend:DetectToxicContent";
  private readonly client: AwsClient;
  private readonly labels: ReadonlySet<string>;

  constructor(private readonly options: ComprehendProfanityOptions = {}) {
    this.client = options.client ?? new AwsClient(SERVICES.comprehend);
    this.labels = new Set(options.labels ?? ["PROFANITY"]);
  }

  async check(text: string): Promise<ProfanityResult> {
    const spans = sentenceSpans(text, SEGMENT_BYTES);
    const matches: ProfanityMatch[] = [];
    for (let from = 0; from < spans.length; from += SEGMENTS_PER_REQUEST) {
      const batch = spans.slice(from, from + SEGMENTS_PER_REQUEST);
      const response = await this.client.call<DetectToxicContentResponse>("DetectToxicContent", {
        TextSegments: batch.map(({ start, end }) => ({ Text: text.slice(start, end) })),
        LanguageCode: this.options.languageCode ?? "en",
      });
      const results = response.ResultList ?? [];
      if (results.length !== batch.length)
        throw new EngineResponseError(this.engine, `${results.length} results for ${batch.length} segments`);
      batch.forEach((span, i) => {
        const flagging = (results[i]!.Labels ?? [])
          .filter((l) => l.Name !== undefined && this.labels.has(l.Name) && (l.Score ?? 0) >= this.threshold)
          .sort((a, b) => (b.Score ?? 0) - (a.Score ?? 0));
        if (flagging.length > 0) matches.push({ ...span, term: flagging[0]!.Name! });
      });
    }
    let censored = text;
    for (const { start, end } of matches)
      // Per UTF-16 unit (no `u` flag), so the censored text keeps the original's length and offsets.
      censored = censored.slice(0, start) + censored.slice(start, end).replace(/\S/g, "*") + censored.slice(end);
    return { flagged: matches.length > 0, matches, censored, engine: this.engine };
  }

  private get threshold(): number {
    return this.options.threshold ?? 0.5;
  }
}
