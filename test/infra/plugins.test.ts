import { describe, expect, it } from "vitest";
import {
  annotationEnginesFromContext,
  AWS_ENGINES,
  DEFAULT_BEDROCK_MODEL_ID,
  LOCAL_ENGINES,
} from "../../infra/constructs/plugins.js";
import type { CortexStack } from "../../infra/stack.js";
import { PLUGIN_QUEUES, QUEUE_RULES, QUEUES } from "../../shared/events/rules.js";
import { BASE_ENV, ENV, FUNCTION_ENV, FUNCTIONS } from "../../shared/kernel/config.js";
import { logicalId, synthesize, unacknowledgedFindings, type Synthesized } from "./stack.js";

/**
 * The plugins in the stack: a queue per plugin fed by its QUEUE_RULES, a consumer function per queue,
 * and only the permissions its engines need — none for an AI service when it runs the local engines.
 */
type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: Record<string, any> };
type PluginQueue = keyof CortexStack["plugins"]["consumers"];

/** The default (annotationEngines=aws), the local engines, and a model id that is no inference profile. */
const aws = synthesize({}, "Plugins", { bundle: false });
const local = synthesize(
  { annotationEngines: annotationEnginesFromContext((key) => ({ annotationEngines: "local" })[key]) },
  "PluginsLocal",
  { bundle: false },
);
const FOUNDATION_MODEL = "amazon.nova-lite-v1:0";
const foundation = synthesize(
  { annotationEngines: { ...AWS_ENGINES, bedrockModelId: FOUNDATION_MODEL } },
  "PluginsFoundationModel",
  { bundle: false },
);

function view({ stack, template }: Synthesized) {
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const roleOf = (fnId: string) => resources[fnId]!.Properties.Role["Fn::GetAtt"][0] as string;
  const statementsByRole = (): Array<[string, Statement]> =>
    ofType("AWS::IAM::Policy").flatMap(([, p]) =>
      (p.Properties.Roles as Array<{ Ref: string }>).flatMap((role) =>
        (p.Properties.PolicyDocument.Statement as Statement[]).map((s): [string, Statement] => [role.Ref, s]),
      ),
    );
  const statementsOf = (roleId: string) =>
    statementsByRole()
      .filter(([role]) => role === roleId)
      .map(([, s]) => s);
  const consumer = (queue: PluginQueue) => stack.plugins.consumers[queue];
  const fnId = (queue: PluginQueue) => logicalId(consumer(queue).fn);
  return { stack, resources, ofType, roleOf, statementsByRole, statementsOf, consumer, fnId };
}

const actions = (s: Statement) => [s.Action].flat();
const getAtt = (id: string, attribute = "Arn") => ({ "Fn::GetAtt": [id, attribute] });
const PLUGIN_QUEUE_NAMES = Object.values(PLUGIN_QUEUES);
/** The roles holding an action of this service, and each such statement. */
const holdersOf = (v: ReturnType<typeof view>, service: string) =>
  v.statementsByRole().filter(([, s]) => actions(s).some((a) => a.startsWith(`${service}:`)));

