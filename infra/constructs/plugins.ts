import { Stack, Validations } from "aws-cdk-lib";
import { DEFAULT_BEDROCK_MODEL_ID } from "../../shared/kernel/config.js";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { ENGINE_CHOICES } from "../../shared/adapters/aws/engines.js";
import type { PluginId } from "../../shared/domain/plugins/model.js";
import { QUEUES, type PLUGIN_QUEUES } from "../../shared/events/rules.js";
import { acknowledgeWildcardResource } from "../nag.js";
import type { Data } from "./data.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import type { BaseEnvironment, ExtraEnvironment } from "./node-function.js";
import { createQueueConsumer, type QueueConsumer } from "./queue-consumer.js";
import type { QueueRuleTarget } from "./queue-rules.js";

type Port = keyof typeof ENGINE_CHOICES;
type EngineOf<P extends Port> = (typeof ENGINE_CHOICES)[P][number];

/** Which engine each annotation port runs (shared/adapters/aws/engines.ts reads them from the environment). */
export interface AnnotationEngines {
  profanity: EngineOf<"profanity">;
  sentiment: EngineOf<"sentiment">;
  minutes: EngineOf<"minutes">;
  /**
   * The Converse model of the summary and action items (with `minutes: "bedrock"`): a model id, or a
   * cross-Region inference-profile id (`global.`, `us.`, `eu.`, `apac.`, … before the model id).
   */
  bedrockModelId: string;
}

/** The default Bedrock model (shared/kernel/config.ts says why this one). */
export { DEFAULT_BEDROCK_MODEL_ID };

/**
 * `annotationEngines=aws` (the default): Amazon Comprehend for profanity and sentiment, Amazon Bedrock for
 * the minutes. `annotationEngines=local`: the engines `npm start` runs (obscenity, wink-nlp, extractive
 * summary, rule-based action items), no AWS AI service, no permission for one.
 *
 * Cost at 100× today's load — 100 meetings at once, each the bench's meeting-hour (5 speakers, 1,800
 * utterances of ~80 characters; bench/PERFORMANCE.md) — per meeting-hour, us-east-1 list prices, free
 * tiers ignored. Prices as published pricing summaries give them (not checked against AWS's price list
 * here): Comprehend $0.0001 per 100-character unit with a 3-unit minimum per document (toxicity detection
 * assumed billed the same, per segment); Claude Haiku 4.5 $1 / $5 per million input / output tokens on
 * the global profile; SQS $0.40 per million requests; Lambda and DynamoDB as bench/suites/cost.ts.
 * Assumed: one toxicity segment per utterance, ~55 tokens per transcript line (id, time, speaker, text),
 * ~1,000 output tokens per minutes call, the durations below.
 *
 *   Comprehend toxicity   1,800 segments × 3 units × $0.0001                        $0.54
 *   Comprehend sentiment  1,800 documents × 3 units × $0.0001                       $0.54
 *   Bedrock               2 calls (summary, action items) × (~100k in × $1/M        $0.21
 *                           + ~1k out × $5/M)
 *   SQS                   ~3,600 messages × 3 requests (send, receive, delete;      $0.004
 *                           batches of ~1 at 0.5 utterance/s) × $0.40/M
 *   Lambda (arm64)        ~3,600 invocations × ($0.20/M + ~0.15 s at 0.5–1 GB)      $0.007
 *                           + 2 × ~20 s at 1 GB
 *   DynamoDB              ~3,600 annotation puts (1 WRU) + ~3,600 reads             $0.003
 *                         ─────────────────────────────────────────────────────────────────
 *                         ≈ $1.30 per meeting-hour, ~10× the meeting without plugins ($0.134),
 *                         so ≈ $130 an hour at 100 meetings at once
 *
 * Comprehend is 83 % of it, and 2/3 of that is the 3-unit minimum on 80-character lines. Locally-run
 * engines (`annotationEngines=local`) cost only the Lambda time (~$0.01). Not included: EventBridge
 * (rule deliveries to SQS are free; the events are already published), each queue's idle long polling
 * (roughly $0.25 a month per queue, assumed), CloudWatch Logs (~$0.002). At 100 meetings the profanity plugin makes
 * ~50 DetectToxicContent requests/s and the sentiment plugin up to as many BatchDetectSentiment
 * requests: check both against the account's Comprehend quotas before relying on them. A meeting much
 * longer than two hours approaches the model's 200k-token context.
 */
export const AWS_ENGINES: Omit<AnnotationEngines, "bedrockModelId"> = {
  profanity: "comprehend",
  sentiment: "comprehend",
  minutes: "bedrock",
};
export const LOCAL_ENGINES: Omit<AnnotationEngines, "bedrockModelId"> = {
  profanity: "obscenity",
  sentiment: "wink",
  minutes: "local",
};

