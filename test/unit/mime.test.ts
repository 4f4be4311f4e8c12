// @ts-expect-error mailparser ships no type declarations; the shape used here is typed below.
import { simpleParser as untypedSimpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { buildCalendar } from "../../shared/domain/mail/calendar.js";
import { buildInvitationMime, InvalidHeaderError, type InvitationMimeInput } from "../../shared/domain/mail/mime.js";

interface ParsedAttachment {
  partId: string;
  contentType: string;
  filename?: string;
  contentDisposition?: string;
  content: Buffer;
  headers: Map<string, unknown>;
}
interface ParsedMail {
  subject?: string;
  from?: { value: Array<{ address: string; name: string }> };
  to?: { value: Array<{ address: string; name: string }> };
  date?: Date;
  messageId?: string;
  text?: string;
  html?: string | false;
  attachments: ParsedAttachment[];
}
const simpleParser = untypedSimpleParser as (raw: string) => Promise<ParsedMail>;

const calendarInput = {
  uid: "gth_01@gatherings.example.com",
  sequence: 0,
  title: "Weekly planning",
  startsAt: "2026-07-01T15:00:00Z",
  endsAt: "2026-07-01T16:00:00Z",
  organizer: { name: "Ann", email: "ann@example.com" },
  attendees: [{ email: "bob@example.com", name: "Bob" }],
  dtstamp: new Date("2026-06-01T12:00:00Z"),
};
const request = buildCalendar({ ...calendarInput, method: "REQUEST" });
const cancel = buildCalendar({ ...calendarInput, method: "CANCEL", sequence: 1 });

const base: InvitationMimeInput = {
  from: { email: "invites@gatherings.example.com", name: "Gatherings" },
  to: { email: "bob@example.com", name: "Bob" },
  subject: "Invitation: Weekly planning",
  text: "You are invited.\nSee you there.",
  html: "<p>You are invited.</p>\n<p>See you there.</p>",
  calendar: request,
  date: new Date("2026-06-01T12:00:00Z"),
  messageId: "<inv_01@gatherings.example.com>",
  boundaries: { mixed: "=_mixed_test", alternative: "=_alt_test" },
};

interface MimeNode {
  contentType: string;
  children: MimeNode[];
}

/** Just enough MIME to see the part tree: headers, and bodies split on the boundary each node declares. */
function tree(entity: string): MimeNode {
  const split = entity.indexOf("\r\n\r\n");
  const headers = entity.slice(0, split).replace(/\r\n[ \t]/g, " ");
  const contentType = /^content-type:\s*(.+)$/im.exec(headers)?.[1] ?? "text/plain";
  const boundary = /boundary="([^"]+)"/.exec(contentType)?.[1];
  if (!boundary) return { contentType, children: [] };
  const body = entity.slice(split + 4);
  const [, ...parts] = body.split(`--${boundary}\r\n`);
  const last = parts.at(-1)!;
  parts[parts.length - 1] = last.slice(0, last.indexOf(`--${boundary}--`));
  return { contentType, children: parts.map((p) => tree(p.replace(/\r\n$/, ""))) };
}

function shape(node: MimeNode): unknown {
  return node.children.length === 0
    ? node.contentType
    : { [node.contentType.split(";")[0]!]: node.children.map(shape) };
}

