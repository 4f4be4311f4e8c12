import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { QUEUES } from "../../shared/events/rules.js";
import { SEQUENCER_STREAM_FILTER_PATTERN } from "../../shared/store/table.js";
import type { Data } from "./data.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import { createNodeFunction, type BaseEnvironment } from "./node-function.js";
import type { QueueRuleTarget } from "./queue-rules.js";
import { acknowledgeWildcardResource } from "../nag.js";

export interface SessionsProps {
  data: Data;
  environment: BaseEnvironment;
}

/**
 * What sessions add to the stack: the message sequencer (a second, filtered consumer of the table's
 * stream), the bot command queue a bot fleet consumes (fed by the `QUEUE_RULES` entries that target it,
 * see routeQueueRules), and the debug-audio bucket.
 */
export class Sessions extends Construct {
  readonly sequencer: NodejsFunction;
  readonly sequencerFailures: sqs.Queue;
  readonly botCommands: sqs.Queue;
  readonly botCommandFailures: sqs.Queue;
  /** Commands EventBridge could not deliver to the queue. */
  readonly botCommandDeliveryFailures: sqs.Queue;
  readonly debugAudio: s3.Bucket;
  /** Attach to a bot fleet's role: receive, delete and extend the visibility of bot commands, nothing else. */
  readonly botFleetPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: SessionsProps) {
    super(scope, id);

    // ── The message sequencer ──────────────────────────────────────────────────────────────────────────
    this.sequencerFailures = deadLetterQueue(this, "SequencerFailures", "message batches the sequencer gave up on");
    this.sequencer = createNodeFunction(this, "Sequencer", {
      entry: "message-sequencer",
      description: "Gives inserted messages their place in the session's event log (message.created)",
      environment: props.environment,
    });
    props.data.grantReadWrite(this.sequencer);
    // One batch per shard at a time: a session's messages are sequenced by one writer.
    props.data.addStreamConsumer(this.sequencer, SEQUENCER_STREAM_FILTER_PATTERN, this.sequencerFailures);

    // ── The bot command queue ──────────────────────────────────────────────────────────────────────────
    const definition = QUEUES.botCommands;
    this.botCommandFailures = new sqs.Queue(this, "BotCommandFailures", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.botCommands = new sqs.Queue(this, "BotCommands", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(definition.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(definition.retentionSeconds),
      deadLetterQueue: { queue: this.botCommandFailures, maxReceiveCount: definition.maxReceiveCount },
    });
    this.botCommandDeliveryFailures = deadLetterQueue(
      this,
      "BotCommandDeliveryFailures",
      "bot commands EventBridge could not put on the bot command queue",
    );
    this.botFleetPolicy = new iam.ManagedPolicy(this, "BotFleetConsumerPolicy", {
      description: "For a transcription bot fleet: consume the bot command queue",
      statements: [
        new iam.PolicyStatement({
          actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
          resources: [this.botCommands.queueArn],
        }),
      ],
    });

    // ── Debug audio ────────────────────────────────────────────────────────────────────────────────────
    this.debugAudio = new s3.Bucket(this, "DebugAudio", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // 24 h of retention is promised (the API answers 410 after it); S3 expires objects within a day after.
      lifecycleRules: [{ id: "expire-debug-audio", enabled: true, expiration: Duration.days(1) }],
      // Browsers download through presigned URLs from any app origin.
      cors: [{ allowedMethods: [s3.HttpMethods.GET], allowedOrigins: ["*"], maxAge: 3600 }],
      // Kept if the stack is deleted (a bucket with objects cannot be deleted, and emptying it would need a
      // custom-resource function): the lifecycle rule empties it within about two days; then remove it.
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });
    Validations.of(this.debugAudio).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "Short-lived debug recordings (expire after a day); every read is a presigned URL the API issued to an " +
        "authenticated key, and the API logs each request. Server access logs would outlive the data they describe.",
    });
  }

  /**
   * Where `QUEUE_RULES` put bot commands: the queue, with the message body the event's `detail` — the
   * envelope, with the command in `data.command` — as documented (see routeQueueRules).
   */
  get commandRuleTarget(): QueueRuleTarget {
    return { scope: this, queue: this.botCommands, deliveryFailures: this.botCommandDeliveryFailures };
  }

  /** Store, read and delete a session's recordings (deleting lists the session's prefix). */
  grantDebugAudio(fn: lambda.IFunction): void {
    if (!fn.role) throw new Error("grantDebugAudio needs a function with an execution role");
    const objects = this.debugAudio.arnForObjects("*");
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], resources: [objects] }),
    );
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.debugAudio.bucketArn] }),
    );
    acknowledgeWildcardResource(
      fn.role,
      objects,
      "Recordings are keyed by tenant, project, session and message at run time; the wildcard is confined to " +
        "the debug-audio bucket.",
    );
  }
}
