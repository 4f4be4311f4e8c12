import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsClient, SERVICES } from "../../shared/adapters/aws/client/aws-client.js";
import { ComprehendSentimentEngine } from "../../shared/adapters/aws/comprehend-sentiment.js";
import { ComprehendProfanityEngine } from "../../shared/adapters/aws/comprehend-toxicity.js";
import { WinkSentimentEngine } from "../../shared/domain/plugins/sentiment-wink.js";
import { CLEAN, NEGATIVE, POSITIVE, PROFANE } from "../fixtures/meeting.js";
import {
  SENTIMENT_TARGET,
  startComprehendServer,
  TOXICITY_TARGET,
  type ComprehendServer,
} from "../support/comprehend-server.js";

/**
 * The Comprehend stand-in the plugin fault tests run against, checked through the real adapters and the
 * real AWS SDK over HTTP: what it answers maps back to what the local engines say, and a scripted
 * failure is one failed request (the SDK does not retry it by itself).
 */
let server: ComprehendServer;
let client: AwsClient;
beforeAll(async () => {
  server = await startComprehendServer();
  client = new AwsClient(SERVICES.comprehend, {
    endpoint: server.url,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
});
afterAll(() => server.close());

const texts = [CLEAN, POSITIVE, NEGATIVE, PROFANE].map((m) => m.content);

describe("the Comprehend stand-in", () => {
  it("scores sentiment as the wink engine does, through BatchDetectSentiment, and records the request", async () => {
    const before = server.requests.length;
    const scores = await new ComprehendSentimentEngine({ client }).score(texts);
    const wink = await new WinkSentimentEngine().score(texts);
    expect(scores.map((s) => s.label)).toEqual(wink.map((s) => s.label));
    scores.forEach((s, i) => expect(s.score).toBeCloseTo(wink[i]!.score, 10));
    expect(scores.every((s) => s.engine === "amazon-comprehend:BatchDetectSentiment")).toBe(true);
    expect(server.requests.slice(before)).toEqual([
      { target: SENTIMENT_TARGET, body: { TextList: texts, LanguageCode: "en" }, status: 200, at: expect.any(Number) },
    ]);
  });

  it("flags the profane sentence through DetectToxicContent and leaves a clean one alone", async () => {
    const engine = new ComprehendProfanityEngine({ client });
    const profane = await engine.check(PROFANE.content);
    expect(profane).toMatchObject({
      flagged: true,
      matches: [{ start: 0, end: PROFANE.content.length, term: "PROFANITY" }],
    });
    expect((await engine.check(CLEAN.content)).flagged).toBe(false);
    expect(server.requestsFor(TOXICITY_TARGET).at(-1)!.body.TextSegments).toEqual(
      expect.arrayContaining([{ Text: expect.any(String) }]),
    );
  });

  it("fails the next request once with a Comprehend error the client does not retry, then answers again", async () => {
    server.failNext(1, { target: SENTIMENT_TARGET });
    const before = server.requests.length;
    const engine = new ComprehendSentimentEngine({ client });
    await expect(engine.score(["Fine."])).rejects.toMatchObject({
      name: "InvalidRequestException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(server.requests.slice(before).map((r) => r.status)).toEqual([400]);
    expect((await engine.score(["Fine."]))[0]!.engine).toBe("amazon-comprehend:BatchDetectSentiment");
    // Failures aimed at one operation leave the other alone.
    server.failAlways({ target: SENTIMENT_TARGET });
    expect((await new ComprehendProfanityEngine({ client }).check(PROFANE.content)).flagged).toBe(true);
    await expect(engine.score(["Fine."])).rejects.toMatchObject({ name: "InvalidRequestException" });
    server.stopFailing();
    expect(server.requests.slice(before).map((r) => `${r.target.split(".")[1]} ${r.status}`)).toEqual([
      "BatchDetectSentiment 400",
      "BatchDetectSentiment 200",
      "DetectToxicContent 200",
      "BatchDetectSentiment 400",
    ]);
  });
});
