import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { ObscenityProfanityEngine } from "../../shared/domain/plugins/profanity-obscenity.js";
import { WinkSentimentEngine } from "../../shared/domain/plugins/sentiment-wink.js";

/**
 * A stand-in for Amazon Comprehend on 127.0.0.1, for the tests of the Comprehend adapters: it speaks
 * Comprehend's JSON protocol (POST /, `X-Amz-Target: Comprehend_20171127.<Operation>`, awsJson1_1) and
 * answers with the real local engines behind it — wink-nlp for BatchDetectSentiment, obscenity for
 * DetectToxicContent (its PROFANITY label) — so what the adapters make of an answer is what a local
 * deployment would say. It records every request, and fails on demand with a Comprehend error (by
 * default 400 InvalidRequestException, which the AWS SDK does not retry by itself, so each failure is
 * one failed engine call).
 */

export const SENTIMENT_TARGET = "Comprehend_20171127.BatchDetectSentiment";
export const TOXICITY_TARGET = "Comprehend_20171127.DetectToxicContent";

export interface RecordedRequest {
  /** The `X-Amz-Target` header (`Comprehend_20171127.<Operation>`). */
  target: string;
  body: any;
  /** The status this request was answered with. */
  status: number;
  /** When it arrived (ms since the epoch). */
  at: number;
}

export interface ScriptedFailure {
  /** @default 400 */
  status?: number;
  /** Comprehend's error code, sent as `__type` and `x-amzn-ErrorType`. @default "InvalidRequestException" */
  type?: string;
  message?: string;
  /** Fail only requests for this target (`SENTIMENT_TARGET`, `TOXICITY_TARGET`); default: any. */
  target?: string;
}

export interface ComprehendServer {
  /** The endpoint (`AWS_ENDPOINT_URL_COMPREHEND`). */
  url: string;
  requests: RecordedRequest[];
  /** Requests for one operation, in arrival order. */
  requestsFor(target: string): RecordedRequest[];
  /** Fails the next `n` matching requests, then answers again. */
  failNext(n: number, failure?: ScriptedFailure): void;
  /** Fails every matching request until `stopFailing()`. */
  failAlways(failure?: ScriptedFailure): void;
  stopFailing(): void;
  close(): Promise<void>;
}

const TOXICITY_LABELS = [
  "PROFANITY",
  "HATE_SPEECH",
  "INSULT",
  "GRAPHIC",
  "HARASSMENT_OR_ABUSE",
  "SEXUAL",
  "VIOLENCE_OR_THREAT",
] as const;

/** Scores to 4 decimals, as Comprehend gives them. */
const round4 = (n: number) => Math.round(n * 10_000) / 10_000;

export async function startComprehendServer(): Promise<ComprehendServer> {
  const sentiment = new WinkSentimentEngine();
  const profanity = new ObscenityProfanityEngine();
  const requests: RecordedRequest[] = [];
  let failing: { remaining: number; failure: ScriptedFailure } | undefined;

  /** The wink score s ∈ [−1, 1] as Comprehend's four-way score, with Positive − Negative = s. */
  async function batchDetectSentiment(body: { TextList?: unknown; LanguageCode?: unknown }) {
    if (!Array.isArray(body.TextList) || typeof body.LanguageCode !== "string")
      throw new ProtocolError("TextList and LanguageCode are required");
    const texts = body.TextList as string[];
    const scores = await sentiment.score(texts);
    return {
      ResultList: scores.map(({ label, score }, Index) => {
        const positive = Math.max(score, 0);
        const negative = Math.max(-score, 0);
        const rest = 1 - positive - negative;
        return {
          Index,
          Sentiment: label.toUpperCase(),
          SentimentScore: {
            Positive: positive,
            Negative: negative,
            Neutral: label === "mixed" ? 0 : rest,
            Mixed: label === "mixed" ? rest : 0,
          },
        };
      }),
      ErrorList: [],
    };
  }

  async function detectToxicContent(body: { TextSegments?: unknown; LanguageCode?: unknown }) {
    if (!Array.isArray(body.TextSegments) || typeof body.LanguageCode !== "string")
      throw new ProtocolError("TextSegments and LanguageCode are required");
    const segments = body.TextSegments as Array<{ Text: string }>;
    return {
      ResultList: await Promise.all(
        segments.map(async ({ Text }) => {
          const profane = (await profanity.check(Text)).flagged;
          const scores: Record<string, number> = { PROFANITY: profane ? 0.9132 : 0.0114 };
          return {
            Labels: TOXICITY_LABELS.map((Name) => ({ Name, Score: scores[Name] ?? 0.0123 })),
            Toxicity: round4(Math.max(...Object.values(scores), 0.0291)),
          };
        }),
      ),
    };
  }

  const operations: Record<string, (body: any) => Promise<unknown>> = {
    [SENTIMENT_TARGET]: batchDetectSentiment,
    [TOXICITY_TARGET]: detectToxicContent,
  };

  const send = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, {
      "Content-Type": "application/x-amz-json-1.1",
      "x-amzn-RequestId": randomUUID(),
      ...(errorType !== undefined && { "x-amzn-ErrorType": errorType }),
    });
    res.end(JSON.stringify(body));
  };
  const sendError = (res: ServerResponse, status: number, type: string, message: string) =>
    send(res, status, { __type: type, message }, type);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const target = String(req.headers["x-amz-target"] ?? "");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    } catch {
      body = undefined;
    }
    const at = Date.now();
    const record = (status: number) => {
      requests.push({ target, body, status, at });
      return status;
    };
    const operation = operations[target];
    if (req.method !== "POST" || !operation || body === undefined) {
      sendError(res, 400, "UnknownOperationException", `cannot answer ${req.method} ${target}`);
      return record(400);
    }
    if (failing && failing.remaining > 0 && (failing.failure.target ?? target) === target) {
      failing.remaining--;
      const { status = 400, type = "InvalidRequestException", message = "scripted failure" } = failing.failure;
      sendError(res, status, type, message);
      return record(status);
    }
    try {
      send(res, 200, await operation(body));
      return record(200);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      sendError(res, 400, "InvalidRequestException", error.message);
      return record(400);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, "InternalServerException", String(error));
      requests.push({
        target: String(req.headers["x-amz-target"] ?? ""),
        body: undefined,
        status: 500,
        at: Date.now(),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsFor: (target) => requests.filter((r) => r.target === target),
    failNext: (n, failure = {}) => {
      failing = { remaining: n, failure };
    },
    failAlways: (failure = {}) => {
      failing = { remaining: Number.POSITIVE_INFINITY, failure };
    },
    stopFailing: () => {
      failing = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class ProtocolError extends Error {}
