import { describe, expect, it } from "vitest";
import { ValidationError } from "../../shared/kernel/errors.js";
import { METADATA_MAX_DEPTH, metadataIssues } from "../../shared/domain/gatherings/metadata.js";
import { CreateGatheringBodySchema } from "../../shared/domain/gatherings/model.js";
import { openCursor, sealCursor } from "../../shared/app/http/cursor.js";
import { jsonNestingDepth, MAX_BODY_DEPTH, parseJsonBody } from "../../shared/app/http/json-body.js";
import { PATH_PARAMS, ProjectIdSchema, ROUTES, type RouteDefinition } from "../../shared/app/http/routes.js";
import { parsePathParams } from "../../shared/app/http/validation.js";
import { buildCalendar } from "../../shared/domain/mail/calendar.js";

const issuePaths = (value: Record<string, unknown>) => metadataIssues(value).map((i) => i.path.join("."));

describe("metadata rules", () => {
  it("accepts what DynamoDB stores exactly", () => {
    expect(
      metadataIssues({
        id: "1234567890123456789",
        max: Number.MAX_SAFE_INTEGER,
        min: Number.MIN_SAFE_INTEGER,
        pi: 3.14159,
        small: -1e-130,
        zero: -0,
        list: [null, true, "x", { a: [] }],
      }),
    ).toEqual([]);
  });

  it("names every number beyond ±(2^53−1) or below 1e-130 in magnitude, at any depth", () => {
    expect(issuePaths({ a: 2 ** 53, b: { c: [1, -1e300] }, d: 1e-131, e: 1e-300 })).toEqual(["a", "b.c.1", "d", "e"]);
    expect(metadataIssues({ a: 2 ** 53 })[0]!.message).toMatch(/as strings/);
  });

  it("names empty keys at any depth", () => {
    expect(issuePaths({ "": 1, a: { b: [{ "": 2 }] } })).toEqual(["", "a.b.0."]);
  });

  it(`refuses nesting deeper than ${METADATA_MAX_DEPTH} levels once, without recursing`, () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 200_000; i++) deep = [deep];
    const issues = metadataIssues({ deep });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/deeper than 8 levels/);
    let ok: unknown = {};
    for (let i = 0; i < METADATA_MAX_DEPTH - 1; i++) ok = { k: ok };
    expect(metadataIssues(ok as Record<string, unknown>)).toEqual([]);
    expect(metadataIssues({ k: ok })).toHaveLength(1);
  });

  it("keeps the 4 KB limit, and reports paths through the body schema", () => {
    expect(issuePaths({ blob: "x".repeat(4096) })).toEqual([""]);
    const result = CreateGatheringBodySchema.safeParse({ name: "n", type: "lobby", metadata: { a: { "": 1 } } });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path)).toEqual([["metadata", "a", ""]]);
  });
});

describe("JSON bodies", () => {
  it("measures nesting without counting brackets inside strings", () => {
    expect(jsonNestingDepth('{"a":[1,{"b":"[[[{{{\\"]]]"}]}')).toBe(3);
    expect(jsonNestingDepth("1")).toBe(0);
  });

  it(`refuses bodies nested deeper than ${MAX_BODY_DEPTH} levels and malformed JSON with a 400`, () => {
    const deep = "[".repeat(1_000_000) + "]".repeat(1_000_000);
    expect(() => parseJsonBody(deep)).toThrow(ValidationError);
    expect(() => parseJsonBody("[".repeat(MAX_BODY_DEPTH + 1) + "]".repeat(MAX_BODY_DEPTH + 1))).toThrow(/deeper/);
    expect(parseJsonBody("[".repeat(MAX_BODY_DEPTH) + "]".repeat(MAX_BODY_DEPTH))).toBeInstanceOf(Array);
    expect(() => parseJsonBody("{")).toThrow(/not valid JSON/);
  });
});

describe("cursors", () => {
  const key = Buffer.alloc(32, 7);
  const binding = ["listMembers", "tenant", [["gatheringId", "gth_1"]], []];

  it("opens only a cursor sealed for the same listing with the same key", () => {
    const sealed = sealCursor(key, binding, "eyJQSyI6IngifQ");
    expect(openCursor(key, binding, sealed)).toBe("eyJQSyI6IngifQ");
    const refused = [
      () => openCursor(key, ["listMembers", "tenant", [["gatheringId", "gth_2"]], []], sealed),
      () => openCursor(key, [...binding.slice(0, 3), [["status", "joined"]]], sealed),
      () => openCursor(Buffer.alloc(32, 8), binding, sealed),
      () => openCursor(key, binding, "eyJQSyI6InkifQ" + sealed.slice(sealed.indexOf("."))),
      () => openCursor(key, binding, "e30"),
      () => openCursor(key, binding, ""),
      () => openCursor(key, binding, "."),
    ];
    for (const open of refused) expect(open).toThrow(/cursor is not valid/);
  });
});

describe("path parameters", () => {
  it("has a schema for every parameter of every route", () => {
    for (const route of ROUTES as readonly RouteDefinition[]) {
      for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) expect(PATH_PARAMS, route.path).toHaveProperty(name!);
    }
  });

  it("accepts the project ids in use and refuses control characters, emoji, '#' and over-long ids", () => {
    for (const id of ["demo", "your-project-id", "final-auth", "p", "proj_e2e", "a".repeat(64)]) {
      expect(ProjectIdSchema.safeParse(id).success, id).toBe(true);
    }
    for (const id of ["", "\u0000x", "a\r\nb", "x\u007f", "p🎉", "a#b", "-x", ".x", "a".repeat(65), "a/b"]) {
      expect(ProjectIdSchema.safeParse(id).success, JSON.stringify(id)).toBe(false);
    }
  });

  it("refuses each invalid parameter by name, with the body schema's rules for participant ids", () => {
    const ok = { projectId: "demo", gatheringId: "gth_x", participantId: "p".repeat(128) };
    expect(() => parsePathParams("getMember", ok)).not.toThrow();
    try {
      parsePathParams("getMember", { ...ok, projectId: "a\nb", participantId: "p".repeat(129) });
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["projectId", "participantId"]);
    }
    expect(() => parsePathParams("getGathering", { projectId: "demo" })).toThrow(/gatheringId/);
  });
});

describe("calendar", () => {
  it("never writes DTEND equal to DTSTART, even for an event shorter than a second", () => {
    const ics = buildCalendar({
      uid: "u",
      sequence: 0,
      method: "REQUEST",
      title: "Blink",
      startsAt: "2030-07-01T15:00:00.200Z",
      endsAt: "2030-07-01T15:00:00.700Z",
      organizer: { name: "O", email: "o@example.com" },
      attendees: [{ email: "a@example.com" }],
      dtstamp: new Date("2030-01-01T00:00:00Z"),
    });
    expect(ics).toMatch(/DTSTART:20300701T150000Z/);
    expect(ics).toMatch(/DTEND:20300701T150001Z/);
  });
});
