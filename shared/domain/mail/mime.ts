import { randomBytes, randomUUID } from "node:crypto";

/**
 * The raw RFC 5322 / MIME message for an invitation, built by hand rather than with a mail library: the
 * surface is one fixed part tree, and calendar clients are picky about exactly that tree (the
 * `text/calendar; method=…` alternative that Outlook and Gmail turn into an RSVP card, plus the same
 * bytes as an attachment). A library would hide those details behind options we would have to verify
 * anyway; 150 lines we can read and test whole are the better trade.
 *
 *   multipart/mixed
 *   ├─ multipart/alternative
 *   │  ├─ text/plain; charset=UTF-8
 *   │  ├─ text/html; charset=UTF-8
 *   │  └─ text/calendar; charset=UTF-8; method=<the calendar's METHOD>
 *   └─ application/ics; name="invite.ics"  (attachment)
 *
 * Every body part is base64 (lines of 76): one encoding for all parts, safe for any UTF-8 and any line
 * length, and no line can be mistaken for a boundary.
 */
export interface MailAddress {
  email: string;
  name?: string;
}

export interface InvitationMimeInput {
  from: MailAddress;
  to: MailAddress;
  subject: string;
  text: string;
  html: string;
  /**
   * The `.ics` from `buildCalendar`; its METHOD becomes the `method` parameter of the calendar part.
   * Omitted (a gathering without a time): the message is just the text and HTML alternatives.
   */
  calendar?: string;
  /** Injectable for reproducible output; default now. */
  date?: Date;
  /** `<id@domain>`; default a random UUID at the sender's domain. */
  messageId?: string;
  /** Injectable for reproducible output; default random. */
  boundaries?: { mixed: string; alternative: string };
}

/** A header value would break the message (CR/LF injection) or is not a usable address. */
export class InvalidHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

const CRLF = "\r\n";
const BASE64_LINE = 76;
/** Bytes per RFC 2047 encoded-word: 39 bytes → 52 base64 chars, so `Subject: =?UTF-8?B?…?=` stays under 78. */
const ENCODED_WORD_BYTES = 39;
const HEADER_LINE = 78;
// Plain addresses only (no display-name syntax, no comments, ASCII): enough to stop one value smuggling in
// a second recipient. Deliverability is SES's call.
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const MESSAGE_ID = /^<[\x21-\x3B\x3D\x3F-\x7E]+@[\x21-\x3B\x3D\x3F-\x7E]+>$/;
// RFC 2046 bchars, minus the space so a boundary never needs trailing-whitespace care.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=?]{1,70}$/;
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export function buildInvitationMime(input: InvitationMimeInput): string {
  for (const [field, value] of [
    ["from.email", input.from.email],
    ["from.name", input.from.name],
    ["to.email", input.to.email],
    ["to.name", input.to.name],
    ["subject", input.subject],
    ["messageId", input.messageId],
  ] as const) {
    if (value !== undefined && /[\r\n]/.test(value)) throw new InvalidHeaderError(`${field} contains a line break`);
  }
  const date = input.date ?? new Date();
  if (Number.isNaN(date.getTime())) throw new InvalidHeaderError("date is not a valid date");
  const messageId = input.messageId ?? `<${randomUUID()}@${domainOf(input.from.email)}>`;
  if (!MESSAGE_ID.test(messageId)) throw new InvalidHeaderError("messageId must look like <id@domain>");
  const { mixed, alternative } = input.boundaries ?? {
    // "=_" cannot occur in base64 text, so a random boundary with it can never collide with a body line.
    mixed: `=_mixed_${randomBytes(12).toString("hex")}`,
    alternative: `=_alt_${randomBytes(12).toString("hex")}`,
  };
  for (const boundary of [mixed, alternative]) {
    if (!BOUNDARY.test(boundary))
      throw new InvalidHeaderError("a MIME boundary has characters RFC 2046 does not allow");
  }
  if (mixed.startsWith(alternative) || alternative.startsWith(mixed)) {
    throw new InvalidHeaderError("one MIME boundary must not be a prefix of the other");
  }
  const calendar = input.calendar;

  const headers = [
    `From: ${mailbox(input.from, "from")}`,
    `To: ${mailbox(input.to, "to")}`,
    `Subject: ${unstructured(input.subject, "Subject: ".length)}`,
    `Date: ${rfc5322Date(date)}`,
    `Message-ID: ${messageId}`,
    "MIME-Version: 1.0",
  ];
  const alternativeBody = multipart(alternative, [
    part(["Content-Type: text/plain; charset=UTF-8"], canonicalText(input.text)),
    part(["Content-Type: text/html; charset=UTF-8"], canonicalText(input.html)),
    ...(calendar !== undefined
      ? [part([`Content-Type: text/calendar; charset=UTF-8; method=${calendarMethod(calendar)}`], calendar)]
      : []),
  ]);
  if (calendar === undefined) {
    headers.push(`Content-Type: multipart/alternative; boundary="${alternative}"`);
    return [...headers, "", alternativeBody].join(CRLF);
  }
  headers.push(`Content-Type: multipart/mixed; boundary="${mixed}"`);
  const mixedBody = multipart(mixed, [
    [`Content-Type: multipart/alternative; boundary="${alternative}"`, "", alternativeBody].join(CRLF),
    part(
      ['Content-Type: application/ics; name="invite.ics"', 'Content-Disposition: attachment; filename="invite.ics"'],
      calendar,
    ),
  ]);
  return [...headers, "", mixedBody].join(CRLF);
}

