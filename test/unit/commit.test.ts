import { describe, expect, it } from "vitest";
import { buildEnvelopes, planCommit, type CommitRequest } from "../../shared/store/commit.js";
import { eventSk } from "../../shared/store/keys.js";
import { EVENT_CATALOG, handlerNameFor, eventTypeForHandlerName } from "../../shared/events/catalog.js";
import { newGathering } from "../../shared/domain/gatherings/gathering.js";

const now = new Date("2026-06-01T12:00:00Z");
const gathering = newGathering(
  { name: "L", type: "lobby" },
  { tenantId: "t", projectId: "p" },
  { id: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa", joinCode: "ABCD1234" },
  now,
);

function request(expectedVersion: number, events = 1): CommitRequest {
  return {
    aggregate: { type: "gathering", id: gathering.id, projectId: "p", tenantId: "t" },
    expectedVersion,
    root: { name: "L" },
    uniques: [{ PK: "JOINCODE#ABCD1234", SK: "#" }],
    events: Array.from({ length: events }, () => ({ type: "gathering.created" as const, data: { gathering } })),
  };
}

describe("the commit plan", () => {
  it("creates the root only if absent and moves the version by the number of events", () => {
    const req = request(0, 2);
    const ops = planCommit(req, buildEnvelopes(req, now, EVENT_CATALOG), {
      now,
      eventRetentionSeconds: 60,
      events: EVENT_CATALOG,
    });
    expect(ops[0]).toMatchObject({ op: "put", item: { version: 2, SK: "#ROOT" }, condition: { kind: "notExists" } });
  });

  it("updates the root only at the version the caller read", () => {
    const req = request(5);
    const ops = planCommit(req, buildEnvelopes(req, now, EVENT_CATALOG), {
      now,
      eventRetentionSeconds: 60,
      events: EVENT_CATALOG,
    });
    expect(ops[0]).toMatchObject({
      item: { version: 6 },
      condition: { kind: "equals", attribute: "version", value: 5 },
    });
  });

  it("writes one event item per event, keyed by consecutive versions, marked for the stream and expiring", () => {
    const req = request(3, 3);
    const envelopes = buildEnvelopes(req, now, EVENT_CATALOG);
    const ops = planCommit(req, envelopes, { now, eventRetentionSeconds: 60, events: EVENT_CATALOG });
    const events = ops.filter((o) => o.op === "put" && o.item.kind === "event");
    expect(events.map((o) => (o.op === "put" ? o.item.SK : ""))).toEqual([eventSk(4), eventSk(5), eventSk(6)]);
    expect(envelopes.map((e) => e.version)).toEqual([4, 5, 6]);
    expect(new Set(envelopes.map((e) => e.id)).size).toBe(3);
    for (const op of events) {
      expect(op).toMatchObject({ condition: { kind: "notExists" }, item: { expiresAt: now.getTime() / 1000 + 60 } });
    }
  });

  it("sorts event keys numerically as strings (version 10 after 9)", () => {
    expect(eventSk(9) < eventSk(10)).toBe(true);
    expect(eventSk(999) < eventSk(1000)).toBe(true);
  });

  it("builds envelopes with the resource, tenant, project and time, and validates data against the catalog", () => {
    const [envelope] = buildEnvelopes(request(0), now, EVENT_CATALOG);
    expect(envelope).toMatchObject({
      type: "gathering.created",
      version: 1,
      projectId: "p",
      tenantId: "t",
      resource: `gathering:${gathering.id}`,
      occurredAt: "2026-06-01T12:00:00.000Z",
    });
    expect(envelope!.id).toMatch(/^evt_/);
    const bad = { ...request(0), events: [{ type: "gathering.created" as const, data: { gathering: { id: 1 } } }] };
    expect(() => buildEnvelopes(bad, now, EVENT_CATALOG)).toThrow();
  });
});

describe("user-function names", () => {
  it("map event names to handler export names and back", () => {
    expect(handlerNameFor("gathering.member.ready")).toBe("onGatheringMemberReady");
    expect(eventTypeForHandlerName("onGatheringCreated")).toBe("gathering.created");
    expect(eventTypeForHandlerName("onNothingAtAll")).toBeUndefined();
  });
});
