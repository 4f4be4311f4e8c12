import { Duration } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { QUEUES } from "../../shared/events/rules.js";

/**
 * The bot command queue (`QUEUES.botCommands`): the queue rules put each join/leave command's envelope on
 * it (infra/constructs/events.ts), and a bot fleet outside this stack consumes it with the permissions of
 * `consumerPolicy`. No function here consumes it.
 */
export class BotCommands extends Construct {
  readonly queue: sqs.Queue;
  /** Commands a bot received `maxReceiveCount` times without deleting them. */
  readonly deadLetters: sqs.Queue;
  /** Attach to the bot fleet's role: receive, delete and extend the visibility of commands, nothing else. */
  readonly consumerPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const definition = QUEUES.botCommands;

    // The redrive target of the queue below, which cdk-nag recognises (no AwsSolutions-SQS3 finding here).
    this.deadLetters = new sqs.Queue(this, "DeadLetters", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, "Queue", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionSeconds),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: definition.maxReceiveCount },
    });

    this.consumerPolicy = new iam.ManagedPolicy(this, "BotFleetConsumerPolicy", {
      description: "Lets a bot fleet consume the bot command queue (attach it to the fleet's role)",
      statements: [
        new iam.PolicyStatement({
          actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"],
          resources: [this.queue.queueArn],
        }),
      ],
    });
  }
}
