import { describe, expect, it } from "vitest";
import { assertSupportedPattern, matchesPattern } from "../../local/eventbridge/pattern.js";
import { RULES } from "../../shared/events/rules.js";
import { STREAM_FILTER_PATTERN } from "../../shared/store/table.js";

const event = (type: string, extra: Record<string, unknown> = {}) => ({
  source: "cortex",
  "detail-type": type,
  detail: { projectId: "p1", tags: ["a", "b"] },
  ...extra,
});

describe("the local router's EventBridge pattern matching", () => {
  it("matches exact values, prefixes and nested detail fields", () => {
    const pattern = { source: ["cortex"], "detail-type": [{ prefix: "gathering." }], detail: { projectId: ["p1"] } };
    expect(matchesPattern(pattern, event("gathering.created"))).toBe(true);
    expect(matchesPattern(pattern, event("session.created"))).toBe(false);
    expect(matchesPattern(pattern, { ...event("gathering.created"), detail: { projectId: "p2" } })).toBe(false);
  });

  it("matches any element of an array field, wildcards, suffixes, anything-but and exists", () => {
    expect(matchesPattern({ detail: { tags: ["b"] } }, event("x"))).toBe(true);
    expect(
      matchesPattern({ "detail-type": [{ wildcard: "gathering.member.*" }] }, event("gathering.member.ready")),
    ).toBe(true);
    expect(matchesPattern({ "detail-type": [{ wildcard: "gathering.member.*" }] }, event("gathering.created"))).toBe(
      false,
    );
    expect(matchesPattern({ "detail-type": [{ suffix: ".ready" }] }, event("gathering.member.ready"))).toBe(true);
    expect(
      matchesPattern({ "detail-type": [{ "anything-but": ["gathering.created"] }] }, event("gathering.created")),
    ).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event("x"))).toBe(true);
    expect(matchesPattern({ detail: { projectId: [{ exists: false }] } }, event("x"))).toBe(false);
  });

  it("applies the stream filter: inserted event items only", () => {
    const record = (eventName: string, kind: string) => ({ eventName, dynamodb: { NewImage: { kind: { S: kind } } } });
    expect(matchesPattern(STREAM_FILTER_PATTERN, record("INSERT", "event"))).toBe(true);
    expect(matchesPattern(STREAM_FILTER_PATTERN, record("MODIFY", "event"))).toBe(false);
    expect(matchesPattern(STREAM_FILTER_PATTERN, record("INSERT", "gathering"))).toBe(false);
    expect(matchesPattern(STREAM_FILTER_PATTERN, { eventName: "REMOVE", dynamodb: {} })).toBe(false);
  });

  it("accepts every shared rule and rejects operators it does not implement", () => {
    for (const rule of RULES) expect(() => assertSupportedPattern(rule.pattern)).not.toThrow();
    expect(() => assertSupportedPattern({ detail: { n: [{ numeric: [">", 1] }] } })).toThrow(/not supported/);
  });
});
