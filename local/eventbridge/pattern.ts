/**
 * EventBridge event-pattern matching for the local router: exact values, `prefix`, `suffix`, `wildcard`,
 * `anything-but` and `exists`, nested objects, arrays in events (any element matches). Patterns are
 * checked by `assertSupportedPattern` at start-up, so an operator we do not implement fails loudly
 * instead of silently matching differently from AWS.
 */
type Matcher = string | number | boolean | null | Record<string, unknown>;

const OPERATORS = new Set(["prefix", "suffix", "wildcard", "anything-but", "exists"]);

export function assertSupportedPattern(pattern: unknown, path = "pattern"): void {
  if (typeof pattern !== "object" || pattern === null || Array.isArray(pattern)) {
    throw new Error(`${path}: must be an object`);
  }
  for (const [key, value] of Object.entries(pattern)) {
    if (Array.isArray(value)) {
      for (const m of value as Matcher[]) {
        if (typeof m === "object" && m !== null) {
          const ops = Object.keys(m);
          if (ops.length !== 1 || !OPERATORS.has(ops[0]!)) {
            throw new Error(`${path}.${key}: operator ${ops.join(",")} is not supported by the local router`);
          }
        }
      }
    } else assertSupportedPattern(value, `${path}.${key}`);
  }
}

function wildcardToRegExp(glob: string): RegExp {
  return new RegExp(
    "^" +
      glob
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*") +
      "$",
  );
}

function matchOne(matcher: Matcher, value: unknown, present: boolean): boolean {
  if (matcher === null || typeof matcher !== "object") return present && value === matcher;
  const [op, arg] = Object.entries(matcher)[0]!;
  switch (op) {
    case "exists":
      return present === arg;
    case "prefix":
      return present && typeof value === "string" && value.startsWith(String(arg));
    case "suffix":
      return present && typeof value === "string" && value.endsWith(String(arg));
    case "wildcard":
      return present && typeof value === "string" && wildcardToRegExp(String(arg)).test(value);
    case "anything-but": {
      const excluded = Array.isArray(arg) ? arg : [arg];
      return present && !excluded.includes(value);
    }
    default:
      return false;
  }
}

export function matchesPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    const present = Object.hasOwn(event, key) && event[key] !== undefined;
    const value = event[key];
    if (Array.isArray(rule)) {
      const values = Array.isArray(value) ? value : [value];
      const ok = (rule as Matcher[]).some((m) =>
        typeof m === "object" && m !== null && "exists" in m
          ? matchOne(m, value, present)
          : values.some((v) => matchOne(m, v, present)),
      );
      if (!ok) return false;
    } else {
      if (typeof value !== "object" || value === null) return false;
      if (!matchesPattern(rule as Record<string, unknown>, value as Record<string, unknown>)) return false;
    }
  }
  return true;
}
