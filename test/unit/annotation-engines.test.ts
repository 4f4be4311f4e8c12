import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RuleBasedActionItemsEngine } from "../../shared/domain/plugins/action-items-rules.js";
import { OBSCENITY_VERSION, ObscenityProfanityEngine } from "../../shared/domain/plugins/profanity-obscenity.js";
import { WinkSentimentEngine } from "../../shared/domain/plugins/sentiment-wink.js";
import { ExtractiveSummaryEngine } from "../../shared/domain/plugins/summary-extractive.js";
import { WINK_MODEL_VERSION, WINK_NLP_VERSION } from "../../shared/domain/plugins/wink.js";
import {
  ALICE_COMMITMENT,
  CLEAN,
  MEETING,
  NEGATIVE,
  POSITIVE,
  PROFANE,
  REQUEST,
  SPEAKER_COMMITMENT,
} from "../fixtures/meeting.js";

/** The local (offline) engines on the scripted stand-up: issue 13's acceptance, at the engine level. */

const installedVersion = (name: string) =>
  (
    JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url), "utf8")) as {
      version: string;
    }
  ).version;

describe("local profanity engine (obscenity)", () => {
  const engine = new ObscenityProfanityEngine();

  it("flags only the profane line of the meeting, with the span of the word and a censored text", async () => {
    const results = await Promise.all(MEETING.map((m) => engine.check(m.content)));
    const flagged = MEETING.filter((_, i) => results[i]!.flagged).map((m) => m.id);
    expect(flagged).toEqual([PROFANE.id]);

    const result = results[MEETING.indexOf(PROFANE)]!;
    expect(result.matches).toEqual([{ start: 30, end: 34, term: "shit" }]);
    expect(PROFANE.content.slice(30, 34)).toBe("shit");
    expect(result.censored).toBe("The staging box is a piece of s*** again, I restarted it twice.");
    expect(result.engine).toBe(`obscenity@${OBSCENITY_VERSION}`);
  });

  it("returns a clean line unchanged and unflagged", async () => {
    expect(await engine.check(CLEAN.content)).toEqual({
      flagged: false,
      matches: [],
      censored: CLEAN.content,
      engine: `obscenity@${OBSCENITY_VERSION}`,
    });
  });

  it("catches leetspeak and inflections but not words that merely contain a listed word", async () => {
    expect((await engine.check("Scunthorpe's assessment of the class pass")).flagged).toBe(false);
    const leet = await engine.check("what a b1tch of a bug");
    expect(leet.matches).toEqual([{ start: 7, end: 12, term: "bitch" }]);
    const inflected = await engine.check("this fucking build");
    expect(inflected.matches).toEqual([{ start: 5, end: 9, term: "fuck" }]);
    expect(inflected.censored).toBe("this f***ing build");
  });
});

describe("local sentiment engine (wink-nlp)", () => {
  const engine = new WinkSentimentEngine();

  it("scores the whole meeting in one call: the clearly positive line positive, the clearly negative negative", async () => {
    const scores = await engine.score(MEETING.map((m) => m.content));
    expect(scores).toHaveLength(MEETING.length);
    const positive = scores[MEETING.indexOf(POSITIVE)]!;
    const negative = scores[MEETING.indexOf(NEGATIVE)]!;
    expect(positive.label).toBe("positive");
    expect(positive.score).toBeGreaterThan(0.2);
    expect(negative.label).toBe("negative");
    expect(negative.score).toBeLessThan(-0.2);
    for (const s of scores) {
      expect(s.score).toBeGreaterThanOrEqual(-1);
      expect(s.score).toBeLessThanOrEqual(1);
      expect(s.engine).toBe(`wink-nlp@${WINK_NLP_VERSION}:sentiment`);
    }
  });

  it("reads negation, calls a line with a clearly positive and a clearly negative sentence mixed, and an empty text neutral", async () => {
    const [notBad, mixed, empty] = await engine.score([
      "Not bad at all.",
      "I love the new dashboard. The login page is terrible.",
      "",
    ]);
    expect(notBad!.score).toBeGreaterThan(0);
    expect(mixed!.label).toBe("mixed");
    expect(empty).toMatchObject({ label: "neutral", score: 0 });
  });
});

