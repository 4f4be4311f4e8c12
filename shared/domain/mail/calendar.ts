/**
 * The iTIP (RFC 5546) calendar object sent with an invitation: one VEVENT whose `UID` is stable per
 * gathering, so a calendar client updates or removes the entry it already has instead of adding a copy.
 *
 * Written here rather than with the `ics` package: the object is one fixed VEVENT, and `ics` brought 72 KB
 * into the mailer's bundle (its CommonJS build pulls in `yup` whole, a regenerator runtime and `runes2`)
 * while three of its outputs had to be rewritten afterwards anyway (quoted ROLE/PARTSTAT values, CN
 * quoting, folding at 75 characters instead of 75 octets). The output is byte-for-byte what `ics` plus
 * those fixes wrote (compared on 48 generated inputs when it was replaced).
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
const MAX_LINE_OCTETS = 75;
// C0 controls and DEL are not allowed in TEXT values (RFC 5545 §3.3.11), except the tab and the line
// breaks that escapeText writes as `\n`.
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
  if (input.url !== undefined && !isWebUrl(input.url)) throw new Error("calendar: url must be an absolute http(s) URL");

  const lines = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "CALSCALE:GREGORIAN",
    `PRODID:${PRODUCT_ID}`,
    `METHOD:${input.method}`,
    "X-PUBLISHED-TTL:PT1H",
    "BEGIN:VEVENT",
    `UID:${input.uid}`,
    `SUMMARY:${escapeText(text(input.title))}`,
    `DTSTAMP:${utc(input.dtstamp.getTime())}`,
    `DTSTART:${utc(start)}`,
    `DTEND:${utc(end)}`,
    `SEQUENCE:${input.sequence}`,
    ...(input.description !== undefined ? [`DESCRIPTION:${escapeText(text(input.description))}`] : []),
    ...(input.url !== undefined ? [`URL:${input.url}`] : []),
    `STATUS:${input.method === "CANCEL" ? "CANCELLED" : "CONFIRMED"}`,
    // An organizer is always named (as the `ics` package this replaced named it), an attendee only when known.
    `ORGANIZER${cn(input.organizer.name || "Organizer")}:MAILTO:${input.organizer.email}`,
    ...input.attendees.map(
      (a) => `ATTENDEE;RSVP=TRUE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION${cn(a.name ?? "")}:mailto:${a.email}`,
    ),
    "END:VEVENT",
    "END:VCALENDAR",
  ];
  return lines.map(fold).join("\r\n") + "\r\n";
}

/** An absolute http(s) URL with nothing a content line could not hold (no spaces or controls). */
function isWebUrl(value: string): boolean {
  if (/\s/.test(value) || ANY_CONTROL.test(value)) return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** `20260701T090000Z`: an instant in UTC, whole seconds. */
function utc(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/[-:]/g, "").replace(".000", "");
}

/** RFC 5545 §3.3.11 TEXT: backslash, semicolon, comma and line breaks escaped. */
function escapeText(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,").replace(/\n/g, "\\n");
}

/** The CN parameter, omitted when there is no name (RFC 5545 makes it optional). */
function cn(name: string): string {
  const value = paramText(name);
  return value === "" ? "" : `;CN="${value}"`;
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
