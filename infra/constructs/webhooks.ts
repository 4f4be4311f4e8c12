import * as iam from "aws-cdk-lib/aws-iam";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { Data } from "./data.js";
import type { BaseEnvironment } from "./node-function.js";
import { createQueueConsumer } from "./queue-consumer.js";

/**
 * The webhook target policy on AWS: private, loopback and link-local addresses and plain http are
 * refused (only the local runtime allows them, for receivers on the same machine).
 */
export const WEBHOOK_TARGET_POLICY = { webhookAllowPrivateTargets: "false", webhookAllowHttp: "false" } as const;

export interface WebhooksProps {
  data: Data;
  environment: BaseEnvironment;
}

/**
 * Webhook delivery: the queue the fan-out consumer and the API (replay) put delivery messages on, its
 * dead-letter queue, and the deliver function that consumes it (`QUEUES.webhookDeliveries`).
 */
export class Webhooks extends Construct {
  readonly deliveries: sqs.Queue;
  /** Messages that failed `maxReceiveCount` times (infrastructure failures: a failed delivery is recorded). */
  readonly deadLetters: sqs.Queue;
  readonly deliverer: NodejsFunction;

  constructor(scope: Construct, id: string, props: WebhooksProps) {
    super(scope, id);
    // Outbound HTTPS to user-supplied URLs, from outside any VPC (there is nothing private to reach from
    // here). SSRF protection is in code (shared/consumers/webhooks/url-guard.ts checks the URL and every resolved
    // address at connect time), and WEBHOOK_TARGET_POLICY refuses private and plain-http targets on AWS.
    const consumer = createQueueConsumer(this, {
      queue: "webhookDeliveries",
      ids: { queue: "Deliveries", deadLetters: "DeliveryFailures", function: "Deliverer" },
      description: "Delivers queued webhook attempts (Standard Webhooks signatures) and records each attempt",
      environment: (queue) => ({
        ...props.environment,
        ...WEBHOOK_TARGET_POLICY,
        webhookQueueUrl: queue.queueUrl,
        // The Standard Webhooks retry schedule unscaled (the local runtime shrinks it).
        webhookRetryScale: "1",
      }),
    });
    this.deliveries = consumer.queue;
    this.deadLetters = consumer.deadLetters;
    this.deliverer = consumer.fn;
    props.data.grantReadWrite(this.deliverer);
    // Retries are new, delayed messages on the same queue.
    this.grantEnqueue(this.deliverer);
  }

  /** `sqs:SendMessage` on the delivery queue, and nothing else (no receive, no purge). */
  grantEnqueue(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ["sqs:SendMessage"],
      resourceArns: [this.deliveries.queueArn],
    });
  }
}
