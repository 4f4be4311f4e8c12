import ICAL from "ical.js";
import { describe, expect, it, vi } from "vitest";
import { buildCalendar, type CalendarInput } from "../../shared/domain/mail/calendar.js";

const base: CalendarInput = {
  uid: "gth_01J0000000000000000000000@gatherings.example.com",
  sequence: 0,
  method: "REQUEST",
  title: "Weekly planning",
  description: "Bring your notes.",
  startsAt: "2026-07-01T15:00:00.000Z",
  endsAt: "2026-07-01T16:00:00.000Z",
  organizer: { name: "Ann Organizer", email: "ann@example.com" },
  attendees: [{ email: "bob@example.com", name: "Bob Builder" }, { email: "cleo@example.com" }],
  url: "https://app.example.com/gatherings/gth_01",
  dtstamp: new Date("2026-06-01T12:34:56.000Z"),
};

function parse(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const event = calendar.getFirstSubcomponent("vevent");
  if (!event) throw new Error("no VEVENT");
  return { calendar, event };
}

/** RFC 5545 §3.1 unfolding, to assert on whole content lines. */
function unfold(ics: string): string {
  return ics.replace(/\r\n[ \t]/g, "");
}

function time(event: ICAL.Component, name: string): ICAL.Time {
  return event.getFirstPropertyValue(name) as ICAL.Time;
}

