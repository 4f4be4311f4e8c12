import { Duration } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { QUEUES } from "../../shared/events/rules.js";
import type { Data } from "./data.js";
import { createNodeFunction, type BaseEnvironment } from "./node-function.js";

/**
 * The webhook target policy on AWS: private, loopback and link-local addresses and plain http are
 * refused (only the local runtime allows them, for receivers on the same machine).
 */
export const WEBHOOK_TARGET_POLICY = { webhookAllowPrivateTargets: "false", webhookAllowHttp: "false" } as const;

/** The classic SQS limit, which the local emulator enforces too (local/sqs/model.ts). */
const MAX_MESSAGE_BYTES = 262_144;

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
    const definition = QUEUES.webhookDeliveries;

    // The redrive target of the queue below, which cdk-nag recognises (no AwsSolutions-SQS3 finding here).
    this.deadLetters = new sqs.Queue(this, "DeliveryFailures", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      retentionPeriod: Duration.days(14),
    });
    this.deliveries = new sqs.Queue(this, "Deliveries", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: definition.maxReceiveCount },
    });

    // Outbound HTTPS to user-supplied URLs, from outside any VPC (there is nothing private to reach from
    // here). SSRF protection is in code (shared/consumers/webhooks/url-guard.ts checks the URL and every resolved
    // address at connect time), and WEBHOOK_TARGET_POLICY refuses private and plain-http targets on AWS.
    this.deliverer = createNodeFunction(this, "Deliverer", {
      entry: definition.entry,
      description: "Delivers queued webhook attempts (Standard Webhooks signatures) and records each attempt",
      environment: {
        ...props.environment,
        ...WEBHOOK_TARGET_POLICY,
        webhookQueueUrl: this.deliveries.queueUrl,
        // The Standard Webhooks retry schedule unscaled (the local runtime shrinks it).
        webhookRetryScale: "1",
      },
    });
    props.data.grantReadWrite(this.deliverer);
    // Retries are new, delayed messages on the same queue.
    this.grantEnqueue(this.deliverer);
    this.deliverer.addEventSource(
      new SqsEventSource(this.deliveries, { batchSize: definition.batchSize, reportBatchItemFailures: true }),
    );
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
