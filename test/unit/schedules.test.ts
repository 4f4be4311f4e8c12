import { describe, expect, it } from "vitest";
import { newGathering } from "../../shared/domain/gatherings/gathering.js";
import type { Gathering } from "../../shared/domain/gatherings/model.js";
import {
  atExpression,
  desiredSchedules,
  syncSchedules,
  type DesiredSchedule,
  type SchedulerPort,
} from "../../shared/domain/scheduling/schedules.js";

const appointment = (extra: Partial<Gathering> = {}): Gathering => ({
  ...newGathering(
    {
      name: "A",
      type: "appointment",
      startsAt: "2030-07-01T15:00:00Z",
      endsAt: "2030-07-01T16:00:00Z",
      autoStartSession: true,
    },
    { tenantId: "t", projectId: "p" },
    { id: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa", joinCode: "ABCD1234" },
    new Date("2030-01-01T00:00:00Z"),
  ),
  ...extra,
});

describe("desired schedules", () => {
  it("an auto-starting appointment wants start at startsAt and end at endsAt, named after the gathering", () => {
    const desired = desiredSchedules(appointment());
    expect(desired.start).toEqual({
      name: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa-start",
      at: "2030-07-01T15:00:00Z",
      input: {
        action: "start",
        tenantId: "t",
        projectId: "p",
        gatheringId: "gth_01aaaaaaaaaaaaaaaaaaaaaaaa",
        at: "2030-07-01T15:00:00Z",
      },
    });
    expect(desired.end?.at).toBe("2030-07-01T16:00:00Z");
  });

  it("a started appointment keeps only its end; ended, cancelled and manual ones want none", () => {
    expect(desiredSchedules(appointment({ status: "started" }))).toMatchObject({
      start: undefined,
      end: { at: "2030-07-01T16:00:00Z" },
    });
    for (const extra of [{ status: "ended" as const }, { status: "cancelled" as const }, { autoStartSession: false }]) {
      expect(desiredSchedules(appointment(extra))).toEqual({ start: undefined, end: undefined });
    }
  });

  it("renders at() in UTC without a zone suffix", () => {
    expect(atExpression("2030-07-01T15:00:00Z")).toBe("at(2030-07-01T15:00:00)");
    expect(atExpression("2030-07-01T17:00:00+02:00")).toBe("at(2030-07-01T15:00:00)");
  });

  it("sync puts what should exist and deletes the rest, including for a gathering that is gone", async () => {
    const calls: string[] = [];
    const port: SchedulerPort = {
      put: async (s: DesiredSchedule) => void calls.push(`put ${s.name} ${s.at}`),
      delete: async (name: string) => void calls.push(`delete ${name}`),
    };
    await syncSchedules(port, appointment({ status: "started" }), "gth_01aaaaaaaaaaaaaaaaaaaaaaaa");
    await syncSchedules(port, undefined, "gth_gone");
    expect(calls).toEqual([
      "delete gth_01aaaaaaaaaaaaaaaaaaaaaaaa-start",
      "put gth_01aaaaaaaaaaaaaaaaaaaaaaaa-end 2030-07-01T16:00:00Z",
      "delete gth_gone-start",
      "delete gth_gone-end",
    ]);
  });
});
