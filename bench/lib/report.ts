/**
 * What a bench run produces: tables (printed, and written as Markdown), goals (met or missed — a missed
 * goal is a result, not an error), FAIL lines (the measurement itself cannot be trusted: errors, lost or
 * duplicated events, a step that did not run) and the raw figures for the JSON file.
 */
export type Cell = string | number;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  notes?: string[];
}

export interface Goal {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

const started = Date.now();

export function progress(message: string): void {
  process.stdout.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

export class Report {
  readonly tables: Table[] = [];
  readonly goals: Goal[] = [];
  readonly fails: string[] = [];
  readonly warnings: string[] = [];
  readonly data: Record<string, unknown> = {};

  table(table: Table): void {
    this.tables.push(table);
  }

  goal(name: string, target: string, measured: string, met: boolean): void {
    this.goals.push({ name, target, measured, met });
  }

  /** A self-check: when it does not hold, the run prints a FAIL line and exits non-zero. */
  check(ok: boolean, message: string): boolean {
    if (!ok) {
      this.fails.push(message);
      process.stdout.write(`FAIL ${message}\n`);
    }
    return ok;
  }

  warn(message: string): void {
    this.warnings.push(message);
    process.stdout.write(`WARN ${message}\n`);
  }
}

export function textTable(table: Table): string {
  const cells = [table.columns, ...table.rows.map((r) => r.map(String))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? "").length)));
  const line = (r: Cell[]) =>
    r.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!))).join("  ");
  const out = [table.title, line(table.columns), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)];
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return out.join("\n");
}

export function markdownTable(table: Table): string {
  const escape = (c: Cell) => String(c).replace(/\|/g, "\\|");
  const out = [
    `### ${table.title}`,
    "",
    `| ${table.columns.map(escape).join(" | ")} |`,
    `|${table.columns.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...table.rows.map((r) => `| ${r.map(escape).join(" | ")} |`),
  ];
  if (table.notes?.length) out.push("", ...table.notes.map((n) => `- ${n}`));
  return out.join("\n");
}
