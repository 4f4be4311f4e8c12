/**
 * The human-readable part of an invitation email: subject, plain text and HTML. Names and messages are
 * user input, so the HTML escapes every interpolated value and the subject is kept to one line.
 */
interface CommonContent {
  gatheringName: string;
  /** ISO 8601 instants, shown in UTC so no reader has to guess a time zone; omitted for a lobby or open space. */
  startsAt?: string;
  endsAt?: string;
  /** Shown as given, e.g. `ABCD-1234`. */
  joinCode: string;
  inviterName?: string;
  personalMessage?: string;
  /** The gathering auto-starts a transcribed session: people must know before they join. */
  recordingNotice: boolean;
}

export type InvitationEmailInput = CommonContent &
  (
    | { kind: "invitation" | "update"; acceptUrl: string; declineUrl: string }
    // A cancellation has nothing to answer.
    | { kind: "cancellation" }
  );

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
// eslint-disable-next-line no-control-regex
const LINE_BREAKS_AND_CONTROLS = /[\u0000-\u001F\u007F\u2028\u2029]+/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_TAB_AND_LF = /[\u0000-\u0008\u000B-\u001F\u007F]/g;
const RECORDING_NOTICE =
  "This call will be transcribed. A transcription session starts automatically when the gathering begins, " +
  "and what participants say is recorded as text.";

export function renderInvitationEmail(input: InvitationEmailInput): EmailContent {
  const when =
    input.startsAt !== undefined && input.endsAt !== undefined
      ? formatUtcRange(input.startsAt, input.endsAt)
      : undefined;
  const name = oneLine(input.gatheringName);
  const inviter = input.inviterName !== undefined ? oneLine(input.inviterName) : "";
  const links = input.kind === "cancellation" ? undefined : { accept: input.acceptUrl, decline: input.declineUrl };
  if (links) for (const url of [links.accept, links.decline]) assertWebUrl(url);

  const suffix = when ? ` (${when})` : "";
  const subject = {
    invitation: `Invitation: ${name}${suffix}`,
    update: `Updated invitation: ${name}${suffix}`,
    cancellation: `Cancelled: ${name}${suffix}`,
  }[input.kind];
  const lead = {
    invitation: inviter ? `${inviter} invited you to “${name}”.` : `You are invited to “${name}”.`,
    update: `“${name}” has changed. Please check the new details.`,
    cancellation: `“${name}” has been cancelled.`,
  }[input.kind];
  const message =
    input.personalMessage?.replace(/\r\n?/g, "\n").replace(CONTROLS_BUT_TAB_AND_LF, "").trim() || undefined;
  const showNotice = input.recordingNotice && input.kind !== "cancellation";

  const text = [
    lead,
    "",
    ...(when ? [`When: ${when}`] : []),
    ...(input.kind === "cancellation" ? [] : [`Join code: ${input.joinCode}`]),
    ...(message
      ? ["", `Message from ${inviter || "the organizer"}:`, ...message.split("\n").map((l) => `> ${l}`)]
      : []),
    ...(showNotice ? ["", RECORDING_NOTICE] : []),
    ...(links ? ["", `Accept: ${links.accept}`, `Decline: ${links.decline}`] : []),
    "",
  ].join("\n");

  const html = htmlDocument(subject, lead, [
    '<dl style="margin:0 0 16px">',
    ...(when ? [`<dt style="font-weight:bold">When</dt><dd style="margin:0 0 8px">${escapeHtml(when)}</dd>`] : []),
    ...(input.kind === "cancellation"
      ? []
      : [
          `<dt style="font-weight:bold">Join code</dt><dd style="margin:0 0 8px;font-family:monospace;font-size:18px">${escapeHtml(input.joinCode)}</dd>`,
        ]),
    "</dl>",
    ...(message
      ? [
          `<p style="margin:0 0 4px">Message from ${escapeHtml(inviter || "the organizer")}:</p>`,
          `<blockquote style="margin:0 0 16px;padding:8px 12px;border-left:4px solid #767676">${escapeHtml(message).replace(/\n/g, "<br>")}</blockquote>`,
        ]
      : []),
    ...(showNotice
      ? [
          `<p role="note" style="margin:0 0 16px;padding:8px 12px;background:#fff4e5;border:1px solid #b35900"><strong>Recording notice:</strong> ${escapeHtml(RECORDING_NOTICE)}</p>`,
        ]
      : []),
    ...(links
      ? [
          "<p>",
          `<a href="${escapeHtml(links.accept)}" style="display:inline-block;margin:0 12px 8px 0;padding:10px 16px;background:#0b57d0;color:#ffffff;text-decoration:none;border-radius:4px">Accept the invitation</a>`,
          `<a href="${escapeHtml(links.decline)}" style="display:inline-block;margin:0 0 8px;padding:10px 16px;color:#0b57d0;border:1px solid #0b57d0;text-decoration:none;border-radius:4px">Decline</a>`,
          "</p>",
        ]
      : []),
  ]);

  return { subject, text, html };
}

/** `Wed, 1 Jul 2026, 15:00–16:00 UTC`, or both dates when the range crosses midnight UTC. */
/**
 * An email's HTML document: the page, its title (the subject) and heading (the lead), then `body` — the
 * escaped markup the caller built. Inline styles only: mail clients drop style sheets.
 */
export function htmlDocument(subject: string, lead: string, body: readonly string[]): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(subject)}</title>`,
    "</head>",
    '<body style="margin:0;padding:24px;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1a1a1a;background:#ffffff;line-height:1.5">',
    '<main style="max-width:560px">',
    `<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(lead)}</h1>`,
    ...body,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

export function formatUtcRange(startsAt: string, endsAt: string): string {
  const start = parseInstant(startsAt, "startsAt");
  const end = parseInstant(endsAt, "endsAt");
  const sameDay = start.toISOString().slice(0, 10) === end.toISOString().slice(0, 10);
  return sameDay
    ? `${day(start)}, ${time(start)}–${time(end)} UTC`
    : `${day(start)}, ${time(start)} – ${day(end)}, ${time(end)} UTC`;
}

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function parseInstant(iso: string, field: string): Date {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new Error(`email content: ${field} is not an ISO 8601 date-time`);
  return date;
}

function day(date: Date): string {
  return `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

function time(date: Date): string {
  return `${String(date.getUTCHours()).padStart(2, "0")}:${String(date.getUTCMinutes()).padStart(2, "0")}`;
}

/** User input goes into the subject header: line breaks and other controls would make the message unsendable. */
export function oneLine(value: string): string {
  return value.replace(LINE_BREAKS_AND_CONTROLS, " ").replace(/\s+/g, " ").trim();
}

/** Links are built by us, but a `javascript:` URL in an email would be a hole; only http(s) is accepted. */
function assertWebUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error("email content: accept/decline links must be absolute URLs");
  }
  if (protocol !== "https:" && protocol !== "http:") throw new Error("email content: links must be http(s) URLs");
}