describe("plugin queues and consumers", () => {
  const v = view(aws);

  it("deploys each plugin's function from the catalog, with BASE_ENV, its variables and the engines", () => {
    const expected: Record<PluginQueue, Record<string, string>> = {
      pluginProfanity: { [ENV.profanityEngine]: "comprehend" },
      pluginSentiment: { [ENV.sentimentEngine]: "comprehend" },
      pluginSummary: { [ENV.minutesEngine]: "bedrock", [ENV.bedrockModelId]: DEFAULT_BEDROCK_MODEL_ID },
      pluginActionItems: { [ENV.minutesEngine]: "bedrock", [ENV.bedrockModelId]: DEFAULT_BEDROCK_MODEL_ID },
    };
    for (const queue of PLUGIN_QUEUE_NAMES) {
      const entry = QUEUES[queue].entry;
      const fn = v.resources[v.fnId(queue)]!.Properties;
      expect({ queue, timeout: fn.Timeout, memory: fn.MemorySize }).toEqual({
        queue,
        timeout: FUNCTIONS[entry].timeoutSeconds,
        memory: FUNCTIONS[entry].memoryMb,
      });
      const variables = fn.Environment.Variables as Record<string, unknown>;
      expect(Object.keys(variables).sort()).toEqual(
        [...[...BASE_ENV, ...FUNCTION_ENV[entry]].map((name): string => ENV[name]), "NODE_OPTIONS"].sort(),
      );
      expect(variables).toMatchObject({ ...expected[queue], [ENV.pluginRetryScale]: "1" });
    }
  });

  it("feeds each function from its own queue in the queue's batch size, reporting partial batch failures", () => {
    for (const queue of PLUGIN_QUEUE_NAMES) {
      const mappings = v
        .ofType("AWS::Lambda::EventSourceMapping")
        .filter(([, m]) => m.Properties.FunctionName.Ref === v.fnId(queue));
      expect(mappings, queue).toHaveLength(1);
      expect(mappings[0]![1].Properties).toEqual({
        EventSourceArn: getAtt(logicalId(v.consumer(queue).queue)),
        FunctionName: { Ref: v.fnId(queue) },
        BatchSize: QUEUES[queue].batchSize,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
      });
    }
  });

  it("dead-letters a message after the queue's maxReceiveCount receives, and keeps it 14 days", () => {
    for (const queue of PLUGIN_QUEUE_NAMES) {
      const { queue: q, deadLetters } = v.consumer(queue);
      const properties = v.resources[logicalId(q)]!.Properties;
      expect(properties).toMatchObject({
        SqsManagedSseEnabled: true,
        VisibilityTimeout: QUEUES[queue].visibilityTimeoutSeconds,
        RedrivePolicy: {
          deadLetterTargetArn: getAtt(logicalId(deadLetters)),
          maxReceiveCount: QUEUES[queue].maxReceiveCount,
        },
      });
      // A batch is never redelivered while its function may still be working on it.
      expect(properties.VisibilityTimeout).toBeGreaterThanOrEqual(FUNCTIONS[QUEUES[queue].entry].timeoutSeconds);
      expect(v.resources[logicalId(deadLetters)]!.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
    }
  });

  it("refuses plain-text connections to every plugin queue", () => {
    for (const queue of PLUGIN_QUEUE_NAMES) {
      const { queue: q, deadLetters, deliveryFailures } = v.consumer(queue);
      for (const id of [q, deadLetters, deliveryFailures].map(logicalId)) {
        const policies = v
          .ofType("AWS::SQS::QueuePolicy")
          .filter(([, p]) => (p.Properties.Queues as Array<{ Ref: string }>).some((r) => r.Ref === id));
        const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
        expect(statements, id).toContainEqual(
          expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        );
      }
    }
  });
});

describe("queue rules", () => {
  const v = view(aws);
  const queueOfTarget = (target: Record<string, any>) =>
    PLUGIN_QUEUE_NAMES.find(
      (q) => JSON.stringify(target.Arn) === JSON.stringify(getAtt(logicalId(v.consumer(q).queue))),
    );

  it("deploys one rule per QUEUE_RULES entry, each with its pattern, on the stack's bus", () => {
    expect(Object.keys(v.stack.queueRules).sort()).toEqual(QUEUE_RULES.map((r) => r.id).sort());
    for (const rule of QUEUE_RULES) {
      const deployed = v.resources[logicalId(v.stack.queueRules[rule.id]!)]!.Properties;
      expect(deployed.EventPattern, rule.id).toEqual(rule.pattern);
      expect(deployed.EventBusName).toEqual({ Ref: logicalId(v.stack.events.bus) });
      expect(deployed.Description).toBe(rule.description);
    }
  });

  it("sends each plugin rule's event detail (the envelope) to the plugin's queue, with retries and a dead-letter queue", () => {
    const pluginRules = QUEUE_RULES.filter((rule) => rule.queue !== "botCommands");
    expect(new Set(pluginRules.map((rule) => rule.queue))).toEqual(new Set(PLUGIN_QUEUE_NAMES));
    for (const rule of pluginRules) {
      const queue = rule.queue as PluginQueue;
      const { Targets } = v.resources[logicalId(v.stack.queueRules[rule.id]!)]!.Properties;
      expect(Targets, rule.id).toHaveLength(1);
      expect(queueOfTarget(Targets[0])).toBe(queue);
      expect(Targets[0]).toMatchObject({
        InputPath: "$.detail",
        RetryPolicy: { MaximumRetryAttempts: QUEUES[queue].deliveryRetryAttempts, MaximumEventAgeInSeconds: 86_400 },
        DeadLetterConfig: { Arn: getAtt(logicalId(v.consumer(queue).deliveryFailures)) },
      });
      expect(Targets[0].Input).toBeUndefined();
    }
  });

  it("routes utterances to profanity and sentiment, ended sessions to the meeting plugins, actions by plugin id", () => {
    const routed = (detailType: string, detail?: unknown) =>
      QUEUE_RULES.filter(
        (r) =>
          (r.pattern["detail-type"] as string[]).includes(detailType) &&
          JSON.stringify(r.pattern.detail) === JSON.stringify(detail),
      )
        .map((r) => queueOfTarget(v.resources[logicalId(v.stack.queueRules[r.id]!)]!.Properties.Targets[0]))
        .sort();
    expect(routed("message.created", { data: { message: { type: ["user"] } } })).toEqual([
      "pluginProfanity",
      "pluginSentiment",
    ]);
    expect(routed("session.ended")).toEqual(["pluginActionItems", "pluginSentiment", "pluginSummary"]);
    expect(routed("session.action.requested", { data: { action: { pluginId: ["summary"] } } })).toEqual([
      "pluginSummary",
    ]);
    expect(routed("session.action.requested", { data: { action: { pluginId: ["action_items"] } } })).toEqual([
      "pluginActionItems",
    ]);
  });

  it("lets EventBridge send to a plugin queue only for that queue's rules", () => {
    for (const queue of PLUGIN_QUEUE_NAMES) {
      const queueId = logicalId(v.consumer(queue).queue);
      const statements = v
        .ofType("AWS::SQS::QueuePolicy")
        .filter(([, p]) => (p.Properties.Queues as Array<{ Ref: string }>).some((r) => r.Ref === queueId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[])
        .filter((s) => s.Effect === "Allow");
      const ruleIds = QUEUE_RULES.filter((r) => r.queue === queue).map((r) => logicalId(v.stack.queueRules[r.id]!));
      expect(statements.map((s) => s.Condition?.ArnEquals?.["aws:SourceArn"]).sort()).toEqual(
        ruleIds.map((id) => getAtt(id)).sort(),
      );
      for (const s of statements) expect(s).toMatchObject({ Principal: { Service: "events.amazonaws.com" } });
    }
  });
});

describe("plugin permissions", () => {
  const v = view(aws);

  it("lets each plugin consume its own queue only (receive, delete, change visibility, get its URL), never send", () => {
    for (const queue of PLUGIN_QUEUE_NAMES) {
      const sqsStatements = v
        .statementsOf(v.roleOf(v.fnId(queue)))
        .filter((s) => actions(s).some((a) => a.startsWith("sqs:")));
      expect(sqsStatements, queue).toEqual([
        {
          Action: [
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:GetQueueUrl",
            "sqs:ReceiveMessage",
          ],
          Effect: "Allow",
          Resource: getAtt(logicalId(v.consumer(queue).queue)),
        },
      ]);
    }
  });

  it("lets each plugin get, query and put items of the table, and nothing else there (no index, update or delete)", () => {
    for (const queue of PLUGIN_QUEUE_NAMES) {
      const dynamo = v
        .statementsOf(v.roleOf(v.fnId(queue)))
        .filter((s) => actions(s).some((a) => a.startsWith("dynamodb:")));
      expect(dynamo, queue).toEqual([
        {
          Action: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
          Effect: "Allow",
          Resource: getAtt(logicalId(v.stack.data.table)),
        },
      ]);
    }
  });

  it("grants DetectToxicContent to the profanity plugin and BatchDetectSentiment to the sentiment plugin, on '*' only", () => {
    const holders = holdersOf(v, "comprehend");
    expect(holders).toEqual(
      expect.arrayContaining([
        [
          v.roleOf(v.fnId("pluginProfanity")),
          { Action: "comprehend:DetectToxicContent", Effect: "Allow", Resource: "*" },
        ],
        [
          v.roleOf(v.fnId("pluginSentiment")),
          { Action: "comprehend:BatchDetectSentiment", Effect: "Allow", Resource: "*" },
        ],
      ]),
    );
    expect(holders).toHaveLength(2);
  });

  it("grants bedrock:InvokeModel to the summary and action-items plugins on the inference profile, and on its model only through it", () => {
    const holders = holdersOf(v, "bedrock");
    const roles = [v.roleOf(v.fnId("pluginSummary")), v.roleOf(v.fnId("pluginActionItems"))];
    expect(new Set(holders.map(([role]) => role))).toEqual(new Set(roles));
    const profileArn = aws.stack.resolve(
      aws.stack.formatArn({
        service: "bedrock",
        resource: "inference-profile",
        resourceName: DEFAULT_BEDROCK_MODEL_ID,
      }),
    );
    const baseModel = DEFAULT_BEDROCK_MODEL_ID.replace(/^global\./, "");
    for (const role of roles) {
      expect(v.statementsOf(role).filter((s) => actions(s).some((a) => a.startsWith("bedrock:")))).toEqual([
        { Action: "bedrock:InvokeModel", Effect: "Allow", Resource: profileArn },
        {
          Action: "bedrock:InvokeModel",
          Effect: "Allow",
          Resource: {
            "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, `:bedrock:*::foundation-model/${baseModel}`]],
          },
          Condition: { StringEquals: { "bedrock:InferenceProfileArn": profileArn } },
        },
      ]);
    }
  });

  it("scopes a foundation-model id to that model in the stack's Region", () => {
    const f = view(foundation);
    const holders = holdersOf(f, "bedrock");
    expect(holders.map(([role]) => role).sort()).toEqual(
      [f.roleOf(f.fnId("pluginSummary")), f.roleOf(f.fnId("pluginActionItems"))].sort(),
    );
    const modelArn = foundation.stack.resolve(
      foundation.stack.formatArn({
        service: "bedrock",
        account: "",
        resource: "foundation-model",
        resourceName: FOUNDATION_MODEL,
      }),
    );
    for (const [, statement] of holders)
      expect(statement).toEqual({ Action: "bedrock:InvokeModel", Effect: "Allow", Resource: modelArn });
    expect(JSON.stringify(modelArn)).toContain(`::foundation-model/${FOUNDATION_MODEL}`);
    expect(JSON.stringify(modelArn)).toContain('{"Ref":"AWS::Region"}');
  });

  it("with annotationEngines=local runs the local engines and grants no Comprehend or Bedrock action at all", () => {
    const l = view(local);
    expect(holdersOf(l, "comprehend")).toEqual([]);
    expect(holdersOf(l, "bedrock")).toEqual([]);
    const variables = (queue: PluginQueue) => l.resources[l.fnId(queue)]!.Properties.Environment.Variables;
    expect(variables("pluginProfanity")[ENV.profanityEngine]).toBe(LOCAL_ENGINES.profanity);
    expect(variables("pluginSentiment")[ENV.sentimentEngine]).toBe(LOCAL_ENGINES.sentiment);
    expect(variables("pluginSummary")[ENV.minutesEngine]).toBe(LOCAL_ENGINES.minutes);
    expect(variables("pluginActionItems")[ENV.minutesEngine]).toBe(LOCAL_ENGINES.minutes);
    // The queues, consumers and table access stay.
    expect(l.ofType("AWS::Lambda::EventSourceMapping").length).toBe(
      view(aws).ofType("AWS::Lambda::EventSourceMapping").length,
    );
  });

  it("leaves cdk-nag nothing to report with either engine set, or with a foundation-model id", () => {
    expect(unacknowledgedFindings(aws.app)).toEqual([]);
    expect(unacknowledgedFindings(local.app)).toEqual([]);
    expect(unacknowledgedFindings(foundation.app)).toEqual([]);
  });
});

describe("outputs", () => {
  it("exports each plugin queue's URL and its dead-letter queue's name (for npm run redrive -- --aws)", () => {
    const v = view(aws);
    const outputs = aws.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    for (const queue of PLUGIN_QUEUE_NAMES) {
      const id = queue.charAt(0).toUpperCase() + queue.slice(1);
      expect(outputs[`${id}QueueUrl`]?.Value).toEqual({ Ref: logicalId(v.consumer(queue).queue) });
      expect(outputs[`${id}DeadLetterQueueName`]?.Value).toEqual(
        getAtt(logicalId(v.consumer(queue).deadLetters), "QueueName"),
      );
    }
  });
});

describe("engines from CDK context", () => {
  const from = (context: Record<string, string>) => annotationEnginesFromContext((key) => context[key]);

  it("defaults to Amazon Comprehend and Bedrock with the default model", () => {
    expect(from({})).toEqual({ ...AWS_ENGINES, bedrockModelId: DEFAULT_BEDROCK_MODEL_ID });
    expect(AWS_ENGINES).toEqual({ profanity: "comprehend", sentiment: "comprehend", minutes: "bedrock" });
  });

  it("takes the local preset, per-port overrides (aws, local or an engine name) and a model id", () => {
    expect(from({ annotationEngines: "local" })).toEqual({
      ...LOCAL_ENGINES,
      bedrockModelId: DEFAULT_BEDROCK_MODEL_ID,
    });
    expect(from({ annotationEngines: "local", minutesEngine: "aws", bedrockModelId: "eu.anthropic.x-v1:0" })).toEqual({
      profanity: "obscenity",
      sentiment: "wink",
      minutes: "bedrock",
      bedrockModelId: "eu.anthropic.x-v1:0",
    });
    expect(from({ sentimentEngine: "wink", profanityEngine: "local" })).toMatchObject({
      profanity: "obscenity",
      sentiment: "wink",
      minutes: "bedrock",
    });
  });

  it("refuses an unknown preset, engine or an ARN for a model id, so a typo fails the synth", () => {
    expect(() => from({ annotationEngines: "cloud" })).toThrow(/annotationEngines must be "aws" or "local"/);
    expect(() => from({ sentimentEngine: "vader" })).toThrow(
      /sentimentEngine must be aws, local or one of wink, comprehend/,
    );
    expect(() => from({ bedrockModelId: "arn:aws:bedrock:us-east-1::foundation-model/x" })).toThrow(/not an ARN/);
  });
});
