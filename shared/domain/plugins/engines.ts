import * as z from "../../kernel/zod.js";

/**
 * The annotation engines: the ports the built-in plugins call to annotate a meeting (issue 13), each
 * with a local engine (offline, in this folder) and an AWS one (shared/adapters/aws/). Every result
 * names the engine that made it (`obscenity@0.4.6`, `wink-nlp@2.4.0:…`, `amazon-comprehend:…`,
 * `amazon-bedrock:<modelId>`), and that name goes into the annotation's `data`, so nobody mistakes a
 * word list or a sentence ranker for an LLM.
 */

/** A matched span of the checked text: `text.slice(start, end)` is what matched (`end` is exclusive). */
export const ProfanityMatchSchema = z.object({
  start: z.number().check(z.int(), z.minimum(0)),
  end: z.number().check(z.int(), z.minimum(0)),
  /** What the span matched: the listed word (local) or the toxicity label (Comprehend). */
  term: z.string(),
});
export type ProfanityMatch = z.infer<typeof ProfanityMatchSchema>;

export const ProfanityResultSchema = z.object({
  flagged: z.boolean(),
  matches: z.array(ProfanityMatchSchema),
  /** The text with every matched span masked; the same length as the text, so spans still apply. */
  censored: z.string(),
  engine: z.string(),
});
export type ProfanityResult = z.infer<typeof ProfanityResultSchema>;

export interface ProfanityEngine {
  readonly engine: string;
  check(text: string): Promise<ProfanityResult>;
}

export const SENTIMENT_LABELS = ["positive", "negative", "neutral", "mixed"] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

export const SentimentScoreSchema = z.object({
  label: z.enum(SENTIMENT_LABELS),
  /** −1 (negative) … 1 (positive); 0 is neutral, or positive and negative in balance. */
  score: z.number().check(z.minimum(-1), z.maximum(1)),
  engine: z.string(),
});
export type SentimentScore = z.infer<typeof SentimentScoreSchema>;

export interface SentimentEngine {
  readonly engine: string;
  /** One result per text, in order: many messages in one call (the AWS engine batches them). */
  score(texts: readonly string[]): Promise<SentimentScore[]>;
}

/** A transcript line as the session engines see it (system messages are the caller's to leave out). */
export interface MeetingMessage {
  id: string;
  senderName: string;
  content: string;
  /** ISO 8601; relative due dates ("by Friday") resolve against it. */
  timestamp: string;
}

export const SummarySentenceSchema = z.object({
  /** The message the sentence is (local) or draws on (LLM). */
  messageId: z.string(),
  text: z.string(),
});
export type SummarySentence = z.infer<typeof SummarySentenceSchema>;

export const SummaryResultSchema = z.object({
  summary: z.string(),
  sentences: z.array(SummarySentenceSchema),
  engine: z.string(),
});
export type SummaryResult = z.infer<typeof SummaryResultSchema>;

export interface SummaryEngine {
  readonly engine: string;
  summarize(messages: readonly MeetingMessage[]): Promise<SummaryResult>;
}

export const ActionItemSchema = z.object({
  /** Who takes it on, when the meeting says so ("I" is the speaker). */
  owner: z.optional(z.string()),
  task: z.string(),
  /** An ISO date (YYYY-MM-DD) when the phrase resolves against the message's time, else the phrase. */
  due: z.optional(z.string()),
  /** The due date as said ("Friday", "end of next week"). */
  duePhrase: z.optional(z.string()),
  messageId: z.string(),
});
export type ActionItem = z.infer<typeof ActionItemSchema>;

export const ActionItemsResultSchema = z.object({
  items: z.array(ActionItemSchema),
  engine: z.string(),
});
export type ActionItemsResult = z.infer<typeof ActionItemsResultSchema>;

export interface ActionItemsEngine {
  readonly engine: string;
  extract(messages: readonly MeetingMessage[]): Promise<ActionItemsResult>;
}

/**
 * An engine answered with something we cannot use (a batch item error, no structured output, a
 * truncated answer). Thrown, not papered over: the plugin's consumer retries, then dead-letters.
 */
export class EngineResponseError extends Error {
  constructor(
    readonly engine: string,
    message: string,
  ) {
    super(`${engine}: ${message}`);
    this.name = "EngineResponseError";
  }
}

/** Meeting order: by timestamp, ties in the order given. */
export function inMeetingOrder(messages: readonly MeetingMessage[]): MeetingMessage[] {
  return messages
    .map((message, index) => ({ message, index, at: Date.parse(message.timestamp) }))
    .sort((a, b) => a.at - b.at || a.index - b.index)
    .map(({ message }) => message);
}
