import * as z from "../../kernel/zod.js";

/**
 * A gathering's `metadata`: the caller's own JSON object, stored as it is (a DynamoDB map inside the
 * gathering, its events and idempotency records). What DynamoDB or JSON cannot hold faithfully is refused
 * up front with the offending path, instead of failing the write:
 * - at most METADATA_MAX_BYTES of JSON and METADATA_MAX_DEPTH levels of nesting (the object itself is level 1);
 * - no empty keys, at any depth;
 * - numbers are finite and exact: integers within ±(2^53−1) (send bigger ones, e.g. Discord ids, as strings),
 *   other numbers no smaller in magnitude than 1e-130 (DynamoDB's smallest).
 */
export const METADATA_MAX_BYTES = 4096;
export const METADATA_MAX_DEPTH = 8;
const DYNAMODB_MIN_MAGNITUDE = 1e-130;

export interface MetadataIssue {
  path: (string | number)[];
  message: string;
}

/** Every way a value breaks the rules above (without recursion, so any depth is safe to check). */
export function metadataIssues(value: Record<string, unknown>): MetadataIssue[] {
  const issues: MetadataIssue[] = [];
  const stack: Array<{ value: unknown; path: (string | number)[]; depth: number }> = [{ value, path: [], depth: 1 }];
  let tooDeep = false;
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === "number") {
      const issue = numberIssue(v);
      if (issue) issues.push({ path, message: issue });
    } else if (v !== null && typeof v === "object") {
      if (depth > METADATA_MAX_DEPTH) {
        issues.push({ path, message: `nests deeper than ${METADATA_MAX_DEPTH} levels` });
        tooDeep = true;
        continue;
      }
      const entries: Array<[string | number, unknown]> = Array.isArray(v)
        ? v.map((item, i) => [i, item])
        : Object.entries(v);
      for (const [key, child] of entries) {
        if (key === "") issues.push({ path: [...path, key], message: "keys must not be empty" });
        stack.push({ value: child, path: [...path, key], depth: depth + 1 });
      }
    } else if (typeof v !== "string" && typeof v !== "boolean" && v !== null) {
      issues.push({ path, message: "must be JSON (objects, arrays, strings, numbers, booleans, null)" });
    }
  }
  // Serializing is safe only once the depth is known to be bounded.
  if (!tooDeep && Buffer.byteLength(JSON.stringify(value)) > METADATA_MAX_BYTES) {
    issues.push({ path: [], message: `must serialize to at most ${METADATA_MAX_BYTES} bytes of JSON` });
  }
  return issues.sort((a, b) => a.path.join(".").localeCompare(b.path.join(".")));
}

function numberIssue(n: number): string | undefined {
  if (!Number.isFinite(n)) return "must be a finite number";
  if (Math.abs(n) > Number.MAX_SAFE_INTEGER) {
    return "must be within ±9007199254740991 (2^53−1); send bigger numbers (e.g. snowflake ids) as strings";
  }
  if (n !== 0 && Math.abs(n) < DYNAMODB_MIN_MAGNITUDE) return "must be 0 or at least 1e-130 in magnitude";
  return undefined;
}

export const MetadataSchema = z.withMeta(
  z.record(z.string(), z.unknown()).check(
    z.superRefine((value, ctx) => {
      for (const issue of metadataIssues(value))
        ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
    }),
  ),
  {
    description:
      `Your own JSON object, stored as it is. At most ${METADATA_MAX_BYTES} bytes of JSON and ` +
      `${METADATA_MAX_DEPTH} levels of nesting; no empty keys; numbers must be integers within ±(2^53−1) ` +
      "or other numbers no smaller than 1e-130 in magnitude — send bigger integers (e.g. snowflake ids) as strings.",
    "x-maxBytes": METADATA_MAX_BYTES,
    "x-maxDepth": METADATA_MAX_DEPTH,
  },
);
