import { ENV, optionalEnv, requiredEnv } from "../../kernel/config.js";
import { localEngines, once } from "../../domain/plugins/local-engines.js";
import type {
  ActionItemsEngine,
  ProfanityEngine,
  SentimentEngine,
  SummaryEngine,
} from "../../domain/plugins/engines.js";
import type { Engines } from "../../domain/plugins/runner.js";

/**
 * The annotation engines a deployment runs, by configuration (CDK context `annotationEngines`; the local
 * runtime runs the local ones): per port, the local engine or the AWS service. AWS clients take their
 * region and endpoint from the standard configuration, and are made on first use.
 */
export const ENGINE_CHOICES = {
  profanity: ["obscenity", "comprehend"],
  sentiment: ["wink", "comprehend"],
  minutes: ["local", "bedrock"],
} as const;

function choice<K extends keyof typeof ENGINE_CHOICES>(port: K, variable: string): (typeof ENGINE_CHOICES)[K][number] {
  const allowed: readonly string[] = ENGINE_CHOICES[port];
  const value = optionalEnv(variable, allowed[0]!);
  if (!allowed.includes(value)) {
    throw new Error(`environment variable ${variable} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as (typeof ENGINE_CHOICES)[K][number];
}

/**
 * The AWS engines a plugin function may run, made by its entry (functions/plugin-*.ts), which imports the
 * adapters statically. The entry names only the engine its plugin uses: in the ESM bundle every SDK client
 * that any imported module names is loaded at module load, so importing all of them here made each plugin
 * function load both Comprehend and Bedrock (see README, "Cold start").
 */
export interface AwsEngines {
  profanity?: () => ProfanityEngine;
  sentiment?: () => SentimentEngine;
  meeting?: (options: { modelId: string }) => SummaryEngine & ActionItemsEngine;
}

/** A port the function's plugin never calls (the runner calls only its plugin's engine). */
function notInThisFunction(port: string): () => Promise<never> {
  return () => Promise.reject(new Error(`the ${port} engine is not part of this function (see AwsEngines)`));
}

export function enginesFromEnv(aws: AwsEngines): Engines {
  const local = localEngines();
  const profanity = choice("profanity", ENV.profanityEngine);
  const sentiment = choice("sentiment", ENV.sentimentEngine);
  const minutes = choice("minutes", ENV.minutesEngine);
  const modelId = minutes === "bedrock" ? requiredEnv(ENV.bedrockModelId) : "";
  const meeting = aws.meeting;
  const bedrock = meeting ? once(async () => meeting({ modelId })) : notInThisFunction("Bedrock meeting");
  const comprehendProfanity = aws.profanity;
  const comprehendSentiment = aws.sentiment;
  return {
    profanity:
      profanity === "comprehend"
        ? comprehendProfanity
          ? once(async () => comprehendProfanity())
          : notInThisFunction("Comprehend profanity")
        : local.profanity,
    sentiment:
      sentiment === "comprehend"
        ? comprehendSentiment
          ? once(async () => comprehendSentiment())
          : notInThisFunction("Comprehend sentiment")
        : local.sentiment,
    summary: minutes === "bedrock" ? bedrock : local.summary,
    actionItems: minutes === "bedrock" ? bedrock : local.actionItems,
  };
}
