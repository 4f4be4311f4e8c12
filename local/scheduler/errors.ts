/**
 * Errors the local scheduler returns the way the real service does (REST-JSON): the HTTP status of the
 * modelled error, its name in the `x-amzn-ErrorType` header and `{ "Message": … }` in the body, so
 * `@aws-sdk/client-scheduler` raises the same exception class it raises against AWS.
 */
export type SchedulerErrorType =
  "ValidationException" | "ResourceNotFoundException" | "ConflictException" | "InternalServerException";

const STATUS: Record<SchedulerErrorType, number> = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  InternalServerException: 500,
};

export class SchedulerApiError extends Error {
  readonly status: number;
  constructor(
    readonly type: SchedulerErrorType,
    message: string,
  ) {
    super(message);
    this.name = type;
    this.status = STATUS[type];
  }
}

export const validation = (message: string) => new SchedulerApiError("ValidationException", message);
export const notFound = (message: string) => new SchedulerApiError("ResourceNotFoundException", message);
export const conflict = (message: string) => new SchedulerApiError("ConflictException", message);
