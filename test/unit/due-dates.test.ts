import { describe, expect, it } from "vitest";
import { duePhraseOf, resolveDueDate } from "../../shared/domain/plugins/due-dates.js";

/** Said on Tuesday 2 July 2030 at 09:03 UTC unless a case says otherwise. */
const TUESDAY = "2030-07-02T09:03:20.000Z";

describe("resolving a spoken due date against when it was said", () => {
  it.each([
    ["Friday", "2030-07-05"],
    ["by Friday", "2030-07-05"],
    ["on fri", "2030-07-05"],
    ["this Friday", "2030-07-05"],
    ["Monday", "2030-07-08"],
    ["Tuesday", "2030-07-09"], // the same weekday is a week later
    ["next Friday", "2030-07-12"],
    ["next Monday", "2030-07-08"],
    ["today", "2030-07-02"],
    ["EOD", "2030-07-02"],
    ["end of day", "2030-07-02"],
    ["this afternoon", "2030-07-02"],
    ["tomorrow", "2030-07-03"],
    ["the day after tomorrow", "2030-07-04"],
    ["end of the week", "2030-07-05"],
    ["end of next week", "2030-07-12"],
    ["end of the month", "2030-07-31"],
    ["in two weeks", "2030-07-16"],
    ["in 3 days", "2030-07-05"],
    ["March 14", "2031-03-14"], // passed this year: next year's
    ["14th of August", "2030-08-14"],
    ["July 2", "2030-07-02"],
    ["Sept 3, 2031", "2031-09-03"],
    ["2030-07-10", "2030-07-10"],
  ])("%s → %s", (phrase, date) => {
    expect(resolveDueDate(phrase, TUESDAY)).toBe(date);
  });

  it("counts weekdays from a weekend into the next week, and end of week from a Saturday to the next Friday", () => {
    const saturday = "2030-07-06T12:00:00Z";
    expect(resolveDueDate("Monday", saturday)).toBe("2030-07-08");
    expect(resolveDueDate("next Monday", saturday)).toBe("2030-07-08");
    expect(resolveDueDate("end of the week", saturday)).toBe("2030-07-12");
  });

  it("uses the UTC day of the timestamp (a message carries no time zone)", () => {
    expect(resolveDueDate("tomorrow", "2030-07-02T23:59:59-05:00")).toBe("2030-07-04");
  });

  it("leaves what it cannot pin down unresolved", () => {
    for (const phrase of ["next week", "soon", "later", "February 30", "2030-13-01", "in a while"])
      expect(resolveDueDate(phrase, TUESDAY), phrase).toBeUndefined();
    expect(resolveDueDate("Friday", "not a date")).toBeUndefined();
  });

  it("strips the preposition from the phrase as said", () => {
    expect(duePhraseOf("by Friday")).toBe("Friday");
    expect(duePhraseOf("no later than March 14")).toBe("March 14");
    expect(duePhraseOf("end of next week")).toBe("end of next week");
  });
});
