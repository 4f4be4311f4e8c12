/**
 * Named domain errors. Each maps to one RFC 9457 problem: a stable `code`, an HTTP status and a title.
 * Handlers never build error responses by hand; the problem middleware narrows with `instanceof`.
 */
export interface FieldIssue {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  abstract readonly title: string;
  readonly extensions: Record<string, unknown>;

  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.extensions = extensions;
  }
}

export class ValidationError extends DomainError {
  readonly status = 400;
  readonly code = "validation_failed";
  readonly title = "Request validation failed";
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message, { errors: issues });
  }
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly code = "unauthorized";
  readonly title = "Missing or invalid API key";
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly code = "forbidden";
  readonly title = "Forbidden";
}

export class GoneError extends DomainError {
  readonly status = 410;
  readonly code = "gone";
  readonly title = "Gone";
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly code: string;
  readonly title = "Resource not found";
  constructor(message: string, code = "not_found") {
    super(message);
    this.code = code;
  }
}

export class MethodNotAllowedError extends DomainError {
  readonly status = 405;
  readonly code = "method_not_allowed";
  readonly title = "Method not allowed";
}

/** A business-rule conflict, e.g. an illegal lifecycle transition. */
export class ConflictError extends DomainError {
  readonly status = 409;
  readonly code: string;
  readonly title = "Conflict";
  constructor(message: string, code = "conflict", extensions: Record<string, unknown> = {}) {
    super(message, extensions);
    this.code = code;
  }
}

/** Another writer changed the aggregate first. Commands reload and retry; callers with If-Match get 412. */
export class VersionConflictError extends DomainError {
  readonly status = 409;
  readonly code = "version_conflict";
  readonly title = "Concurrent modification";
  constructor(
    readonly aggregate: string,
    readonly expectedVersion: number,
  ) {
    super(`${aggregate} was modified concurrently (expected version ${expectedVersion})`);
  }
}

/** A uniqueness marker written in the commit already exists. */
export class UniqueConstraintError extends DomainError {
  readonly status = 409;
  readonly code = "already_exists";
  readonly title = "Already exists";
  constructor(readonly markerPk: string) {
    super(`a unique value is already taken (${markerPk.split("#")[0]})`);
  }
}

export class PreconditionFailedError extends DomainError {
  readonly status = 412;
  readonly code = "precondition_failed";
  readonly title = "Precondition failed";
}

/** The same Idempotency-Key was sent with a different request. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly status = 422;
  readonly code = "idempotency_key_reused";
  readonly title = "Idempotency key reused";
}

export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly code = "payload_too_large";
  readonly title = "Payload too large";
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly code = "unsupported_media_type";
  readonly title = "Unsupported media type";
}

/**
 * A dependency (the data store) cannot be reached right now — a network error, or the service says it is
 * unavailable. Not the caller's fault and not a bug: a 503 with `Retry-After`.
 */
export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
  readonly code = "service_unavailable";
  readonly title = "Service unavailable";
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** The caller's key sent more requests than its rate limit allows: a 429 with `Retry-After`. */
export class TooManyRequestsError extends DomainError {
  readonly status = 429;
  readonly code = "rate_limited";
  readonly title = "Too many requests";
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** The `Retry-After` header an error's response carries, if any. */
export function retryAfterHeader(error: unknown): Record<string, string> {
  return error instanceof ServiceUnavailableError || error instanceof TooManyRequestsError
    ? { "Retry-After": String(error.retryAfterSeconds) }
    : {};
}