describe("local extractive summary", () => {
  const engine = new ExtractiveSummaryEngine();

  it("is made of the meeting's own sentences, each quoted verbatim from its message, in meeting order", async () => {
    const result = await engine.summarize(MEETING);
    expect(result.engine).toBe(`wink-nlp@${WINK_NLP_VERSION}:extractive-summary`);
    expect(result.sentences.length).toBeGreaterThan(0);
    expect(result.sentences.length).toBeLessThan(MEETING.length);

    const positions = result.sentences.map((sentence) => {
      const index = MEETING.findIndex((m) => m.id === sentence.messageId);
      expect(index).toBeGreaterThanOrEqual(0);
      const offset = MEETING[index]!.content.indexOf(sentence.text);
      expect(offset).toBeGreaterThanOrEqual(0);
      return index * 10_000 + offset;
    });
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(result.summary).toBe(result.sentences.map((s) => s.text).join(" "));
  });

  it("orders by the messages' timestamps, not the order they are given in", async () => {
    const shuffled = [...MEETING].reverse();
    expect(await engine.summarize(shuffled)).toEqual(await engine.summarize(MEETING));
  });

  it("keeps the share of sentences it is asked for and never repeats one", async () => {
    const all = await new ExtractiveSummaryEngine({ ratio: 1, maxSentences: 100 }).summarize(MEETING);
    const texts = all.sentences.map((s) => `${s.messageId}:${s.text}`);
    expect(new Set(texts).size).toBe(texts.length);
    const one = await new ExtractiveSummaryEngine({ maxSentences: 1 }).summarize(MEETING);
    expect(one.sentences).toHaveLength(1);
  });

  it("summarizes an empty meeting as nothing", async () => {
    expect(await engine.summarize([])).toEqual({ summary: "", sentences: [], engine: engine.engine });
  });
});

describe("local rule-based action items", () => {
  const engine = new RuleBasedActionItemsEngine();

  it("finds Alice's commitment: owner Alice, the migration guide, due Friday resolved from the message's day", async () => {
    const { items, engine: name } = await engine.extract(MEETING);
    expect(name).toBe(`wink-nlp@${WINK_NLP_VERSION}:rule-based-action-items`);
    const alice = items.find((item) => item.messageId === ALICE_COMMITMENT.id);
    expect(alice).toEqual({
      owner: "Alice",
      task: "send the migration guide",
      due: "2030-07-05",
      duePhrase: "Friday",
      messageId: ALICE_COMMITMENT.id,
    });
  });

  it("gives an 'I will' to the speaker and a 'can you' to the person addressed; ordinary lines are no items", async () => {
    const { items } = await engine.extract(MEETING);
    expect(items.map((i) => i.messageId)).toEqual([ALICE_COMMITMENT.id, SPEAKER_COMMITMENT.id, REQUEST.id]);
    expect(items[1]).toEqual({
      owner: SPEAKER_COMMITMENT.senderName,
      task: "update the runbook for the migration",
      due: "2030-07-03",
      duePhrase: "tomorrow",
      messageId: SPEAKER_COMMITMENT.id,
    });
    expect(items[2]).toEqual({
      owner: "Carol",
      task: "review the billing export pull request",
      due: "2030-07-04",
      duePhrase: "Thursday",
      messageId: REQUEST.id,
    });
  });
});

describe("engine names", () => {
  it("carry the versions of the installed libraries", () => {
    expect(OBSCENITY_VERSION).toBe(installedVersion("obscenity"));
    expect(WINK_NLP_VERSION).toBe(installedVersion("wink-nlp"));
    expect(WINK_MODEL_VERSION).toBe(installedVersion("wink-eng-lite-web-model"));
  });
});
