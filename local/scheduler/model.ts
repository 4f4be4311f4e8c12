/**
 * The Scheduler API shapes the emulator accepts, validated the way the service validates them
 * (required members, enums, name patterns, ranges), so code that works here is not rejected on AWS
 * for a reason the emulator let through. Shapes follow the `com.amazonaws.scheduler` Smithy model.
 */
import { validation } from "./errors.js";
import { parseExpression, parseTimezone, type ParsedExpression } from "./expression.js";

export const DEFAULT_GROUP = "default";

/** Retry policy AWS fills in when the caller gives none (GetSchedule returns these). */
export const AWS_DEFAULT_RETRY_POLICY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } as const;

export type ScheduleState = "ENABLED" | "DISABLED";
export type ActionAfterCompletion = "NONE" | "DELETE";

export interface TargetDefinition {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  DeadLetterConfig?: { Arn?: string };
  /** Service-specific parameters (EcsParameters, SqsParameters, …) are stored and returned as given. */
  [other: string]: unknown;
}

/** Everything CreateSchedule/UpdateSchedule define, i.e. what GetSchedule returns besides metadata. */
export interface ScheduleDefinition {
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  FlexibleTimeWindow: { Mode: "OFF" | "FLEXIBLE"; MaximumWindowInMinutes?: number };
  Target: TargetDefinition;
  ActionAfterCompletion: ActionAfterCompletion;
  State: ScheduleState;
  Description?: string;
  /** Epoch seconds, as the SDK sends timestamps in REST-JSON bodies. */
  StartDate?: number;
  EndDate?: number;
  KmsKeyArn?: string;
}

const NAME = /^[0-9a-zA-Z-_.]+$/;

export function validateName(value: unknown, member: string): string {
  if (typeof value !== "string" || value.length === 0) throw validation(`${member} must not be empty.`);
  if (value.length > 64) throw validation(`${member} must have length less than or equal to 64.`);
  if (!NAME.test(value)) throw validation(`${member} must satisfy regular expression pattern: [0-9a-zA-Z-_.]+`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalString(body: Record<string, unknown>, member: string, max: number, min = 0): string | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw validation(`${member} must be a string.`);
  if (value.length < min || value.length > max) {
    throw validation(`${member} must have length between ${min} and ${max}.`);
  }
  return value;
}

function requiredString(body: Record<string, unknown>, member: string, max: number): string {
  const value = optionalString(body, member, max, 1);
  if (value === undefined) throw validation(`1 validation error detected: ${member} must not be null.`);
  return value;
}

function optionalInteger(body: Record<string, unknown>, member: string, min: number, max: number): number | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw validation(`${member} must be an integer between ${min} and ${max}.`);
  }
  return value;
}

function optionalEnum<T extends string>(
  body: Record<string, unknown>,
  member: string,
  values: readonly T[],
): T | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !(values as readonly string[]).includes(value)) {
    throw validation(`${member} must be one of ${values.join(", ")}.`);
  }
  return value as T;
}

function optionalTimestamp(body: Record<string, unknown>, member: string): number | undefined {
  const value = body[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) throw validation(`${member} must be a timestamp.`);
  return value;
}

function validateTarget(value: unknown): TargetDefinition {
  if (!isObject(value)) throw validation("1 validation error detected: Target must not be null.");
  const Arn = requiredString(value, "Arn", 1600);
  const RoleArn = requiredString(value, "RoleArn", 1600);
  const Input = optionalString(value, "Input", 8192, 1);
  let retry: Record<string, unknown> = {};
  if (value.RetryPolicy !== undefined && value.RetryPolicy !== null) {
    if (!isObject(value.RetryPolicy)) throw validation("Target.RetryPolicy must be an object.");
    retry = value.RetryPolicy;
  }
  const RetryPolicy = {
    MaximumEventAgeInSeconds:
      optionalInteger(retry, "MaximumEventAgeInSeconds", 60, 86_400) ??
      AWS_DEFAULT_RETRY_POLICY.MaximumEventAgeInSeconds,
    MaximumRetryAttempts:
      optionalInteger(retry, "MaximumRetryAttempts", 0, 185) ?? AWS_DEFAULT_RETRY_POLICY.MaximumRetryAttempts,
  };
  return { ...value, Arn, RoleArn, ...(Input !== undefined && { Input }), RetryPolicy };
}

function validateFlexibleTimeWindow(value: unknown): ScheduleDefinition["FlexibleTimeWindow"] {
  if (!isObject(value)) throw validation("1 validation error detected: FlexibleTimeWindow must not be null.");
  const Mode = optionalEnum(value, "Mode", ["OFF", "FLEXIBLE"] as const);
  if (!Mode) throw validation("1 validation error detected: FlexibleTimeWindow.Mode must not be null.");
  const MaximumWindowInMinutes = optionalInteger(value, "MaximumWindowInMinutes", 1, 1440);
  if (Mode === "FLEXIBLE" && MaximumWindowInMinutes === undefined) {
    throw validation("MaximumWindowInMinutes is required when FlexibleTimeWindow.Mode is FLEXIBLE.");
  }
  if (Mode === "OFF" && MaximumWindowInMinutes !== undefined) {
    throw validation("MaximumWindowInMinutes is only allowed when FlexibleTimeWindow.Mode is FLEXIBLE.");
  }
  return { Mode, ...(MaximumWindowInMinutes !== undefined && { MaximumWindowInMinutes }) };
}

export interface ValidatedSchedule {
  groupName: string;
  clientToken: string | undefined;
  definition: ScheduleDefinition;
  expression: ParsedExpression;
}

/** The body of CreateSchedule / UpdateSchedule (both carry the full definition). */
export function validateScheduleBody(body: unknown): ValidatedSchedule {
  if (!isObject(body)) throw validation("The request body must be a JSON object.");
  const groupName =
    body.GroupName === undefined || body.GroupName === null ? DEFAULT_GROUP : validateName(body.GroupName, "GroupName");
  const ScheduleExpression = requiredString(body, "ScheduleExpression", 256);
  const Target = validateTarget(body.Target);
  const FlexibleTimeWindow = validateFlexibleTimeWindow(body.FlexibleTimeWindow);
  const ScheduleExpressionTimezone = parseTimezone(optionalString(body, "ScheduleExpressionTimezone", 50, 1));
  const expression = parseExpression(ScheduleExpression);
  const State = optionalEnum(body, "State", ["ENABLED", "DISABLED"] as const) ?? "ENABLED";
  const ActionAfterCompletion = optionalEnum(body, "ActionAfterCompletion", ["NONE", "DELETE"] as const) ?? "NONE";
  const Description = optionalString(body, "Description", 512);
  const KmsKeyArn = optionalString(body, "KmsKeyArn", 2048, 1);
  const StartDate = optionalTimestamp(body, "StartDate");
  const EndDate = optionalTimestamp(body, "EndDate");
  if (StartDate !== undefined && EndDate !== undefined && EndDate <= StartDate) {
    throw validation("The EndDate you specify must be after the StartDate.");
  }
  const clientToken = optionalString(body, "ClientToken", 64, 1);
  return {
    groupName,
    clientToken,
    expression,
    definition: {
      ScheduleExpression,
      ScheduleExpressionTimezone,
      FlexibleTimeWindow,
      Target,
      ActionAfterCompletion,
      State,
      ...(Description !== undefined && { Description }),
      ...(StartDate !== undefined && { StartDate }),
      ...(EndDate !== undefined && { EndDate }),
      ...(KmsKeyArn !== undefined && { KmsKeyArn }),
    },
  };
}
