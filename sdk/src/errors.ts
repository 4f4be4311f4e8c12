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

/**
 * Typed errors: one class per problem family and per problem code a caller is likely to branch on, all
 * subclasses of `CortexError` (so `catch (e) { if (e instanceof CortexError) … }` keeps working). A code
 * this SDK version does not know becomes the class of its HTTP status (`ConflictError` for any 409 …).
 */
type ProblemOptions = { requestId?: string | undefined; cause?: unknown };

/** 400: the request is malformed or a field is invalid (`errors` lists each field). */
export class ValidationFailedError extends CortexError {}
/** 401: no credential, or one the API does not accept. */
export class UnauthorizedError extends CortexError {}
/** 403: the credential may not do this (scope, participant token, bot key…). */
export class ForbiddenError extends CortexError {}
/** 404: the resource does not exist (or is not visible to this credential). */
export class NotFoundError extends CortexError {}
/** 404 `join_code_not_found`: no open gathering has this join code. */
export class JoinCodeNotFoundError extends NotFoundError {}
/** 405: the route exists but not with this method. */
export class MethodNotAllowedError extends CortexError {}
/** 409: the request conflicts with the resource's current state (see the subclasses). */
export class ConflictError extends CortexError {}
/** 409 `gathering_full`: the gathering has no free seat (`maxMembers`). */
export class GatheringFullError extends ConflictError {}
/** 409 `gathering_closed`: the gathering has started, ended or was cancelled. */
export class GatheringClosedError extends ConflictError {}
/** 409 `invalid_transition` / `invalid_member_transition`: the state machine does not allow this move. */
export class InvalidTransitionError extends ConflictError {}
/** 409 `join_code_taken`: another gathering of the project holds this join code. */
export class JoinCodeTakenError extends ConflictError {}
/** 409 `session_ended`: the session has ended. */
export class SessionEndedError extends ConflictError {}
/** 409 `plugin_disabled`: the plugin is disabled for the project. */
export class PluginDisabledError extends ConflictError {}
/** 409 `busy`: too many concurrent writers on one gathering; retry. */
export class BusyError extends ConflictError {}
/** 409 `version_conflict`: the aggregate changed since the version you sent (`If-Match`/`expectedVersion`). */
export class VersionConflictError extends ConflictError {}
/** 409 `already_exists`: a resource with this id exists. */
export class AlreadyExistsError extends ConflictError {}
/** 409 `idempotency_key_reused`: this Idempotency-Key was used for a different request. */
export class IdempotencyKeyReusedError extends ConflictError {}
/** 410: the resource is gone for good. */
export class GoneError extends CortexError {}
/** 412: an `If-Match` precondition failed. */
export class PreconditionFailedError extends CortexError {}
/** 413: the request body is too large. */
export class PayloadTooLargeError extends CortexError {}
/** 415: the request body is not JSON. */
export class UnsupportedMediaTypeError extends CortexError {}
/** 429: too many requests for this key or the stage (the SDK already retried, honouring `Retry-After`). */
export class RateLimitedError extends CortexError {}
/** 5xx: the API could not serve the request; retried by the SDK where safe. */
export class ServerError extends CortexError {}
/** 503: a dependency of the API is unavailable; retry later. */
export class ServiceUnavailableError extends ServerError {}

type ErrorClass = new (problem: Problem, options?: ProblemOptions) => CortexError;

/** Problem code → class, for the codes the API sends (shared/kernel/errors.ts and the domain's conflicts). */
export const ERROR_CLASSES_BY_CODE: Readonly<Record<string, ErrorClass>> = {
  validation_failed: ValidationFailedError,
  bad_request: ValidationFailedError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  route_not_found: NotFoundError,
  no_debug_audio: NotFoundError,
  join_code_not_found: JoinCodeNotFoundError,
  method_not_allowed: MethodNotAllowedError,
  conflict: ConflictError,
  below_member_count: ConflictError,
  not_present: ConflictError,
  owner_exists: ConflictError,
  stale_command: ConflictError,
  key_revoked: ConflictError,
  gathering_full: GatheringFullError,
  gathering_closed: GatheringClosedError,
  invalid_transition: InvalidTransitionError,
  invalid_member_transition: InvalidTransitionError,
  illegal_bot_transition: InvalidTransitionError,
  join_code_taken: JoinCodeTakenError,
  session_ended: SessionEndedError,
  plugin_disabled: PluginDisabledError,
  busy: BusyError,
  version_conflict: VersionConflictError,
  already_exists: AlreadyExistsError,
  message_id_reused: AlreadyExistsError,
  idempotency_key_reused: IdempotencyKeyReusedError,
  gone: GoneError,
  precondition_failed: PreconditionFailedError,
  payload_too_large: PayloadTooLargeError,
  unsupported_media_type: UnsupportedMediaTypeError,
  throttled: RateLimitedError,
  rate_limited: RateLimitedError,
  too_many_streams: RateLimitedError,
  service_unavailable: ServiceUnavailableError,
};

const ERROR_CLASSES_BY_STATUS: Readonly<Record<number, ErrorClass>> = {
  400: ValidationFailedError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  405: MethodNotAllowedError,
  409: ConflictError,
  410: GoneError,
  412: PreconditionFailedError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  429: RateLimitedError,
  503: ServiceUnavailableError,
};

/** The class for a problem: by its code, else by its status (any 5xx is a `ServerError`), else `CortexError`. */
export function errorClassFor(problem: Pick<Problem, "code" | "status">): ErrorClass {
  const byCode = Object.hasOwn(ERROR_CLASSES_BY_CODE, problem.code) ? ERROR_CLASSES_BY_CODE[problem.code] : undefined;
  return (
    byCode ??
    ERROR_CLASSES_BY_STATUS[problem.status] ??
    (problem.status >= 500 ? ServerError : undefined) ??
    CortexError
  );
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
  const ErrorClass = errorClassFor(problem);
  return new ErrorClass(problem, { requestId });
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