function part(headers: string[], content: string): string {
  return [...headers, "Content-Transfer-Encoding: base64", "", base64Lines(content)].join(CRLF);
}

function multipart(boundary: string, parts: string[]): string {
  return parts.map((p) => `--${boundary}${CRLF}${p}${CRLF}`).join("") + `--${boundary}--${CRLF}`;
}

function base64Lines(content: string): string {
  const encoded = Buffer.from(content, "utf8").toString("base64");
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += BASE64_LINE) lines.push(encoded.slice(i, i + BASE64_LINE));
  return lines.join(CRLF);
}

/** RFC 2045 §6.8: text is encoded in canonical form, with CRLF line breaks. */
function canonicalText(text: string): string {
  return text.replace(/\r\n|\r|\n/g, CRLF);
}

/** The calendar part's `method` must equal the object's METHOD, so it is read from the object itself. */
function calendarMethod(calendar: string): string {
  const match = /(?:^|\r\n)METHOD:([A-Za-z-]+)\r\n/.exec(calendar);
  if (!match) throw new Error("mime: the calendar has no METHOD line");
  return match[1]!.toUpperCase();
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1) || "localhost";
}

function mailbox(address: MailAddress, field: string): string {
  if (!EMAIL.test(address.email)) throw new InvalidHeaderError(`${field}: not a plain email address`);
  const name = address.name?.trim();
  if (!name) return `<${address.email}>`;
  const phrase = isPrintableAscii(name) ? `"${name.replace(/[\\"]/g, "\\$&")}"` : encodedWords(name);
  return `${phrase} <${address.email}>`;
}

/**
 * An unstructured header value: printable ASCII is folded at spaces; anything else (or text that would read
 * as an encoded-word) becomes RFC 2047 encoded-words.
 */
function unstructured(value: string, offset: number): string {
  if (!isPrintableAscii(value) || value.includes("=?")) return encodedWords(value);
  const [first = "", ...rest] = value.split(" ");
  const lines: string[] = [];
  let line = first;
  let budget = HEADER_LINE - offset;
  for (const word of rest) {
    // Folding turns the space before `word` into CRLF + space; never leave a whitespace-only line.
    if (line.trim() !== "" && word !== "" && line.length + 1 + word.length > budget) {
      lines.push(line);
      line = word;
      budget = HEADER_LINE - 1;
    } else {
      line = `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`${CRLF} `);
}

/** RFC 2047 B-encoding, one encoded-word per line, never splitting a character across words. */
function encodedWords(value: string): string {
  const words: string[] = [];
  let chunk = "";
  for (const char of value) {
    if (Buffer.byteLength(chunk + char, "utf8") > ENCODED_WORD_BYTES) {
      words.push(chunk);
      chunk = "";
    }
    chunk += char;
  }
  if (chunk !== "") words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, "utf8").toString("base64")}?=`).join(`${CRLF} `);
}

function isPrintableAscii(value: string): boolean {
  return /^[\x20-\x7E]*$/.test(value);
}

/** RFC 5322 §3.3, always in UTC: `Wed, 01 Jul 2026 15:00:00 +0000`. */
function rfc5322Date(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
