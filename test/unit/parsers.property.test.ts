import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatEvent, parseVersion } from "../../shared/app/live/event-stream.js";
import {
  formatJoinCode,
  generateJoinCode,
  JOIN_CODE_ALPHABET,
  normalizeJoinCode,
} from "../../shared/domain/gatherings/join-code.js";
import { matchPath } from "../../shared/app/http/routes.js";
import { atExpression } from "../../shared/domain/scheduling/schedules.js";
import { readEventStream } from "../../sdk/src/sse.js";
import type { EventEnvelope } from "../../shared/kernel/envelope.js";

/** Property tests on the pure parsers that stand between the outside world and the domain. */
const canonicalCode = fc
  .array(fc.constantFrom(...JOIN_CODE_ALPHABET), { minLength: 8, maxLength: 8 })
  .map((chars) => chars.join(""));

describe("join-code normalisation", () => {
  it("any spelling of a code — case, hyphens, spaces, look-alikes — resolves to the same code", () => {
    fc.assert(
      fc.property(
        canonicalCode,
        fc.array(fc.constantFrom("", "-", " ", "\u00a0", "\u200b", "_"), { minLength: 9, maxLength: 9 }),
        (code, seps) => {
          const spelled = [...formatJoinCode(code)]
            .map((c, i) => (i % 2 ? c.toLowerCase() : c))
            .map((c, i) => `${seps[i] ?? ""}${c}`)
            .join("");
          expect(normalizeJoinCode(spelled)).toBe(code);
          expect(normalizeJoinCode(spelled.replace(/0/g, "o").replace(/1/g, "l"))).toBe(code);
        },
      ),
    );
  });

  it("never throws, and whatever it accepts is canonical and a fixed point", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 30 }), (input) => {
        const code = normalizeJoinCode(input);
        if (code !== undefined) {
          expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
          expect(normalizeJoinCode(code)).toBe(code);
          expect(normalizeJoinCode(formatJoinCode(code))).toBe(code);
        }
      }),
    );
  });

  it("generated codes are canonical", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        let state = seed;
        const code = generateJoinCode((max) => Math.abs((state = (state * 1103515245 + 12345) | 0)) % max);
        expect(normalizeJoinCode(code)).toBe(code);
      }),
    );
  });
});

describe("path matching", () => {
  const segment = fc.string({ minLength: 1, maxLength: 20 });

  it("recovers every parameter of a filled template, whatever characters it holds", () => {
    fc.assert(
      fc.property(segment, segment, (projectId, gatheringId) => {
        const path = `/v1/projects/${encodeURIComponent(projectId)}/gatherings/${encodeURIComponent(gatheringId)}`;
        expect(matchPath("/v1/projects/{projectId}/gatherings/{gatheringId}", path)).toEqual({
          projectId,
          gatheringId,
        });
      }),
    );
  });

  it("never throws on arbitrary paths, and never matches a different number of segments", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (path) => {
        const params = matchPath("/v1/projects/{projectId}/gatherings", path);
        if (params) expect(path.split("/")).toHaveLength(5);
      }),
    );
  });
});

describe("versions (Last-Event-ID, ?after=)", () => {
  it("a non-negative integer of up to 15 digits parses to itself; anything else is NaN or absent", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), (n) => {
        expect(parseVersion(String(n))).toBe(n);
        expect(parseVersion(` ${n} `)).toBe(n);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (raw) => {
        const parsed = parseVersion(raw);
        if (raw.trim() === "") expect(parsed).toBeUndefined();
        else if (/^\d{1,15}$/.test(raw.trim())) expect(parsed).toBe(Number(raw.trim()));
        else expect(parsed).toBeNaN();
      }),
    );
  });
});

describe("Scheduler at() expressions", () => {
  it("are the instant in UTC rounded up to the second (never early), with no zone", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }),
        (date) => {
          const expression = atExpression(date.toISOString());
          expect(expression).toMatch(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/);
          expect(Date.parse(`${expression.slice(3, -1)}Z`)).toBe(Math.ceil(date.getTime() / 1000) * 1000);
        },
      ),
    );
  });
});

describe("the SDK's SSE parser against what the server writes", () => {
  const stream = (text: string, cuts: number[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        const bytes = new TextEncoder().encode(text);
        let at = 0;
        for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b)) {
          controller.enqueue(bytes.slice(at, cut));
          at = cut;
        }
        controller.enqueue(bytes.slice(at));
        controller.close();
      },
    });

  it("reads back every event, in order, however the bytes are split into chunks", async () => {
    const envelope = fc.record({
      type: fc.constantFrom("gathering.created", "gathering.member.ready"),
      note: fc.string({ unit: "grapheme", maxLength: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(envelope, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(2000), { maxLength: 6 }),
        async (drafts, cuts) => {
          const events = drafts.map(
            (d, i) =>
              ({ id: `evt_${i}`, type: d.type, version: i + 1, data: { note: d.note } }) as unknown as EventEnvelope,
          );
          const text = `retry: 1000\n: comment\n\n${events.map(formatEvent).join(": heartbeat\n\n")}`;
          const seen: Array<{ id: string | undefined; event: string; data: string }> = [];
          for await (const chunk of readEventStream(stream(text, cuts))) seen.push(...chunk.messages);
          expect(seen.map((m) => m.id)).toEqual(events.map((e) => String(e.version)));
          expect(seen.map((m) => m.event)).toEqual(events.map((e) => e.type));
          expect(seen.map((m) => JSON.parse(m.data))).toEqual(events);
        },
      ),
    );
  });
});
