import type { BatchDetectSentimentCommandOutput, DetectToxicContentCommandOutput } from "@aws-sdk/client-comprehend";
import { describe, expect, it, vi } from "vitest";
import { AwsClient, SERVICES } from "../../shared/adapters/aws/client/aws-client.js";
import { ComprehendSentimentEngine } from "../../shared/adapters/aws/comprehend-sentiment.js";
import { sentenceSpans, truncateUtf8, utf8Length } from "../../shared/adapters/aws/comprehend-text.js";
import { ComprehendProfanityEngine } from "../../shared/adapters/aws/comprehend-toxicity.js";
import { EngineResponseError } from "../../shared/domain/plugins/engines.js";

/** The Comprehend adapters: the exact calls they make (operation and input; the client's `call` is mocked — the wire form is checked against the Comprehend stand-in in test/integration/comprehend-server.test.ts) and their parsing. */

const METADATA = { httpStatusCode: 200, requestId: "4f1c1f3e-1f2b-4d0a-9c1e-6b7a2f3d9e10", attempts: 1 };

function mockedClient(answer: (input: any) => unknown) {
  const client = new AwsClient(SERVICES.comprehend, {
    region: "eu-west-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const call = vi
    .spyOn(client, "call")
    .mockImplementation((async (_operation: string, input: unknown) => answer(input)) as never);
  return {
    client,
    send: call,
    commands: () => call.mock.calls.map(([operation, input]) => ({ operation, input }) as any),
  };
}

/** A toxicity result as Comprehend returns it: every label scored, plus the overall toxicity. */
function toxicity(
  scores: Partial<Record<string, number>> = {},
): NonNullable<DetectToxicContentCommandOutput["ResultList"]>[number] {
  const labels = [
    "PROFANITY",
    "HATE_SPEECH",
    "INSULT",
    "GRAPHIC",
    "HARASSMENT_OR_ABUSE",
    "SEXUAL",
    "VIOLENCE_OR_THREAT",
  ];
  return {
    Labels: labels.map((Name) => ({ Name: Name as never, Score: scores[Name] ?? 0.0123 })),
    Toxicity: Math.max(0.0291, ...Object.values(scores).map(Number)),
  };
}

describe("Comprehend profanity adapter (DetectToxicContent)", () => {
  it("sends the message's sentences as segments in English and flags the sentence scored profane", async () => {
    const text = "Morning all.  The staging box is a piece of shit again.";
    const { client, commands } = mockedClient(() => ({
      $metadata: METADATA,
      ResultList: [toxicity(), toxicity({ PROFANITY: 0.8712, INSULT: 0.2061 })],
    }));
    const result = await new ComprehendProfanityEngine({ client }).check(text);

    expect(commands()).toHaveLength(1);
    expect(commands()[0].operation).toBe("DetectToxicContent");
    expect(commands()[0].input).toEqual({
      TextSegments: [{ Text: "Morning all." }, { Text: "The staging box is a piece of shit again." }],
      LanguageCode: "en",
    });
    expect(result).toEqual({
      flagged: true,
      matches: [{ start: 14, end: 55, term: "PROFANITY" }],
      censored: "Morning all.  *** ******* *** ** * ***** ** **** ******",
      engine: "amazon-comprehend:DetectToxicContent",
    });
    expect(text.slice(14, 55)).toBe("The staging box is a piece of shit again.");
  });

  it("flags on the labels and threshold it is configured with", async () => {
    const { client } = mockedClient(() => ({ $metadata: METADATA, ResultList: [toxicity({ INSULT: 0.91 })] }));
    expect((await new ComprehendProfanityEngine({ client }).check("You are a clown.")).flagged).toBe(false);
    const insults = new ComprehendProfanityEngine({ client, labels: ["PROFANITY", "INSULT"], threshold: 0.9 });
    expect(await insults.check("You are a clown.")).toMatchObject({
      flagged: true,
      matches: [{ start: 0, end: 16, term: "INSULT" }],
    });
  });

  it("sends at most 10 segments a request", async () => {
    const text = Array.from({ length: 12 }, (_, i) => `Line number ${i + 1} is here.`).join(" ");
    const { client, commands } = mockedClient((input) => ({
      $metadata: METADATA,
      ResultList: input.TextSegments.map(() => toxicity()),
    }));
    const result = await new ComprehendProfanityEngine({ client }).check(text);
    expect(commands().map((c) => c.input.TextSegments.length)).toEqual([10, 2]);
    expect(commands()[1].input.TextSegments).toEqual([
      { Text: "Line number 11 is here." },
      { Text: "Line number 12 is here." },
    ]);
    expect(result.flagged).toBe(false);
    expect(result.censored).toBe(text);
  });

  it("checks a blank message without a request", async () => {
    const { client, send } = mockedClient(() => {
      throw new Error("no request expected");
    });
    expect(await new ComprehendProfanityEngine({ client }).check("  \n ")).toMatchObject({
      flagged: false,
      matches: [],
    });
    expect(send).not.toHaveBeenCalled();
  });

  it("fails with EngineResponseError when the results do not match the segments", async () => {
    const { client } = mockedClient(() => ({ $metadata: METADATA, ResultList: [] }));
    await expect(new ComprehendProfanityEngine({ client }).check("Hello there.")).rejects.toBeInstanceOf(
      EngineResponseError,
    );
  });
});

describe("Comprehend sentiment adapter (BatchDetectSentiment)", () => {
  /** A batch answer as Comprehend gives it: one result per document, in Index order. */
  function answer(input: { TextList: string[] }): BatchDetectSentimentCommandOutput {
    return {
      $metadata: METADATA,
      ResultList: input.TextList.map((text, Index) =>
        text.includes("love")
          ? {
              Index,
              Sentiment: "POSITIVE",
              SentimentScore: { Positive: 0.9871, Negative: 0.0012, Neutral: 0.0101, Mixed: 0.0016 },
            }
          : text.includes("disaster")
            ? {
                Index,
                Sentiment: "NEGATIVE",
                SentimentScore: { Positive: 0.0031, Negative: 0.9624, Neutral: 0.0305, Mixed: 0.004 },
              }
            : {
                Index,
                Sentiment: "NEUTRAL",
                SentimentScore: { Positive: 0.0421, Negative: 0.0188, Neutral: 0.9377, Mixed: 0.0014 },
              },
      ),
      ErrorList: [],
    };
  }

  it("sends many messages in batches of at most 25, leaves blank ones out, and maps the scores back in order", async () => {
    const texts = Array.from({ length: 31 }, (_, i) => `Status update number ${i}.`);
    texts[0] = "I love the new onboarding flow.";
    texts[3] = "";
    texts[28] = "The release was a disaster.";
    const { client, commands } = mockedClient(answer);
    const scores = await new ComprehendSentimentEngine({ client }).score(texts);

    expect(commands().every((c) => c.operation === "BatchDetectSentiment")).toBe(true);
    expect(commands().map((c) => c.input)).toEqual([
      { TextList: texts.filter((t) => t !== "").slice(0, 25), LanguageCode: "en" },
      { TextList: texts.filter((t) => t !== "").slice(25), LanguageCode: "en" },
    ]);
    expect(scores).toHaveLength(31);
    expect(scores[0]).toEqual({ label: "positive", score: 0.9859, engine: "amazon-comprehend:BatchDetectSentiment" });
    expect(scores[3]).toEqual({ label: "neutral", score: 0, engine: "amazon-comprehend:BatchDetectSentiment" });
    expect(scores[28]!.label).toBe("negative");
    expect(scores[28]!.score).toBeCloseTo(-0.9593, 6);
    expect(scores[1]!.label).toBe("neutral");
    expect(scores[1]!.score).toBeCloseTo(0.0233, 6);
  });

  it("sends a text over 5 KB as its first 5,000 bytes, without splitting a character", async () => {
    const long = "é".repeat(3000); // 6,000 bytes
    const { client, commands } = mockedClient(answer);
    await new ComprehendSentimentEngine({ client, languageCode: "fr" }).score([long]);
    const sent: string = commands()[0].input.TextList[0];
    expect(sent).toBe("é".repeat(2500));
    expect(commands()[0].input.LanguageCode).toBe("fr");
  });

  it("fails with EngineResponseError naming the message when Comprehend reports a per-document error", async () => {
    const { client } = mockedClient(() => ({
      $metadata: METADATA,
      ResultList: [
        {
          Index: 0,
          Sentiment: "NEUTRAL",
          SentimentScore: { Positive: 0.1, Negative: 0.1, Neutral: 0.8, Mixed: 0 },
        },
      ],
      ErrorList: [{ Index: 1, ErrorCode: "INTERNAL_SERVER_ERROR", ErrorMessage: "Internal server error" }],
    }));
    const failure = new ComprehendSentimentEngine({ client }).score(["", "Fine.", "Also fine."]);
    await expect(failure).rejects.toBeInstanceOf(EngineResponseError);
    await expect(failure).rejects.toThrow("#2 INTERNAL_SERVER_ERROR");
  });
});

describe("fitting text to Comprehend's byte limits", () => {
  it("truncates at a character boundary", () => {
    expect(truncateUtf8("añb", 2)).toBe("a");
    expect(truncateUtf8("añb", 3)).toBe("añ");
    expect(truncateUtf8("a😀b", 4)).toBe("a");
    expect(truncateUtf8("short", 100)).toBe("short");
  });

  it("cuts a sentence over the limit at whitespace, with every span within the limit", () => {
    const words = Array.from({ length: 400 }, (_, i) => `wörd${i}`).join(" ");
    const spans = sentenceSpans(words, 1000);
    expect(spans.length).toBeGreaterThan(1);
    for (const { start, end } of spans) {
      const piece = words.slice(start, end);
      expect(utf8Length(piece)).toBeLessThanOrEqual(1000);
      expect(piece).toBe(piece.trim());
    }
    expect(spans.map(({ start, end }) => words.slice(start, end)).join(" ")).toBe(words);
  });
});
