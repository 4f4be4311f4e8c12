import type { Problem } from "./types.js";

/**
 * Every failure the SDK reports. `status` and `code` come from the API's problem+json (`problem`);
 * a failure to reach the API at all is a `CortexConnectionError` (status 0).
 */
export class CortexError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  readonly requestId: string | undefined;

  constructor(problem: Problem, options: { requestId?: string | undefined; cause?: unknown } = {}) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title, { cause: options.cause });
    this.name = new.target.name;
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
    this.requestId = options.requestId ?? problem.requestId;
  }

  /** For validation failures (400): each offending field and what is wrong with it. */
  get errors(): Array<{ path: string; message: string }> {
    return this.problem.errors ?? [];
  }
}

/** The API could not be reached (network error, or no answer within the timeout). */
export class CortexConnectionError extends CortexError {
  constructor(code: "network_error" | "timeout", detail: string, cause?: unknown) {
    super(
      {
        type: `urn:cortex:sdk:${code}`,
        title: code === "timeout" ? "Request timed out" : "Could not reach the API",
        status: 0,
        code,
        detail,
      },
      { cause },
    );
  }
}

/** Builds the error for a non-2xx response from its body (problem+json, or whatever the server sent). */
export function errorFromResponse(status: number, statusText: string, body: unknown, requestId?: string): CortexError {
  const looksLikeProblem =
    typeof body === "object" && body !== null && typeof (body as Problem).title === "string" && "status" in body;
  const problem: Problem = looksLikeProblem
    ? { ...(body as Problem), code: (body as Partial<Problem>).code ?? `http_${status}`, status }
    : {
        type: "about:blank",
        title: statusText || `HTTP ${status}`,
        status,
        code: `http_${status}`,
        ...(typeof body === "string" && body !== "" && { detail: body.slice(0, 500) }),
      };
  return new CortexError(problem, { requestId });
}

export type WebhookVerificationFailure =
  | "missing_headers"
  | "invalid_timestamp"
  | "timestamp_too_old"
  | "timestamp_too_new"
  | "invalid_secret"
  | "no_matching_signature"
  | "invalid_payload";

/** A webhook delivery that must not be trusted; `reason` says why. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookVerificationFailure,
    message: string,
  ) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}
