import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { resolveDueDate } from "../../shared/domain/plugins/due-dates.js";
import type { MeetingMessage } from "../../shared/domain/plugins/engines.js";
import { ObscenityProfanityEngine } from "../../shared/domain/plugins/profanity-obscenity.js";
import { ExtractiveSummaryEngine } from "../../shared/domain/plugins/summary-extractive.js";
import { analyse } from "../../shared/domain/plugins/wink.js";

/** Property tests on the local annotation engines: whatever a transcript holds, offsets and quotes stay true. */

const word = fc.constantFrom(
  "Alice",
  "will",
  "send",
  "the",
  "guide",
  "by",
  "Friday",
  "I'll",
  "don't",
  "e-mail",
  "https://example.com/a?b=1",
  "😀",
  "🇩🇪",
  "naïve",
  "“quoted”",
  "—",
  "3.5",
  "$20",
  "#tag",
  "@bob",
  ".",
  "!",
  "?",
  ",",
  "\n",
  "\t",
  "shit",
  "sh1t",
  "f*ck",
);
const separator = fc.constantFrom(" ", "", "  ", "\n");
const text = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.array(fc.tuple(word, separator), { maxLength: 30 }).map((parts) => parts.map(([w, s]) => w + s).join("")),
);

describe("wink analysis", () => {
  it("places every token at its own text, sentences in order and without overlap", () => {
    fc.assert(
      fc.property(text, (input) => {
        let previousEnd = 0;
        for (const sentence of analyse(input).sentences) {
          expect(sentence.start).toBeGreaterThanOrEqual(previousEnd);
          expect(sentence.text).toBe(input.slice(sentence.start, sentence.end));
          for (const token of sentence.tokens) expect(input.slice(token.start, token.end)).toBe(token.value);
          previousEnd = sentence.end;
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("local profanity engine", () => {
  const engine = new ObscenityProfanityEngine();

  it("censors only inside its matches, keeping the text's length, with spans inside the text", async () => {
    await fc.assert(
      fc.asyncProperty(text, async (input) => {
        const result = await engine.check(input);
        expect(result.censored).toHaveLength(input.length);
        expect(result.flagged).toBe(result.matches.length > 0);
        const inside = (i: number) => result.matches.some((m) => i >= m.start && i < m.end);
        for (const m of result.matches) {
          expect(m.start).toBeGreaterThanOrEqual(0);
          expect(m.end).toBeLessThanOrEqual(input.length);
          expect(m.start).toBeLessThan(m.end);
        }
        for (let i = 0; i < input.length; i++) if (!inside(i)) expect(result.censored[i]).toBe(input[i]);
      }),
      { numRuns: 300 },
    );
  });
});

describe("local extractive summary", () => {
  const engine = new ExtractiveSummaryEngine();
  const meeting = fc.array(text, { minLength: 1, maxLength: 12 }).map((contents): MeetingMessage[] =>
    contents.map((content, i) => ({
      id: `m${i}`,
      senderName: "S",
      content,
      timestamp: new Date(Date.UTC(2030, 6, 2, 9, 0, i)).toISOString(),
    })),
  );

  it("quotes only sentences of the message it names", async () => {
    await fc.assert(
      fc.asyncProperty(meeting, async (messages) => {
        const { sentences } = await engine.summarize(messages);
        for (const sentence of sentences) {
          const message = messages.find((m) => m.id === sentence.messageId);
          expect(message?.content).toContain(sentence.text);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("due dates", () => {
  it("a weekday resolves to that weekday, one to seven days after the day it was said", () => {
    const weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }),
        fc.integer({ min: 0, max: 6 }),
        (said, weekday) => {
          const resolved = resolveDueDate(weekdays[weekday]!, said.toISOString());
          expect(resolved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
          const due = Date.parse(`${resolved}T00:00:00Z`);
          const day = Date.UTC(said.getUTCFullYear(), said.getUTCMonth(), said.getUTCDate());
          expect(new Date(due).getUTCDay()).toBe(weekday);
          const days = (due - day) / 86_400_000;
          expect(days).toBeGreaterThanOrEqual(1);
          expect(days).toBeLessThanOrEqual(7);
        },
      ),
    );
  });
});
