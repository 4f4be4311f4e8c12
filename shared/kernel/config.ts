/**
 * Fail-fast configuration: a handler module reads what it needs at load time, so a missing variable
 * fails the cold start with a clear message instead of the first request.
 */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`environment variable ${name} is required but not set`);
  }
  return value;
}

export function optionalEnv(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === "" ? fallback : value;
}

export function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`environment variable ${name} must be a number, got "${raw}"`);
  return value;
}

/** How long event items stay in the table for SSE resume and replay, unless configured. */
export const DEFAULT_REPLAY_WINDOW_DAYS = 7;

/**
 * Names of the variables the stack sets on functions; the local runtime sets the same ones. `BASE_ENV`
 * go to every function; each of the others only to the functions that read it (see FUNCTION_ENV), which
 * keeps least privilege and avoids references such as the API handler needing the API's own URL.
 */
export const ENV = {
  tableName: "TABLE_NAME",
  eventBusName: "EVENT_BUS_NAME",
  eventSource: "EVENT_SOURCE",
  replayWindowDays: "EVENT_REPLAY_WINDOW_DAYS",
  logLevel: "LOG_LEVEL",
  webhookQueueUrl: "WEBHOOK_QUEUE_URL",
  /** Browser origins allowed by CORS (comma-separated, or *), from the deployment (shared/app/http/cors.ts). */
  corsAllowedOrigins: "CORS_ALLOWED_ORIGINS",
  webhookAllowPrivateTargets: "WEBHOOK_ALLOW_PRIVATE_TARGETS",
  webhookAllowHttp: "WEBHOOK_ALLOW_HTTP",
  webhookRetryScale: "WEBHOOK_RETRY_SCALE",
  mailFrom: "MAIL_FROM",
  publicBaseUrl: "PUBLIC_BASE_URL",
  sesConfigurationSet: "SES_CONFIGURATION_SET",
  scheduleGroupName: "SCHEDULE_GROUP_NAME",
  schedulerRoleArn: "SCHEDULER_ROLE_ARN",
  schedulerTargetArn: "SCHEDULER_TARGET_ARN",
  userFunctionExport: "USER_FUNCTION_EXPORT",
  debugAudioBucket: "DEBUG_AUDIO_BUCKET",
  /** "true" addresses the bucket by path (S3-compatible stores on one machine); AWS uses virtual hosts. */
  s3ForcePathStyle: "S3_FORCE_PATH_STYLE",
  /** Annotation engines (shared/adapters/aws/engines.ts): the local one (default) or the AWS service. */
  profanityEngine: "PROFANITY_ENGINE",
  sentimentEngine: "SENTIMENT_ENGINE",
  minutesEngine: "MINUTES_ENGINE",
  bedrockModelId: "BEDROCK_MODEL_ID",
  /** Scales the plugins' retry delays (PLUGIN_RETRY_DELAYS_SECONDS); the local runtime shortens them. */
  pluginRetryScale: "PLUGIN_RETRY_SCALE",
} as const;

export type EnvName = keyof typeof ENV;

/** Variables every function gets. */
export const BASE_ENV = [
  "tableName",
  "eventSource",
  "replayWindowDays",
  "logLevel",
] as const satisfies readonly EnvName[];

/** What each function reads beyond BASE_ENV, by its entry under functions/. */
export const FUNCTION_ENV = {
  "http-api": [
    "webhookQueueUrl",
    "webhookAllowPrivateTargets",
    "webhookAllowHttp",
    "debugAudioBucket",
    "s3ForcePathStyle",
    "corsAllowedOrigins",
  ],
  sse: ["corsAllowedOrigins"],
  authorizer: [],
  "stream-publisher": ["eventBusName"],
  "message-sequencer": [],
  "activity-recorder": [],
  mailer: ["mailFrom", "publicBaseUrl", "sesConfigurationSet"],
  "summary-mailer": ["mailFrom", "sesConfigurationSet"],
  "scheduler-sync": ["scheduleGroupName", "schedulerRoleArn", "schedulerTargetArn"],
  "scheduler-target": ["scheduleGroupName", "schedulerRoleArn", "schedulerTargetArn"],
  "webhook-fanout": ["webhookQueueUrl"],
  "webhook-deliver": ["webhookQueueUrl", "webhookAllowPrivateTargets", "webhookAllowHttp", "webhookRetryScale"],
  "plugin-profanity": ["profanityEngine", "pluginRetryScale"],
  "plugin-sentiment": ["sentimentEngine", "pluginRetryScale"],
  "plugin-summary": ["minutesEngine", "bedrockModelId", "pluginRetryScale"],
  "plugin-action-items": ["minutesEngine", "bedrockModelId", "pluginRetryScale"],
  "user-function": [
    "webhookQueueUrl",
    "webhookAllowPrivateTargets",
    "webhookAllowHttp",
    "userFunctionExport",
    "debugAudioBucket",
    "s3ForcePathStyle",
  ],
  docs: [],
} as const satisfies Record<string, readonly EnvName[]>;