/**
 * The engines from CDK context: `annotationEngines` = `aws` (default) | `local`; per port
 * `profanityEngine`, `sentimentEngine`, `minutesEngine` = `aws` | `local` | an engine name of
 * ENGINE_CHOICES (e.g. `-c annotationEngines=aws -c sentimentEngine=local`); `bedrockModelId`. An unknown
 * value fails the synth.
 */
export function annotationEnginesFromContext(context: (key: string) => string | undefined): AnnotationEngines {
  const preset = context("annotationEngines") ?? "aws";
  if (preset !== "aws" && preset !== "local")
    throw new Error(`context annotationEngines must be "aws" or "local", got "${preset}"`);
  const base = preset === "aws" ? AWS_ENGINES : LOCAL_ENGINES;
  const port = <P extends Port>(name: P): EngineOf<P> => {
    const value = context(`${name}Engine`);
    if (value === undefined) return base[name] as EngineOf<P>;
    const choices: readonly string[] = ENGINE_CHOICES[name];
    if (value === "aws" || value === "local")
      return (value === "aws" ? AWS_ENGINES : LOCAL_ENGINES)[name] as EngineOf<P>;
    if (!choices.includes(value))
      throw new Error(`context ${name}Engine must be aws, local or one of ${choices.join(", ")}, got "${value}"`);
    return value as EngineOf<P>;
  };
  const bedrockModelId = context("bedrockModelId") ?? DEFAULT_BEDROCK_MODEL_ID;
  if (bedrockModelId.startsWith("arn:"))
    throw new Error("context bedrockModelId takes a model or inference-profile id, not an ARN");
  return { profanity: port("profanity"), sentiment: port("sentiment"), minutes: port("minutes"), bedrockModelId };
}

/** A cross-Region inference-profile id: a geography (or `global`) before the model id. */
const INFERENCE_PROFILE_ID = /^(global|us|us-gov|eu|apac|jp|au|ca)\.(.+)$/;

/** The `QUEUES` entries of the plugins, and the entry each runs. */
type PluginQueue = (typeof PLUGIN_QUEUES)[PluginId];
type EntryOf<Q extends PluginQueue> = (typeof QUEUES)[Q]["entry"];

/** What a plugin adds to its queue consumer: where EventBridge's failed sends land. */
export interface PluginConsumer extends QueueConsumer {
  deliveryFailures: sqs.Queue;
}

export interface PluginsProps {
  data: Data;
  environment: BaseEnvironment;
  engines: AnnotationEngines;
}

/**
 * The plugins (DESIGN.md §6): per plugin its queue, fed by the `QUEUE_RULES` that target it, and its
 * consumer (createQueueConsumer), which may read a session's items and write annotations, and call its
 * AWS engine when it runs one — nothing when it runs the local engine.
 */
export class Plugins extends Construct {
  readonly consumers: Readonly<Record<PluginQueue, PluginConsumer>>;
  readonly engines: AnnotationEngines;

  constructor(scope: Construct, id: string, props: PluginsProps) {
    super(scope, id);
    this.engines = props.engines;
    const { engines } = props;
    // Failed records come back after PLUGIN_RETRY_DELAYS_SECONDS unscaled (the local runtime shrinks them).
    const retry = { pluginRetryScale: "1" };
    this.consumers = {
      pluginProfanity: this.add(props, "pluginProfanity", "Profanity", "Flags profane utterances", {
        profanityEngine: engines.profanity,
        ...retry,
      }),
      pluginSentiment: this.add(props, "pluginSentiment", "Sentiment", "Scores utterances; rolls up a meeting", {
        sentimentEngine: engines.sentiment,
        ...retry,
      }),
      // The model id is set even with the local engine, which ignores it (the variable is one of theirs).
      pluginSummary: this.add(props, "pluginSummary", "Summary", "Summarizes ended meetings", {
        minutesEngine: engines.minutes,
        bedrockModelId: engines.bedrockModelId,
        ...retry,
      }),
      pluginActionItems: this.add(props, "pluginActionItems", "ActionItems", "Lists a meeting's action items", {
        minutesEngine: engines.minutes,
        bedrockModelId: engines.bedrockModelId,
        ...retry,
      }),
    };

    const { pluginProfanity, pluginSentiment, pluginSummary, pluginActionItems } = this.consumers;
    if (engines.profanity === "comprehend")
      this.allowComprehend("Profanity", pluginProfanity.fn, "comprehend:DetectToxicContent");
    if (engines.sentiment === "comprehend")
      this.allowComprehend("Sentiment", pluginSentiment.fn, "comprehend:BatchDetectSentiment");
    if (engines.minutes === "bedrock") {
      for (const fn of [pluginSummary.fn, pluginActionItems.fn]) this.allowInvokeModel(fn, engines.bedrockModelId);
    }
  }

