import { describe, expect, it } from "vitest";
import { ValidationError } from "../../shared/kernel/errors.js";
import { newGathering, validateCreate } from "../../shared/domain/gatherings/gathering.js";

const now = new Date("2026-06-01T12:00:00Z");
const scope = { tenantId: "t1", projectId: "p1" };
const ids = { id: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa", joinCode: "ABCD1234" };

describe("creating a gathering", () => {
  it("starts a lobby and an open space as open, an appointment as scheduled, each at version 1", () => {
    expect(newGathering({ name: "L", type: "lobby" }, scope, ids, now)).toMatchObject({ status: "open", version: 1 });
    expect(newGathering({ name: "O", type: "open" }, scope, ids, now)).toMatchObject({ status: "open", listed: true });
    expect(
      newGathering(
        { name: "A", type: "appointment", startsAt: "2026-07-01T15:00:00Z", endsAt: "2026-07-01T16:00:00Z" },
        scope,
        ids,
        now,
      ),
    ).toMatchObject({ status: "scheduled", startsAt: "2026-07-01T15:00:00Z", autoStartSession: false });
  });

  it("shows the join code grouped and stamps createdAt/updatedAt with the clock", () => {
    const g = newGathering({ name: "L", type: "lobby" }, scope, ids, now);
    expect(g.joinCode).toBe("ABCD-1234");
    expect(g.createdAt).toBe("2026-06-01T12:00:00.000Z");
    expect(g.updatedAt).toBe(g.createdAt);
  });

  it("requires an appointment to have startsAt before endsAt, both in the future, naming each field", () => {
    expect(validateCreate({ name: "A", type: "appointment" }, now).map((i) => i.path)).toEqual(["startsAt", "endsAt"]);
    expect(
      validateCreate(
        { name: "A", type: "appointment", startsAt: "2026-05-01T00:00:00Z", endsAt: "2026-04-01T00:00:00Z" },
        now,
      ),
    ).toEqual([
      { path: "startsAt", message: "must be in the future" },
      { path: "endsAt", message: "must be at least 1 minute after startsAt" },
    ]);
  });

  it("rejects scheduling fields on a lobby with a ValidationError listing them", () => {
    const error = (() => {
      try {
        newGathering({ name: "L", type: "lobby", startsAt: "2026-07-01T15:00:00Z" }, scope, ids, now);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([
      { path: "startsAt", message: "is only allowed for an appointment" },
    ]);
  });
});
