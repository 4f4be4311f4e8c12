import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../shared/events/catalog.js";
import { matchesFilters, MAX_EVENT_FILTERS, validateEventFilters } from "../../shared/events/filter.js";

const known = [
  "gathering.created",
  "gathering.ended",
  "gathering.member.joined",
  "gathering.member.left",
  "session.created",
];

describe("validating webhook event filters", () => {
  it("accepts *, exact known types and dotted prefixes with .* that match a known type", () => {
    expect(validateEventFilters(["gathering.member.*", "gathering.created", "*"], known)).toEqual([]);
    expect(validateEventFilters(["gathering.*", "session.*", "session.created"], known)).toEqual([]);
    expect(validateEventFilters([], known)).toEqual([]);
  });

  it("accepts every type of the real event catalog and each of its prefixes", () => {
    const prefixes = EVENT_TYPES.flatMap((type) => {
      const parts = type.split(".");
      return parts.slice(1).map((_, i) => `${parts.slice(0, i + 1).join(".")}.*`);
    });
    expect(validateEventFilters([...EVENT_TYPES], EVENT_TYPES)).toEqual([]);
    expect(validateEventFilters([...new Set(prefixes)], EVENT_TYPES)).toEqual([]);
  });

  it("names each bad filter by its index", () => {
    expect(
      validateEventFilters(
        [
          "gathering.created",
          "gathering.deleted", // unknown type
          "Gathering.created", // types are case-sensitive
          "billing.*", // prefix without a type
          "gathering.mem*", // partial wildcard
          "*.created", // leading wildcard
          "gathering.**",
          ".*",
          "gathering..*",
          "",
          "gathering.created", // duplicate
        ],
        known,
      ),
    ).toEqual([
      { path: "filters.1", message: '"gathering.deleted" is not a known event type' },
      { path: "filters.2", message: '"Gathering.created" is not a known event type' },
      { path: "filters.3", message: '"billing.*" matches no known event type' },
      {
        path: "filters.4",
        message: '"gathering.mem*" may use * only alone or as a whole last segment, e.g. "gathering.*"',
      },
      { path: "filters.5", message: '"*.created" may use * only alone or as a whole last segment, e.g. "gathering.*"' },
      {
        path: "filters.6",
        message: '"gathering.**" may use * only alone or as a whole last segment, e.g. "gathering.*"',
      },
      { path: "filters.7", message: '".*" is not a dotted prefix followed by .*, e.g. "gathering.member.*"' },
      { path: "filters.8", message: '"gathering..*" is not a dotted prefix followed by .*, e.g. "gathering.member.*"' },
      { path: "filters.9", message: '"" is not a known event type' },
      { path: "filters.10", message: 'duplicates filters.0 ("gathering.created")' },
    ]);
  });

  it("refuses a prefix that names a whole type rather than a level above types", () => {
    expect(validateEventFilters(["gathering.created.*"], known)).toEqual([
      { path: "filters.0", message: '"gathering.created.*" matches no known event type' },
    ]);
  });

  it(`allows ${MAX_EVENT_FILTERS} filters and refuses ${MAX_EVENT_FILTERS + 1}`, () => {
    const many = Array.from({ length: MAX_EVENT_FILTERS + 1 }, (_, i) => `type.${i}`);
    expect(validateEventFilters(many.slice(0, MAX_EVENT_FILTERS), many)).toEqual([]);
    expect(validateEventFilters(many, many)).toEqual([
      { path: "filters", message: "must have at most 50 filters, got 51" },
    ]);
  });

  it("reports paths under the field name the caller gives", () => {
    expect(validateEventFilters(["nope"], known, "endpoint.filterTypes")).toEqual([
      { path: "endpoint.filterTypes.0", message: '"nope" is not a known event type' },
    ]);
  });
});

describe("matching an event type against webhook filters", () => {
  it("delivers everything when there are no filters or one of them is *", () => {
    for (const type of [...known, "anything.new"]) {
      expect(matchesFilters([], type)).toBe(true);
      expect(matchesFilters(["session.created", "*"], type)).toBe(true);
    }
  });

  it("matches an exact type only itself", () => {
    expect(matchesFilters(["gathering.created"], "gathering.created")).toBe(true);
    expect(matchesFilters(["gathering.created"], "gathering.created.extra")).toBe(false);
    expect(matchesFilters(["gathering.created"], "gathering.ended")).toBe(false);
  });

  it("matches a prefix wildcard at any depth below the prefix, but not the prefix or a longer word", () => {
    const filters = ["gathering.member.*"];
    expect(matchesFilters(filters, "gathering.member.joined")).toBe(true);
    expect(matchesFilters(filters, "gathering.member.role.changed")).toBe(true);
    expect(matchesFilters(filters, "gathering.member")).toBe(false);
    expect(matchesFilters(filters, "gathering.members.joined")).toBe(false);
    expect(matchesFilters(filters, "gathering.created")).toBe(false);
    expect(matchesFilters(["gathering.*"], "gathering.member.left")).toBe(true);
    expect(matchesFilters(["gathering.*"], "session.created")).toBe(false);
  });

  it("matches when any one filter of several matches", () => {
    const filters = ["gathering.member.*", "session.ended"];
    expect(matchesFilters(filters, "session.ended")).toBe(true);
    expect(matchesFilters(filters, "gathering.member.left")).toBe(true);
    expect(matchesFilters(filters, "session.created")).toBe(false);
  });
});
