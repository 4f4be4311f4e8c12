import { EVENT_SOURCE } from "./envelope.js";

/**
 * Which consumer hears which events: the EventBridge rules, defined once. The CDK stack creates one
 * rule per entry targeting the consumer's function; the local router evaluates the same patterns and
 * invokes the same handler module.
 *
 * Patterns use the EventBridge pattern language; the local router supports exact values, `prefix`,
 * `wildcard` and `anything-but` (see local/eventbridge/pattern.ts), and rejects anything else at start.
 */
export interface ConsumerDefinition {
  /** Function entry under functions/, without extension. */
  entry: string;
  description: string;
  /** Seconds; the Lambda timeout on AWS. */
  timeoutSeconds: number;
  /**
   * Retries when the handler throws: Lambda's asynchronous invoke allows 0–2, and the local router uses
   * the same number. (EventBridge's own retry policy only covers failing to reach the function.)
   */
  handlerRetryAttempts: 0 | 1 | 2;
  /** EventBridge delivery retries when the function cannot be reached (throttling, service errors). */
  deliveryRetryAttempts: number;
}

export interface RuleDefinition {
  /** Stable rule id (CDK construct id and local rule name). */
  id: string;
  consumer: keyof typeof CONSUMERS;
  description: string;
  pattern: Record<string, unknown>;
}

export const CONSUMERS = {
  activityRecorder: {
    entry: "activity-recorder",
    description: "Records every domain event once in the project's activity log (audit trail).",
    timeoutSeconds: 10,
    handlerRetryAttempts: 2,
    deliveryRetryAttempts: 8,
  },
} as const satisfies Record<string, ConsumerDefinition>;

export const RULES: readonly RuleDefinition[] = [
  {
    id: "activity",
    consumer: "activityRecorder",
    description: "Every gathering and session event, into the project activity log.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": [{ prefix: "gathering." }, { prefix: "session." }],
    },
  },
];
