/**
 * Resolves a spoken due date ("Friday", "by end of next week", "March 14") to a calendar date relative to
 * when it was said. Pure. Dates are UTC calendar days: a message carries no speaker time zone, so
 * "tomorrow" said at 23:30 in New York resolves from the UTC day of the timestamp.
 *
 * Conventions (a phrase outside them stays unresolved rather than guessed):
 * - a weekday ("Friday", "on Friday", "this Friday") is its next occurrence after the day it was said:
 *   Friday said on a Friday is a week later (the same day would be said "today");
 * - "next Friday" is the Friday of the following Monday-to-Sunday week;
 * - "end of (the) week" is this week's Friday (the next Friday from a weekend), "end of next week" next
 *   week's; "end of (the) month" its last day; "EOD", "end of day", "COB", "tonight" are the same day;
 * - "March 14" / "14th March" without a year is the next such date on or after the day it was said.
 */

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
] as const;
const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
};

const DAY_MS = 86_400_000;

/** Words before a due date that belong to the sentence, not the date. */
const LEADING = /^(?:by|on|before|until|till|due|no later than|at the latest by)\s+/i;

/** The phrase without a leading "by"/"on"/…: what the meeting said the due date is. */
export function duePhraseOf(phrase: string): string {
  return phrase.trim().replace(LEADING, "").trim();
}

/** The ISO date (YYYY-MM-DD) the phrase names, said at `at` (ISO instant); undefined when it names none. */
export function resolveDueDate(phrase: string, at: string): string | undefined {
  const said = Date.parse(at);
  if (Number.isNaN(said)) return undefined;
  const today = Math.floor(said / DAY_MS) * DAY_MS;
  const p = duePhraseOf(phrase)
    .toLowerCase()
    .replace(/[.,!?]+$/, "")
    .replace(/\s+/g, " ");
  const day = (offset: number) => iso(today + offset * DAY_MS);
  const weekday = new Date(today).getUTCDay();
  /** Days from today to this week's Monday-to-Sunday weekday `target` (may be negative). */
  const inThisWeek = (target: number) => ((target + 6) % 7) - ((weekday + 6) % 7);

  const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/.exec(p);
  if (isoDate) {
    const [, y, m, d] = isoDate.map(Number) as [number, number, number, number];
    return validDate(y, m, d);
  }
  if (
    /^(?:today|tonight|this (?:morning|afternoon|evening)|(?:the )?end of (?:the )?day|eod|cob|close of business)$/.test(
      p,
    )
  )
    return day(0);
  if (p === "tomorrow" || p === "tomorrow morning" || p === "tomorrow afternoon") return day(1);
  if (p === "the day after tomorrow" || p === "day after tomorrow") return day(2);

  const weekdayMatch = /^(this |next )?(sun|mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?)(?:day)?$/.exec(p);
  if (weekdayMatch) {
    const target = WEEKDAYS.findIndex((name) => name.startsWith(weekdayMatch[2]!.slice(0, 3)));
    if (weekdayMatch[1] === "next ") return day(inThisWeek(target) + 7);
    return day(((target - weekday + 6) % 7) + 1);
  }

  if (/^(?:the )?end of (?:the |this )?week$|^eow$/.test(p)) return day((5 - weekday + 7) % 7);
  if (/^(?:the )?end of next week$/.test(p)) return day(inThisWeek(5) + 7);
  if (/^(?:the )?end of (?:the |this )?month$|^eom$/.test(p)) {
    const d = new Date(today);
    return iso(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
  }

  const inDays = /^in (\d+|[a-z]+) (day|week)s?$/.exec(p);
  if (inDays) {
    const n = /^\d+$/.test(inDays[1]!) ? Number(inDays[1]) : NUMBER_WORDS[inDays[1]!];
    if (n !== undefined) return day(n * (inDays[2] === "week" ? 7 : 1));
  }

  const monthDay = monthAndDay(p);
  if (monthDay) {
    const year = new Date(today).getUTCFullYear();
    const explicitYear = monthDay.year;
    const date = validDate(explicitYear ?? year, monthDay.month, monthDay.day);
    if (!date || explicitYear !== undefined) return date;
    // No year: the next such date on or after the day it was said.
    return Date.parse(date) >= today ? date : validDate(year + 1, monthDay.month, monthDay.day);
  }
  return undefined;
}

function monthAndDay(p: string): { month: number; day: number; year?: number } | undefined {
  const month = String.raw`(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|dec)[a-z]*\.?`;
  const day = String.raw`(\d{1,2})(?:st|nd|rd|th)?`;
  const year = String.raw`(?:,? (\d{4}))?`;
  const monthFirst = new RegExp(`^${month} ${day}${year}$`).exec(p);
  const dayFirst = new RegExp(`^(?:the )?${day} (?:of )?${month}${year}$`).exec(p);
  const parts = monthFirst
    ? { name: monthFirst[1]!, day: monthFirst[2]!, year: monthFirst[3] }
    : dayFirst
      ? { name: dayFirst[2]!, day: dayFirst[1]!, year: dayFirst[3] }
      : undefined;
  if (!parts) return undefined;
  const index = MONTHS.findIndex((m) => m.startsWith(parts.name.slice(0, 3)));
  if (index < 0) return undefined;
  return {
    month: index + 1,
    day: Number(parts.day),
    ...(parts.year !== undefined && { year: Number(parts.year) }),
  };
}

function validDate(year: number, month: number, day: number): string | undefined {
  const ms = Date.UTC(year, month - 1, day);
  const d = new Date(ms);
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day ? iso(ms) : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