/** A function entry under functions/ (without extension). */
export type FunctionEntry = keyof typeof FUNCTION_ENV;

/**
 * How each function runs, defined once: the CDK stack configures each Lambda from it, and the local
 * runtime gives each handler the same deadline and the same retries (`test/infra/function-catalog.test.ts`
 * holds the two against it).
 */
export interface FunctionSettings {
  /** The Lambda timeout; locally, how long a handler may run before its invocation fails. */
  timeoutSeconds: number;
  memoryMb: number;
  /**
   * Invoked asynchronously (an EventBridge rule or schedule target): Lambda retries a handler that throws
   * this many times (0–2, the local router too), and drops events older than this.
   */
  asyncInvoke?: { retryAttempts: 0 | 1 | 2; maxEventAgeHours: number };
  /** A rule target: EventBridge's retries when the function cannot be reached (throttling, errors). */
  deliveryRetryAttempts?: number;
}

export const FUNCTIONS = {
  // Below API Gateway's 29 s integration timeout, so the gateway never answers for a live handler.
  "http-api": { timeoutSeconds: 25, memoryMb: 1024 },
  // A stream ends itself before 15 minutes (SSE_MAX_DURATION_SECONDS) and the client resumes.
  sse: { timeoutSeconds: 900, memoryMb: 256 },
  authorizer: { timeoutSeconds: 5, memoryMb: 512 },
  "stream-publisher": { timeoutSeconds: 60, memoryMb: 256 },
  // One commit per session per stream batch; a long batch of a busy meeting stays well inside this.
  "message-sequencer": { timeoutSeconds: 60, memoryMb: 256 },
  "activity-recorder": {
    timeoutSeconds: 10,
    memoryMb: 256,
    asyncInvoke: { retryAttempts: 2, maxEventAgeHours: 6 },
    deliveryRetryAttempts: 8,
  },
  mailer: {
    timeoutSeconds: 60,
    memoryMb: 256,
    asyncInvoke: { retryAttempts: 2, maxEventAgeHours: 6 },
    deliveryRetryAttempts: 8,
  },
  // Its delivery claims outlast this timeout (SUMMARY_CLAIM_LEASE_MS), so keep the two in step.
  "summary-mailer": {
    timeoutSeconds: 60,
    memoryMb: 256,
    asyncInvoke: { retryAttempts: 2, maxEventAgeHours: 6 },
    deliveryRetryAttempts: 8,
  },
  "scheduler-sync": {
    timeoutSeconds: 20,
    memoryMb: 256,
    asyncInvoke: { retryAttempts: 2, maxEventAgeHours: 6 },
    deliveryRetryAttempts: 8,
  },
  "webhook-fanout": {
    timeoutSeconds: 30,
    memoryMb: 256,
    asyncInvoke: { retryAttempts: 2, maxEventAgeHours: 6 },
    deliveryRetryAttempts: 8,
  },
  // A late retry re-checks the gathering, so an hour is plenty.
  "scheduler-target": { timeoutSeconds: 30, memoryMb: 256, asyncInvoke: { retryAttempts: 2, maxEventAgeHours: 1 } },
  "webhook-deliver": { timeoutSeconds: 60, memoryMb: 256 },
  // Plugins are queue consumers (batches, redelivery, a dead-letter queue). A batch of 10 utterances is
  // one engine call; the NLP model wants memory; a minutes call to a model can take a minute on a long meeting.
  "plugin-profanity": { timeoutSeconds: 30, memoryMb: 512 },
  "plugin-sentiment": { timeoutSeconds: 60, memoryMb: 1024 },
  "plugin-summary": { timeoutSeconds: 120, memoryMb: 1024 },
  "plugin-action-items": { timeoutSeconds: 120, memoryMb: 1024 },
  "user-function": {
    timeoutSeconds: 30,
    memoryMb: 256,
    asyncInvoke: { retryAttempts: 2, maxEventAgeHours: 6 },
    deliveryRetryAttempts: 8,
  },
  // The API reference's static files (a 1.7 MB script the largest), read once per container.
  docs: { timeoutSeconds: 10, memoryMb: 256 },
} as const satisfies Record<FunctionEntry, FunctionSettings>;

/**
 * Claude Haiku 4.5 through the global cross-Region inference profile: a current Converse model with tool
 * use (the engine forces a tool call for its JSON), callable from most commercial Regions whatever the
 * model's in-Region availability. A geographic profile (`us.…`, `eu.…`) keeps inference in that
 * geography at ~10 % more per token; `-c bedrockModelId=…` picks another model (any with tool use). The
 * model must be enabled for the account in the Bedrock console before the first call.
 */
export const DEFAULT_BEDROCK_MODEL_ID = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

/** How long API Gateway (and the local server) keeps a TOKEN authorizer's answer for a key. */
export const AUTHORIZER_CACHE_SECONDS = 300;

/** The API Gateway stage (routes carry their own /v1 prefix); the local server names the same stage. */
export const API_STAGE_NAME = "live";
