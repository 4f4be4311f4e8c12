import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { QUEUE_RULES, QUEUES } from "../../shared/events/rules.js";

/** The `QUEUES` entries a `QUEUE_RULES` entry may target: those with EventBridge delivery retries. */
export type RoutedQueue = {
  [K in keyof typeof QUEUES]: (typeof QUEUES)[K] extends { deliveryRetryAttempts: number } ? K : never;
}[keyof typeof QUEUES];

export interface QueueRuleTarget {
  /** Where the queue's rules are created: the construct that owns the queue, so a rule's logical id stays put. */
  scope: Construct;
  queue: sqs.IQueue;
  /** Events EventBridge could not put on the queue after its retries. */
  deliveryFailures: sqs.IQueue;
}

/**
 * One rule per `QUEUE_RULES` entry on the bus, targeting its queue. The message body is the event's
 * `detail` — the envelope — as the local bus sends it; EventBridge retries a failed send
 * `deliveryRetryAttempts` times (the local bus too) and then keeps the event in the target's dead-letter
 * queue. An event older than a queue that keeps messages briefly (`retentionSeconds`: bot commands) is
 * stale; otherwise EventBridge gives up after a day, as for function targets.
 *
 * Keyed by the routed queues, so a queue that rules may target does not compile here until it is given.
 */
export function routeQueueRules(
  bus: events.IEventBus,
  targetsByQueue: { readonly [K in RoutedQueue]: QueueRuleTarget },
): Record<string, events.Rule> {
  const rules: Record<string, events.Rule> = {};
  for (const rule of QUEUE_RULES) {
    const definition: { name: string; deliveryRetryAttempts?: number; retentionSeconds?: number } = QUEUES[rule.queue];
    const target = (targetsByQueue as Partial<Record<keyof typeof QUEUES, QueueRuleTarget>>)[rule.queue];
    if (!target || definition.deliveryRetryAttempts === undefined)
      throw new Error(`rule ${rule.id}: queue ${definition.name} is not a rule target (no deliveryRetryAttempts)`);
    rules[rule.id] = new events.Rule(target.scope, `Rule-${rule.id}`, {
      eventBus: bus,
      description: rule.description,
      eventPattern: rule.pattern as events.EventPattern,
      targets: [
        new targets.SqsQueue(target.queue, {
          message: events.RuleTargetInput.fromEventPath("$.detail"),
          deadLetterQueue: target.deliveryFailures,
          retryAttempts: definition.deliveryRetryAttempts,
          maxEventAge:
            definition.retentionSeconds === undefined
              ? Duration.hours(24)
              : Duration.seconds(definition.retentionSeconds),
        }),
      ],
    });
  }
  return rules;
}
