import { Duration, Validations } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";

/**
 * A queue that holds what a Lambda event source, async invoke or EventBridge target gave up on
 * (encrypted, TLS only, kept the 14-day maximum). cdk-nag only recognises dead-letter queues named in
 * another queue's redrive policy, so AwsSolutions-SQS3 is acknowledged here, with `holds` (what lands in
 * the queue) in the reason.
 */
export function deadLetterQueue(scope: Construct, id: string, holds: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: "AwsSolutions-SQS3",
    reason: `This queue is itself a dead-letter queue (${holds}).`,
  });
  return queue;
}