  /** Where `QUEUE_RULES` put each plugin's events. */
  get ruleTargets(): { readonly [K in PluginQueue]: QueueRuleTarget } {
    const target = ({ queue, deliveryFailures }: PluginConsumer) => ({ scope: this, queue, deliveryFailures });
    return {
      pluginProfanity: target(this.consumers.pluginProfanity),
      pluginSentiment: target(this.consumers.pluginSentiment),
      pluginSummary: target(this.consumers.pluginSummary),
      pluginActionItems: target(this.consumers.pluginActionItems),
    };
  }

  private add<Q extends PluginQueue>(
    props: PluginsProps,
    queue: Q,
    id: string,
    description: string,
    environment: NoInfer<ExtraEnvironment<EntryOf<Q>>>,
  ): PluginConsumer {
    const consumer = createQueueConsumer<Q>(this, {
      queue,
      ids: { queue: `${id}Queue`, deadLetters: `${id}Failures`, function: id },
      description: `${description} (${QUEUES[queue].description})`,
      environment: () => ({ ...props.environment, ...environment }),
    });
    // A plugin gets its settings, the session and its messages, and inserts annotations (a conditional put).
    props.data.grantItemActions(consumer.fn, ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"]);
    const deliveryFailures = deadLetterQueue(
      this,
      `${id}DeliveryFailures`,
      `events EventBridge could not put on the ${QUEUES[queue].name} queue`,
    );
    return { ...consumer, deliveryFailures };
  }

  /**
   * One Comprehend detect action on '*', in a policy of its own so that its cdk-nag finding is acknowledged
   * on it alone: Comprehend's detect operations have no resource type to scope them to.
   */
  private allowComprehend(id: string, fn: lambda.IFunction, action: string): void {
    if (!fn.role) throw new Error("a plugin function has an execution role");
    const policy = new iam.Policy(this, `${id}Comprehend`, {
      roles: [fn.role],
      statements: [new iam.PolicyStatement({ actions: [action], resources: ["*"] })],
    });
    Validations.of(policy).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        `${action} supports no resource-level permissions (the Service Authorization Reference lists no resource ` +
        "type for it), so '*' is required; this policy holds that one action, on one plugin's role.",
    });
    // The function waits for its permission, so its first batch is not refused.
    fn.node.addDependency(policy);
  }

  /**
   * `bedrock:InvokeModel` (which the Converse API is authorized by) on exactly the configured model. A
   * foundation-model id: that model in the stack's Region. An inference-profile id: the profile, and its
   * foundation model in any Region but only through that profile (`bedrock:InferenceProfileArn`). The
   * Regions a profile routes to depend on the Region it is called from and grow over time (a `global.`
   * profile: every commercial Region, addressed as `arn:…:bedrock:::foundation-model/…`), so they are a
   * wildcard fenced by the condition rather than a list that would break on AWS's next change.
   */
  private allowInvokeModel(fn: lambda.IFunction, modelId: string): void {
    if (!fn.role) throw new Error("a plugin function has an execution role");
    const stack = Stack.of(this);
    const foundationModel = (id: string, region?: string) =>
      stack.formatArn({
        service: "bedrock",
        ...(region !== undefined && { region }),
        account: "",
        resource: "foundation-model",
        resourceName: id,
      });
    const profile = INFERENCE_PROFILE_ID.exec(modelId);
    if (!profile) {
      fn.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: [foundationModel(modelId)] }),
      );
      return;
    }
    const profileArn = stack.formatArn({ service: "bedrock", resource: "inference-profile", resourceName: modelId });
    const anyRegion = foundationModel(profile[2]!, "*");
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["bedrock:InvokeModel"], resources: [profileArn] }),
    );
    fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["bedrock:InvokeModel"],
        resources: [anyRegion],
        conditions: { StringEquals: { "bedrock:InferenceProfileArn": profileArn } },
      }),
    );
    acknowledgeWildcardResource(
      fn.role,
      anyRegion,
      `The Region of ${profile[2]} is a wildcard because the inference profile ${modelId} routes to Regions AWS ` +
        "chooses (by source Region, growing over time); the statement is fenced by bedrock:InferenceProfileArn, so " +
        "the model is reachable only through that one profile.",
    );
  }
}
