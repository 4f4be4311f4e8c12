import { DomainError } from "../../kernel/errors.js";
import { PROBLEM_TYPE_BASE } from "./gateway-responses.js";

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Any error → an RFC 9457 problem. Unknown errors become an opaque 500 (details go to the log only). */
export function toProblem(error: unknown, instance?: string): Problem {
  if (error instanceof DomainError) {
    // Extensions first: they may add members but never replace the standard ones.
    return {
      ...error.extensions,
      type: PROBLEM_TYPE_BASE + error.code,
      title: error.title,
      status: error.status,
      code: error.code,
      detail: error.message,
      ...(instance && { instance }),
    };
  }
  return {
    type: PROBLEM_TYPE_BASE + "internal_error",
    title: "Internal error",
    status: 500,
    code: "internal_error",
    detail: "Something went wrong on our side; the request id identifies it in our logs.",
    ...(instance && { instance }),
  };
}
