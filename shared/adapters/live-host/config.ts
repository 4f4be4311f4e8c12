/**
 * The contract between the live host's CDK (infra/constructs/live.ts) and its program
 * (shared/adapters/live-host/main.ts, its container entry: functions/ holds only Lambda entries): the variables the task is given and the headers API Gateway forwards.
 * No imports, so the CDK can read it without loading the service.
 */
export const LIVE_ENV = {
  /** TCP port the HTTP server listens on inside the task. */
  port: "LIVE_PORT",
  /** SNS topic every committed event is published to (by an EventBridge rule). */
  topicArn: "LIVE_TOPIC_ARN",
  /** Name prefix of the per-task queues; the task role may create and delete only these. */
  queuePrefix: "LIVE_QUEUE_PREFIX",
  /** The shared secret API Gateway sends in FORWARDED_HEADERS.secret (from Secrets Manager). */
  forwardSecret: "LIVE_FORWARD_SECRET",
  /** CloudWatch namespace and service dimension of the open-connections metric (scaling). */
  metricNamespace: "LIVE_METRIC_NAMESPACE",
  metricService: "LIVE_METRIC_SERVICE",
} as const;

/** Headers API Gateway sets on the request to the live host, from the authorizer's context. */
export const FORWARDED_HEADERS = {
  tenantId: "x-cortex-tenant-id",
  projectScope: "x-cortex-project-scope",
  keyId: "x-cortex-key-id",
  credential: "x-cortex-credential",
  participantId: "x-cortex-participant-id",
  gatherings: "x-cortex-gatherings",
  expiresAt: "x-cortex-expires-at",
  requestId: "x-cortex-request-id",
  secret: "x-cortex-live-secret",
} as const;

/** The authorizer context key each forwarded header is mapped from (shared/domain/auth/api-keys.ts keyPolicy). */
export const AUTHORIZER_CONTEXT = {
  tenantId: "tenantId",
  projectScope: "projectScope",
  keyId: "keyId",
  credential: "credential",
  // A participant token's claims (shared/domain/auth/participant-tokens.ts participantContext).
  participantId: "participantId",
  gatherings: "gatherings",
  expiresAt: "expiresAt",
} as const;

export const LIVE_METRIC = { namespace: "Cortex/Live", name: "OpenConnections" } as const;
/** Health check path of the live host (the load balancer's target group). */
export const LIVE_HEALTH_PATH = "/healthz";