describe("buildCalendar", () => {
  it("a REQUEST carries METHOD:REQUEST, the given UID and SEQUENCE, STATUS:CONFIRMED and the organizer", () => {
    const { calendar, event } = parse(buildCalendar(base));
    expect(calendar.getFirstPropertyValue("method")).toBe("REQUEST");
    expect(event.getFirstPropertyValue("uid")).toBe(base.uid);
    expect(event.getFirstPropertyValue("sequence")).toBe(0);
    expect(event.getFirstPropertyValue("status")).toBe("CONFIRMED");
    expect(event.getFirstPropertyValue("summary")).toBe("Weekly planning");
    expect(event.getFirstPropertyValue("description")).toBe("Bring your notes.");
    expect(event.getFirstPropertyValue("url")).toBe(base.url);
    const organizer = event.getFirstProperty("organizer")!;
    expect(organizer.getParameter("cn")).toBe("Ann Organizer");
    expect(String(organizer.getFirstValue()).toLowerCase()).toBe("mailto:ann@example.com");
  });

  it("asks every attendee to RSVP as a required participant, with CN only when the name is known", () => {
    const ics = buildCalendar(base);
    const attendees = parse(ics).event.getAllProperties("attendee");
    expect(attendees.map((a) => a.getFirstValue())).toEqual(["mailto:bob@example.com", "mailto:cleo@example.com"]);
    for (const attendee of attendees) {
      expect(attendee.getParameter("rsvp")).toBe("TRUE");
      expect(attendee.getParameter("partstat")).toBe("NEEDS-ACTION");
      expect(attendee.getParameter("role")).toBe("REQ-PARTICIPANT");
    }
    expect(attendees[0]!.getParameter("cn")).toBe("Bob Builder");
    expect(attendees[1]!.getParameter("cn")).toBeUndefined();
    // RFC 5545 enumerations are bare tokens; `ics` on its own would quote them.
    expect(unfold(ics)).toContain(
      "\r\nATTENDEE;RSVP=TRUE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:cleo@example.com\r\n",
    );
  });

  it("a reschedule keeps the UID and carries SEQUENCE 1 with the new times", () => {
    const { event } = parse(
      buildCalendar({ ...base, sequence: 1, startsAt: "2026-07-02T09:30:00Z", endsAt: "2026-07-02T10:00:00Z" }),
    );
    expect(event.getFirstPropertyValue("uid")).toBe(base.uid);
    expect(event.getFirstPropertyValue("sequence")).toBe(1);
    expect(time(event, "dtstart").toString()).toBe("2026-07-02T09:30:00Z");
  });

  it("a CANCEL carries METHOD:CANCEL and STATUS:CANCELLED for the same UID", () => {
    const { calendar, event } = parse(buildCalendar({ ...base, method: "CANCEL", sequence: 2 }));
    expect(calendar.getFirstPropertyValue("method")).toBe("CANCEL");
    expect(event.getFirstPropertyValue("status")).toBe("CANCELLED");
    expect(event.getFirstPropertyValue("uid")).toBe(base.uid);
    expect(event.getFirstPropertyValue("sequence")).toBe(2);
  });

  it("writes DTSTART and DTEND in UTC with Z, whatever offset the input used", () => {
    const ics = buildCalendar({ ...base, startsAt: "2026-07-01T17:00:00+02:00", endsAt: "2026-07-01T18:00:00+02:00" });
    expect(ics).toContain("\r\nDTSTART:20260701T150000Z\r\n");
    expect(ics).toContain("\r\nDTEND:20260701T160000Z\r\n");
    const { event } = parse(ics);
    expect(time(event, "dtstart").zone?.tzid).toBe("UTC");
    expect(time(event, "dtstart").toJSDate().toISOString()).toBe("2026-07-01T15:00:00.000Z");
    expect(time(event, "dtend").toJSDate().toISOString()).toBe("2026-07-01T16:00:00.000Z");
  });

  it("stamps DTSTAMP with the given instant, not the build time, so the same input yields the same bytes", () => {
    vi.useFakeTimers({ now: new Date("2030-01-01T00:00:00Z") });
    let first: string;
    try {
      first = buildCalendar(base);
      vi.setSystemTime(new Date("2031-02-03T04:05:06Z"));
      expect(buildCalendar(base)).toBe(first);
    } finally {
      vi.useRealTimers();
    }
    expect(first).toContain("\r\nDTSTAMP:20260601T123456Z\r\n");
    expect(time(parse(first).event, "dtstamp").toJSDate().toISOString()).toBe(base.dtstamp.toISOString());
  });

  it("ends every line with CRLF and folds at 75 octets without splitting a UTF-8 character", () => {
    const title = "Планирование — 計画会議 🗓️ ".repeat(6).trim();
    const description = "Ünïcödé notes, with; punctuation\nand a second line. ".repeat(5);
    const ics = buildCalendar({ ...base, title, description });
    expect(ics.endsWith("\r\n")).toBe(true);
    expect(ics.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    const lines = ics.split("\r\n").slice(0, -1);
    for (const line of lines) {
      expect(Buffer.byteLength(line, "utf8"), line).toBeLessThanOrEqual(75);
      expect(line).not.toContain("\uFFFD");
    }
    expect(lines.filter((l) => l.startsWith(" ")).length).toBeGreaterThan(4);
    const { event } = parse(ics);
    expect(event.getFirstPropertyValue("summary")).toBe(title);
    expect(event.getFirstPropertyValue("description")).toBe(description);
  });

  it("keeps quotes and line breaks in names and text inside their property, so no line can be injected", () => {
    const ics = buildCalendar({
      ...base,
      title: "Sync\r\nATTENDEE:mailto:evil@example.com",
      description: 'x\nORGANIZER:mailto:evil@example.com\n"quoted"',
      organizer: { name: 'Ann "The Boss"\nORGANIZER:mailto:evil@example.com', email: "ann@example.com" },
      attendees: [{ email: "bob@example.com", name: 'Bob "B" ^ O\'Neil\r\nATTENDEE:mailto:evil@example.com' }],
    });
    const people = unfold(ics)
      .split("\r\n")
      .filter((line) => /^(ATTENDEE|ORGANIZER)[;:]/.test(line));
    expect(people.map((line) => line.slice(line.lastIndexOf(":") + 1))).toEqual(["ann@example.com", "bob@example.com"]);
    const { event } = parse(ics);
    expect(event.getAllProperties("attendee")).toHaveLength(1);
    expect(event.getAllProperties("organizer")).toHaveLength(1);
    expect(event.getFirstPropertyValue("summary")).toBe("Sync\nATTENDEE:mailto:evil@example.com");
    expect(event.getFirstProperty("organizer")!.getParameter("cn")).toBe(
      'Ann "The Boss"\nORGANIZER:mailto:evil@example.com',
    );
    expect(event.getFirstProperty("attendee")!.getParameter("cn")).toBe(
      'Bob "B" ^ O\'Neil\nATTENDEE:mailto:evil@example.com',
    );
  });

  it("rejects input no calendar could use, without echoing addresses", () => {
    expect(() => buildCalendar({ ...base, endsAt: base.startsAt })).toThrow(/endsAt must be after startsAt/);
    expect(() => buildCalendar({ ...base, startsAt: "next tuesday" })).toThrow(/startsAt is not an ISO 8601/);
    expect(() => buildCalendar({ ...base, sequence: -1 })).toThrow(/sequence/);
    expect(() => buildCalendar({ ...base, uid: "a\r\nb" })).toThrow(/uid/);
    expect(() => buildCalendar({ ...base, attendees: [{ email: "x@y.com\r\nATTENDEE:z" }] })).toThrow(
      /^calendar: an organizer or attendee email address is not valid$/,
    );
    expect(() => buildCalendar({ ...base, url: "not a url" })).toThrow(/url must be an absolute http\(s\) URL/);
    expect(() => buildCalendar({ ...base, url: "javascript:alert(1)" })).toThrow(/url/);
    expect(() => buildCalendar({ ...base, url: "https://example.com/a b" })).toThrow(/url/);
  });
});
