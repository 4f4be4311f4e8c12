import type { BatchDetectSentimentResponse, LanguageCode } from "@aws-sdk/client-comprehend";
import {
  EngineResponseError,
  SENTIMENT_LABELS,
  type SentimentEngine,
  type SentimentLabel,
  type SentimentScore,
} from "../../domain/plugins/engines.js";
import { AwsClient, SERVICES } from "./client/aws-client.js";
import { truncateUtf8 } from "./comprehend-text.js";

export interface ComprehendSentimentOptions {
  client?: AwsClient;
  /** @default "en" */
  languageCode?: LanguageCode;
}

/** BatchDetectSentiment takes at most 25 documents of at most 5 KB (UTF-8) each per request. */
const DOCUMENTS_PER_REQUEST = 25;
const DOCUMENT_BYTES = 5000;

/**
 * Sentiment through Amazon Comprehend's BatchDetectSentiment: up to 25 messages a request. Comprehend
 * bills each document per 100-character unit with a 3-unit (300-character) minimum: a batch saves round
 * trips, not that minimum, so a meeting of short chat lines costs about 300 characters' worth each.
 * Blank texts are neutral without a request; a text over 5 KB is scored on its first 5 KB.
 */
export class ComprehendSentimentEngine implements SentimentEngine {
  readonly engine = "amazon-comprehend:BatchDetectSentiment";
  private readonly client: AwsClient;

  constructor(private readonly options: ComprehendSentimentOptions = {}) {
    this.client = options.client ?? new AwsClient(SERVICES.comprehend);
  }

  async score(texts: readonly string[]): Promise<SentimentScore[]> {
    const results: SentimentScore[] = texts.map(() => ({ label: "neutral", score: 0, engine: this.engine }));
    const sent = texts.flatMap((text, index) => (text.trim() ? [index] : []));
    for (let from = 0; from < sent.length; from += DOCUMENTS_PER_REQUEST) {
      const batch = sent.slice(from, from + DOCUMENTS_PER_REQUEST);
      const response = await this.client.call<BatchDetectSentimentResponse>("BatchDetectSentiment", {
        TextList: batch.map((index) => truncateUtf8(texts[index]!, DOCUMENT_BYTES)),
        LanguageCode: this.options.languageCode ?? "en",
      });
      const errors = response.ErrorList ?? [];
      if (errors.length > 0) {
        const detail = errors.map((e) => `#${batch[e.Index ?? -1] ?? "?"} ${e.ErrorCode}`).join(", ");
        throw new EngineResponseError(this.engine, `per-document errors: ${detail}`);
      }
      const answered = new Set<number>();
      for (const item of response.ResultList ?? []) {
        const index = item.Index === undefined ? undefined : batch[item.Index];
        const label = item.Sentiment?.toLowerCase() as SentimentLabel | undefined;
        if (index === undefined || !label || !SENTIMENT_LABELS.includes(label))
          throw new EngineResponseError(this.engine, `unusable result ${JSON.stringify(item)}`);
        const positive = item.SentimentScore?.Positive ?? 0;
        const negative = item.SentimentScore?.Negative ?? 0;
        results[index] = { label, score: Math.max(-1, Math.min(1, positive - negative)), engine: this.engine };
        answered.add(index);
      }
      if (answered.size !== batch.length)
        throw new EngineResponseError(this.engine, `${answered.size} results for ${batch.length} documents`);
    }
    return results;
  }
}
