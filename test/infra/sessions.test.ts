import { describe, expect, it } from "vitest";
import { QUEUE_RULES, QUEUES } from "../../shared/events/rules.js";
import { ENV } from "../../shared/kernel/config.js";
import { SEQUENCER_STREAM_FILTER_PATTERN } from "../../shared/store/table.js";
import { logicalId, synthesize } from "./stack.js";

/** What sessions add to the stack: the sequencer, the bot command queue and its rule, the debug-audio bucket. */
const { stack, template } = synthesize({}, "Sessions", { bundle: false });
type Resource = { Type: string; Properties: Record<string, any> };
const resources = template.toJSON().Resources as Record<string, Resource>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const getAtt = (id: string, attribute = "Arn") => ({ "Fn::GetAtt": [id, attribute] });
const roleOf = (fnId: string) =>
  (resources[fnId]!.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
const statementsOfRole = (roleId: string) =>
  ofType("AWS::IAM::Policy")
    .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, any>>);
const actionsOf = (s: Record<string, any>) => [s.Action].flat() as string[];

describe("sessions in the stack", () => {
  const bucketId = logicalId(stack.sessions.debugAudio);

  it("keeps debug audio private, TLS-only, encrypted, and for a day; the bucket outlives a stack deletion", () => {
    expect(resources[bucketId]).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
    const bucket = resources[bucketId]!.Properties;
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: "AES256",
    });
    expect(bucket.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ ExpirationInDays: 1, Status: "Enabled" }),
    ]);
    const [, policy] = ofType("AWS::S3::BucketPolicy").find(([, p]) => p.Properties.Bucket.Ref === bucketId)!;
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
    );
  });

  it("lets browsers GET presigned downloads from any origin, nothing else cross-origin, and never empties itself", () => {
    expect(resources[bucketId]!.Properties.CorsConfiguration).toEqual({
      CorsRules: [{ AllowedMethods: ["GET"], AllowedOrigins: ["*"], MaxAge: expect.any(Number) }],
    });
    expect(ofType("Custom::S3AutoDeleteObjects")).toEqual([]);
  });

  it("lets only the API and user functions store, read and delete recordings, and tells them the bucket", () => {
    const holders = ofType("AWS::IAM::Policy")
      .filter(([, p]) =>
        (p.Properties.PolicyDocument.Statement as Array<Record<string, any>>).some((s) =>
          actionsOf(s).some((a) => a.startsWith("s3:")),
        ),
      )
      .flatMap(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).map((r) => r.Ref));
    const expected = [stack.api.handler, ...Object.values(stack.userFunctions?.functions ?? {})].map((fn) =>
      roleOf(logicalId(fn)),
    );
    expect(new Set(holders)).toEqual(new Set(expected));
    const apiStatements = statementsOfRole(roleOf(logicalId(stack.api.handler))).filter((s) =>
      actionsOf(s).some((a) => a.startsWith("s3:")),
    );
    expect(apiStatements.map((s) => actionsOf(s).sort())).toEqual([
      ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
      ["s3:ListBucket"],
    ]);
    const env = resources[logicalId(stack.api.handler)]!.Properties.Environment.Variables;
    expect(env[ENV.debugAudioBucket]).toEqual({ Ref: bucketId });
    expect(env[ENV.s3ForcePathStyle]).toBe("false");
  });

  it("puts bot commands on a queue with a dead-letter queue, the body being the event's detail (the envelope)", () => {
    const queueId = logicalId(stack.sessions.botCommands);
    const queue = resources[queueId]!.Properties;
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: getAtt(logicalId(stack.sessions.botCommandFailures)),
      maxReceiveCount: QUEUES.botCommands.maxReceiveCount,
    });
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.VisibilityTimeout).toBe(QUEUES.botCommands.visibilityTimeoutSeconds);
    expect(queue.MessageRetentionPeriod).toBe(QUEUES.botCommands.retentionSeconds);
    const rules = ofType("AWS::Events::Rule").filter(([, r]) =>
      (r.Properties.Targets as Array<Record<string, any>>).some(
        (t) => JSON.stringify(t.Arn) === JSON.stringify(getAtt(queueId)),
      ),
    );
    const commandRules = QUEUE_RULES.filter((r) => r.queue === "botCommands");
    expect(rules).toHaveLength(commandRules.length);
    const [, rule] = rules[0]!;
    expect(rule.Properties.EventPattern).toEqual(commandRules[0]!.pattern);
    expect(rule.Properties.Targets[0]).toMatchObject({
      InputPath: "$.detail",
      DeadLetterConfig: { Arn: getAtt(logicalId(stack.sessions.botCommandDeliveryFailures)) },
      // The retries the local bus makes too (both read QUEUES); older than the queue's retention is stale.
      RetryPolicy: {
        MaximumRetryAttempts: QUEUES.botCommands.deliveryRetryAttempts,
        MaximumEventAgeInSeconds: QUEUES.botCommands.retentionSeconds,
      },
    });
    expect(rule.Properties.Targets[0].Input).toBeUndefined();
    // Both queues refuse plain-text connections.
    for (const id of [queueId, logicalId(stack.sessions.botCommandFailures)]) {
      const [, tls] = ofType("AWS::SQS::QueuePolicy").find(([, p]) =>
        (p.Properties.Queues as Array<{ Ref: string }>).some((q) => q.Ref === id),
      )!;
      expect(tls.Properties.PolicyDocument.Statement, id).toContainEqual(
        expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
      );
    }
    // EventBridge may send to the queue for this rule only (its queue policy); the bot fleet policy consumes it.
    const [, queuePolicy] = ofType("AWS::SQS::QueuePolicy").find(([, p]) =>
      (p.Properties.Queues as Array<{ Ref: string }>).some((q) => q.Ref === queueId),
    )!;
    expect(queuePolicy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(["sqs:SendMessage"]),
        Principal: { Service: "events.amazonaws.com" },
        Condition: { ArnEquals: { "aws:SourceArn": getAtt(rules[0]![0]) } },
      }),
    );
    const fleet = resources[logicalId(stack.sessions.botFleetPolicy)]!.Properties.PolicyDocument.Statement;
    expect(fleet).toEqual([
      expect.objectContaining({
        Action: ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
        Resource: getAtt(queueId),
      }),
    ]);
  });

  it("feeds the sequencer from the table's stream, filtered to inserted messages, one batch per shard", () => {
    const sequencerId = logicalId(stack.sessions.sequencer);
    // DynamoDB Streams serves two readers per shard without throttling: the publisher and the sequencer.
    const streamReaders = ofType("AWS::Lambda::EventSourceMapping").filter(
      ([, m]) =>
        JSON.stringify(m.Properties.EventSourceArn) ===
        JSON.stringify(getAtt(logicalId(stack.data.table), "StreamArn")),
    );
    expect(streamReaders).toHaveLength(2);
    const [, mapping] = ofType("AWS::Lambda::EventSourceMapping").find(
      ([, m]) => m.Properties.FunctionName.Ref === sequencerId,
    )!;
    expect(mapping.Properties).toMatchObject({
      ParallelizationFactor: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BisectBatchOnFunctionError: true,
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(SEQUENCER_STREAM_FILTER_PATTERN) }] },
      DestinationConfig: { OnFailure: { Destination: getAtt(logicalId(stack.sessions.sequencerFailures)) } },
    });
  });

  it("exports the bot command queue, the bot fleet's policy and the bucket", () => {
    const outputs = Object.keys(template.toJSON().Outputs as Record<string, unknown>);
    expect(outputs).toEqual(
      expect.arrayContaining([
        "BotCommandQueueUrl",
        "BotCommandQueueArn",
        "BotFleetConsumerPolicyArn",
        "DebugAudioBucketName",
      ]),
    );
  });
});