describe("buildInvitationMime", () => {
  it("without a calendar (a lobby or open space) is just the text and HTML alternatives, with no attachment", async () => {
    const { calendar: _calendar, ...withoutCalendar } = base;
    const raw = buildInvitationMime(withoutCalendar);
    expect(shape(tree(raw))).toEqual({
      "multipart/alternative": ["text/plain; charset=UTF-8", "text/html; charset=UTF-8"],
    });
    const mail = await simpleParser(raw);
    expect(mail.attachments).toEqual([]);
    expect(mail.text).toBe("You are invited.\nSee you there.");
  });

  it("nests text, HTML and the calendar as alternatives, with the .ics attached beside them", () => {
    expect(shape(tree(buildInvitationMime(base)))).toEqual({
      "multipart/mixed": [
        {
          "multipart/alternative": [
            "text/plain; charset=UTF-8",
            "text/html; charset=UTF-8",
            "text/calendar; charset=UTF-8; method=REQUEST",
          ],
        },
        'application/ics; name="invite.ics"',
      ],
    });
  });

  it("parses as a mail whose calendar alternative has method=REQUEST and whose attachment is the .ics, byte for byte", async () => {
    const mail = await simpleParser(buildInvitationMime(base));
    expect(mail.text).toBe("You are invited.\nSee you there.");
    expect(mail.html).toBe(base.html);
    const [calendarPart, attachment] = mail.attachments;
    expect(calendarPart!.partId).toBe("1.3");
    expect(calendarPart!.headers.get("content-type")).toEqual({
      value: "text/calendar",
      params: { charset: "UTF-8", method: "REQUEST" },
    });
    expect(calendarPart!.content.equals(Buffer.from(request, "utf8"))).toBe(true);
    expect(attachment!.partId).toBe("2");
    expect(attachment!.contentType).toBe("application/ics");
    expect(attachment!.filename).toBe("invite.ics");
    expect(attachment!.contentDisposition).toBe("attachment");
    expect(attachment!.content.equals(Buffer.from(request, "utf8"))).toBe(true);
  });

  it("labels a cancellation's calendar part method=CANCEL, matching its METHOD", async () => {
    const mail = await simpleParser(buildInvitationMime({ ...base, calendar: cancel }));
    expect(mail.attachments[0]!.headers.get("content-type")).toEqual({
      value: "text/calendar",
      params: { charset: "UTF-8", method: "CANCEL" },
    });
    expect(mail.attachments[1]!.content.toString("utf8")).toContain("\r\nMETHOD:CANCEL\r\n");
  });

  it("writes From, To, Subject, Date, Message-ID and MIME-Version that parse back to the inputs", async () => {
    const raw = buildInvitationMime(base);
    const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
    expect(head).toContain("\r\nDate: Mon, 01 Jun 2026 12:00:00 +0000\r\n");
    expect(head).toContain("\r\nMIME-Version: 1.0\r\n");
    const mail = await simpleParser(raw);
    expect(mail.from!.value).toEqual([{ address: "invites@gatherings.example.com", name: "Gatherings" }]);
    expect(mail.to!.value).toEqual([{ address: "bob@example.com", name: "Bob" }]);
    expect(mail.subject).toBe(base.subject);
    expect(mail.date!.toISOString()).toBe("2026-06-01T12:00:00.000Z");
    expect(mail.messageId).toBe("<inv_01@gatherings.example.com>");
  });

  it("round-trips a non-ASCII subject and display names through RFC 2047 encoded-words", async () => {
    const subject = "Einladung: Grüße aus Köln — 会議 🎉 ".repeat(3).trim();
    const raw = buildInvitationMime({
      ...base,
      subject,
      from: { email: "invites@gatherings.example.com", name: "Zoë’s Gatherings" },
      to: { email: "bob@example.com", name: 'Bob "the builder" \\ B' },
    });
    const head = raw.slice(0, raw.indexOf("\r\n\r\n"));
    expect(head).toMatch(/^[\x20-\x7E\r\n]*$/);
    expect(head).toContain("Subject: =?UTF-8?B?");
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe(subject);
    expect(mail.from!.value[0]!.name).toBe("Zoë’s Gatherings");
    expect(mail.to!.value[0]!.name).toBe('Bob "the builder" \\ B');
  });

  it("keeps every line within 78 characters: folded headers and base64 bodies of 76", () => {
    const raw = buildInvitationMime({
      ...base,
      subject: "A very long plain ASCII subject line that goes on and on about the weekly planning meeting agenda",
      text: "x".repeat(5000),
    });
    const lines = raw.split("\r\n");
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(78);
    expect(raw.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
  });

  it("sends text in canonical CRLF form whatever line breaks it was given", async () => {
    const mail = await simpleParser(buildInvitationMime({ ...base, text: "a\nb\r\nc\rd" }));
    expect(mail.text).toBe("a\nb\nc\nd");
  });

  it("is reproducible with injected date, message id and boundaries, and random without them", () => {
    expect(buildInvitationMime(base)).toBe(buildInvitationMime(base));
    const { boundaries: _b, messageId: _m, ...rest } = base;
    const a = buildInvitationMime(rest);
    const b = buildInvitationMime(rest);
    expect(a).not.toBe(b);
    expect(a).toMatch(/\r\nMessage-ID: <[0-9a-f-]{36}@gatherings\.example\.com>\r\n/);
  });

  it("refuses CR or LF in any header value, so no header can be injected", () => {
    const injections: Array<Partial<InvitationMimeInput>> = [
      { subject: "Hello\r\nBcc: victim@example.com" },
      { subject: "Hello\nBcc: victim@example.com" },
      { subject: "Grüße\rBcc: victim@example.com" },
      { from: { email: "invites@gatherings.example.com", name: "Ann\r\nBcc: victim@example.com" } },
      { to: { email: "bob@example.com\r\nBcc: victim@example.com" } },
      { to: { email: "bob@example.com", name: "Bob\nX-Evil: 1" } },
      { messageId: "<a@b>\r\nBcc: victim@example.com" },
    ];
    for (const injection of injections) {
      expect(() => buildInvitationMime({ ...base, ...injection }), JSON.stringify(injection)).toThrow(
        InvalidHeaderError,
      );
    }
  });

  it("refuses an address that would smuggle in a second recipient or a display name", () => {
    for (const email of ["bob@example.com, eve@example.com", "Bob <bob@example.com>", "bob", ""]) {
      expect(() => buildInvitationMime({ ...base, to: { email } }), email).toThrow(InvalidHeaderError);
    }
  });

  it("refuses boundaries RFC 2046 does not allow or that contain one another, and a calendar without METHOD", () => {
    expect(() => buildInvitationMime({ ...base, boundaries: { mixed: "a b", alternative: "c" } })).toThrow(
      InvalidHeaderError,
    );
    expect(() => buildInvitationMime({ ...base, boundaries: { mixed: "=_x", alternative: "=_x1" } })).toThrow(/prefix/);
    expect(() => buildInvitationMime({ ...base, calendar: request.replace(/METHOD:REQUEST\r\n/, "") })).toThrow(
      /METHOD/,
    );
  });
});
