import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../shared/events/catalog.js";
import { RULES } from "../../shared/events/rules.js";

/** Rules name events of the catalog (the compiler checks exact names); prefixes must reach at least one. */
describe("event rules", () => {
  it("every detail-type of every rule is an event of the catalog, or a prefix that matches some", () => {
    const dangling = RULES.flatMap((rule) =>
      rule.pattern["detail-type"]
        .filter((m) =>
          typeof m === "string" ? !EVENT_TYPES.includes(m) : !EVENT_TYPES.some((t) => t.startsWith(m.prefix)),
        )
        .map((m) => `${rule.id}: ${JSON.stringify(m)}`),
    );
    expect(dangling).toEqual([]);
  });
});
