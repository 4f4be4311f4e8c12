import type * as z from "../../kernel/zod.js";
import { ValidationError, type FieldIssue } from "../../kernel/errors.js";
import { PATH_PARAMS, routeOf, type PathParamName } from "./routes.js";

/** Parses with a zod schema; failures become a 400 naming every offending field path. */
export function parseWith<S extends z.ZodMiniType>(
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

/**
 * Validates an operation's path parameters against the schemas the route table declares for them
 * (`PATH_PARAMS`), before any work: every transport and every route, API and streaming, goes through here.
 */
export function parsePathParams(operationId: string, params: Record<string, string>): Record<string, string> {
  const route = routeOf(operationId);
  const issues: FieldIssue[] = [];
  const parsed: Record<string, string> = {};
  for (const [, name] of route.path.matchAll(/\{(\w+)\}/g)) {
    const schema: z.ZodMiniType<string> | undefined = PATH_PARAMS[name as PathParamName];
    if (!schema) throw new Error(`${route.path}: path parameter {${name}} has no schema in PATH_PARAMS`);
    const result = schema.safeParse(params[name!]);
    if (result.success) parsed[name!] = result.data;
    else issues.push({ path: name!, message: result.error.issues[0]?.message ?? "is not valid" });
  }
  if (issues.length === 0) return parsed;
  const first = issues[0]!;
  throw new ValidationError(
    `The request path is not valid (${first.path}: ${first.message}${issues.length > 1 ? `, and ${issues.length - 1} more` : ""})`,
    issues,
  );
}
