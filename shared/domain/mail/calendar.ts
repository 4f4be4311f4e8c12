import { createEvent, type EventAttributes } from "ics";

/**
 * The iTIP (RFC 5546) calendar object sent with an invitation: one VEVENT whose `UID` is stable per
 * gathering, so a calendar client updates or removes the entry it already has instead of adding a copy.
 */
export interface CalendarInput {
  /** Stable per gathering; never reuse it for another gathering. */
  uid: string;
  /** Incremented on every reschedule and on cancel: clients ignore a message whose SEQUENCE is not newer. */
  sequence: number;
  method: "REQUEST" | "CANCEL";
  title: string;
  description?: string;
  /** ISO 8601 instants; they are written in UTC (`Z`). */
  startsAt: string;
  endsAt: string;
  organizer: { name: string; email: string };
  attendees: Array<{ email: string; name?: string }>;
  url?: string;
  /** When this version of the object was created; pass the clock's time so output is reproducible. */
  dtstamp: Date;
}

const PRODUCT_ID = "-//Cortex//Gatherings//EN";
/** What `ics` writes as CN when an attendee has no name; RFC 5545 makes CN optional, so we drop it. */
const ICS_UNNAMED_ATTENDEE = ';CN="Unnamed attendee"';
const MAX_LINE_OCTETS = 75;
// C0 controls and DEL are not allowed in TEXT values (RFC 5545 §3.3.11), except the tab and line
// breaks that `ics` escapes itself.
// eslint-disable-next-line no-control-regex
const TEXT_CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001F\u007F]/;
// Deliberately loose: enough to keep a value inside its `mailto:`; SES checks deliverability.
const EMAIL = /^[^\s@"<>(),;:\\[\]]+@[^\s@"<>(),;:\\[\]]+$/;

export function buildCalendar(input: CalendarInput): string {
  const start = instant(input.startsAt, "startsAt");
  const requestedEnd = instant(input.endsAt, "endsAt");
  if (requestedEnd <= start) throw new Error("calendar: endsAt must be after startsAt");
  // DTSTART/DTEND have whole seconds: an event shorter than that would end as it starts, which clients
  // reject or hide. (The API refuses appointments under a minute; this guards older data.)
  const end = Math.max(requestedEnd, Math.floor(start / 1000) * 1000 + 1000);
  if (input.uid === "" || ANY_CONTROL.test(input.uid))
    throw new Error("calendar: uid must be non-empty printable text");
  if (!Number.isInteger(input.sequence) || input.sequence < 0) {
    throw new Error("calendar: sequence must be a non-negative integer");
  }
  if (Number.isNaN(input.dtstamp.getTime())) throw new Error("calendar: dtstamp is not a valid date");
  for (const email of [input.organizer.email, ...input.attendees.map((a) => a.email)]) {
    // The address itself is not echoed: errors end up in logs.
    if (!EMAIL.test(email)) throw new Error("calendar: an organizer or attendee email address is not valid");
  }

  const attendees = input.attendees.map((a) => ({ email: a.email, name: paramText(a.name ?? "") }));
  // `timestamp` is how `ics` takes DTSTAMP (validated by its schema, missing from its typings). Without it
  // the package stamps Date.now(), which would make the object differ on every build of the same version.
  const attributes: EventAttributes & { timestamp: number } = {
    productId: PRODUCT_ID,
    method: input.method,
    uid: input.uid,
    sequence: input.sequence,
    timestamp: input.dtstamp.getTime(),
    // Epoch milliseconds are unambiguous instants; `ics` writes them as UTC with `Z`.
    start,
    startInputType: "utc",
    startOutputType: "utc",
    end,
    endInputType: "utc",
    endOutputType: "utc",
    title: text(input.title),
    ...(input.description !== undefined && { description: text(input.description) }),
    ...(input.url !== undefined && { url: input.url }),
    status: input.method === "CANCEL" ? "CANCELLED" : "CONFIRMED",
    organizer: { name: paramText(input.organizer.name), email: input.organizer.email },
    attendees: attendees.map((attendee) => ({
      email: attendee.email,
      ...(attendee.name !== "" && { name: attendee.name }),
      rsvp: true,
      partstat: "NEEDS-ACTION",
      role: "REQ-PARTICIPANT",
    })),
  };
  const { error, value } = createEvent(attributes);
  if (error || !value) throw new Error(`calendar: the ics package rejected the event: ${describe(error)}`);

  const unnamed = attendees.filter((a) => a.name === "").map((a) => `:mailto:${a.email}`);
  const lines = unfold(value).map((line) => {
    if (!line.startsWith("ATTENDEE;")) return line;
    // `ics` quotes enumerated values (ROLE="REQ-PARTICIPANT"); the RFC 5545 grammar for ROLE, PARTSTAT and
    // CUTYPE has no quotes, and strict clients reject them.
    let fixed = line.replace(/;(ROLE|PARTSTAT|CUTYPE)="([A-Z-]+)"/g, ";$1=$2");
    if (unnamed.some((suffix) => fixed.endsWith(suffix))) fixed = fixed.replace(ICS_UNNAMED_ATTENDEE, "");
    return fixed;
  });
  // `ics` folds at 75 *characters* with CRLF+TAB; RFC 5545 §3.1 limits lines to 75 *octets*, so a title in
  // a non-Latin script would overflow. We unfold what it wrote and fold again by UTF-8 octets.
  return lines.map(fold).join("\r\n") + "\r\n";
}

function instant(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`calendar: ${field} is not an ISO 8601 date-time`);
  return ms;
}

function text(value: string): string {
  return value.replace(/\r\n?/g, "\n").replace(TEXT_CONTROLS, "");
}

/**
 * A CN parameter value. `ics` wraps it in DQUOTEs and backslash-escapes inner quotes, which RFC 5545 does
 * not allow; RFC 6868 caret encoding (which ical.js and major clients decode) keeps quotes and line breaks
 * out of the parameter entirely.
 */
function paramText(value: string): string {
  return text(value).replace(/\^/g, "^^").replace(/\n/g, "^n").replace(/"/g, "^'").replace(/\t/g, " ");
}

function unfold(ics: string): string[] {
  return ics
    .replace(/\r\n[ \t]/g, "")
    .split("\r\n")
    .filter((line) => line !== "");
}

/** RFC 5545 §3.1: at most 75 octets per line, continuation lines start with a space, never split a character. */
function fold(line: string): string {
  const parts: string[] = [];
  let current = "";
  let octets = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, "utf8");
    if (octets + size > MAX_LINE_OCTETS) {
      parts.push(current);
      current = " ";
      octets = 1;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join("\r\n");
}

function describe(error: unknown): string {
  if (error && typeof error === "object") {
    const errors = (error as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) return errors.map(String).join("; ");
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  return String(error);
}
