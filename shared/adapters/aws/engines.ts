import { ENV, optionalEnv, requiredEnv } from "../../kernel/config.js";
import { localEngines, once } from "../../domain/plugins/local-engines.js";
import type { Engines } from "../../domain/plugins/runner.js";

/**
 * The annotation engines a deployment runs, by configuration (CDK context `annotationEngines`; the local
 * runtime runs the local ones): per port, the local engine or the AWS service. AWS clients take their
 * region and endpoint from the standard configuration, and are imported on first use.
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

export function enginesFromEnv(): Engines {
  const local = localEngines();
  const profanity = choice("profanity", ENV.profanityEngine);
  const sentiment = choice("sentiment", ENV.sentimentEngine);
  const minutes = choice("minutes", ENV.minutesEngine);
  const modelId = minutes === "bedrock" ? requiredEnv(ENV.bedrockModelId) : "";
  const bedrock = once(async () => new (await import("./bedrock-meeting-engine.js")).BedrockMeetingEngine({ modelId }));
  return {
    profanity:
      profanity === "comprehend"
        ? once(async () => new (await import("./comprehend-toxicity.js")).ComprehendProfanityEngine())
        : local.profanity,
    sentiment:
      sentiment === "comprehend"
        ? once(async () => new (await import("./comprehend-sentiment.js")).ComprehendSentimentEngine())
        : local.sentiment,
    summary: minutes === "bedrock" ? bedrock : local.summary,
    actionItems: minutes === "bedrock" ? bedrock : local.actionItems,
  };
}
