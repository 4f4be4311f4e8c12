import { escapeHtml, htmlDocument, oneLine, type EmailContent } from "./email-content.js";

/**
 * The human-readable part of a meeting's summary email: subject, plain text and HTML. Everything in it
 * (titles, what people said, owners, tasks) is user input, so the HTML escapes every interpolated value
 * and the subject is kept to one line. The engines are named, so nobody mistakes a word-ranker for a model.
 */
export interface SummaryActionItem {
  owner?: string | undefined;
  task: string;
  /** An ISO date (YYYY-MM-DD) when the plugin resolved one. */
  due?: string | undefined;
  /** The due date as said ("Friday"). */
  duePhrase?: string | undefined;
}

export interface SummaryEmailInput {
  /** The gathering's name, or the session's title when it has no gathering. */
  title: string;
  /** Absent when the summary plugin is off for the project. */
  summary?: { text: string; engine: string };
  /** Absent when the action-items plugin is off for the project. */
  actionItems?: { items: readonly SummaryActionItem[]; engine: string };
}

// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_TAB_AND_LF = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

function paragraph(value: string): string {
  return value.replace(/\r\n?/g, "\n").replace(CONTROLS_BUT_TAB_AND_LF, "").trim();
}

/** `Alice: send the report (due 2026-07-03, “Friday”)`. */
function itemLine(item: SummaryActionItem): string {
  const owner = item.owner !== undefined ? oneLine(item.owner) : "";
  const task = oneLine(item.task);
  const phrase = item.duePhrase !== undefined ? oneLine(item.duePhrase) : "";
  const due = item.due !== undefined ? oneLine(item.due) : "";
  const when = due && phrase && phrase !== due ? `${due}, “${phrase}”` : due || phrase;
  return `${owner ? `${owner}: ` : ""}${task}${when ? ` (due ${when})` : ""}`;
}

function engineLines(input: SummaryEmailInput): string[] {
  const lines: string[] = [];
  if (input.summary) lines.push(`Summarized by ${oneLine(input.summary.engine)}.`);
  if (input.actionItems && input.actionItems.engine !== input.summary?.engine) {
    lines.push(`Action items found by ${oneLine(input.actionItems.engine)}.`);
  }
  return lines;
}

export function renderSummaryEmail(input: SummaryEmailInput): EmailContent {
  const title = oneLine(input.title);
  const subject = `Summary: ${title}`;
  const lead = `The summary of “${title}”.`;
  const summary = input.summary ? paragraph(input.summary.text) : undefined;
  const items = (input.actionItems?.items ?? []).map(itemLine);
  const engines = engineLines(input);

  const text = [
    lead,
    "",
    ...(input.summary ? ["Summary:", summary || "Nothing was summarized (the meeting was empty).", ""] : []),
    ...(input.actionItems
      ? ["Action items:", ...(items.length > 0 ? items.map((line) => `- ${line}`) : ["None found."]), ""]
      : []),
    ...engines,
    "",
  ].join("\n");

  const html = htmlDocument(subject, lead, [
    ...(input.summary
      ? [
          '<h2 style="font-size:16px;margin:0 0 8px">Summary</h2>',
          `<p style="margin:0 0 16px">${summary ? escapeHtml(summary).replace(/\n/g, "<br>") : "Nothing was summarized (the meeting was empty)."}</p>`,
        ]
      : []),
    ...(input.actionItems
      ? [
          '<h2 style="font-size:16px;margin:0 0 8px">Action items</h2>',
          ...(items.length > 0
            ? ['<ul style="margin:0 0 16px">', ...items.map((line) => `<li>${escapeHtml(line)}</li>`), "</ul>"]
            : ['<p style="margin:0 0 16px">None found.</p>']),
        ]
      : []),
    ...engines.map((line) => `<p style="margin:0 0 4px;color:#595959;font-size:13px">${escapeHtml(line)}</p>`),
  ]);

  return { subject, text, html };
}
