import type { z } from "zod";
import { ValidationError, type FieldIssue } from "../errors.js";

/** Parses with a zod schema; failures become a 400 naming every offending field path. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: "body" | "query" | "header" | "path",
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown field${issue.keys.length > 1 ? "s" : ""}: ${issue.keys.join(", ")}`
        : issue.message;
    return { path: path || (where === "body" ? "" : where), message };
  });
  const first = issues[0]!;
  const summary = first.path ? `${first.path}: ${first.message}` : first.message;
  throw new ValidationError(
    `The request ${where} is not valid (${summary}${issues.length > 1 ? `, and ${issues.length - 1} more` : ""})`,
    issues,
  );
}
