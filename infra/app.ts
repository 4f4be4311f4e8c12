import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { annotationEnginesFromContext } from "./constructs/plugins.js";
import { loadUserFunctionsModule } from "./constructs/user-functions.js";
import { CortexStack } from "./stack.js";

/**
 * `cdk synth|deploy` entry. No lookups and no credentials needed: the stack is environment-agnostic
 * unless the CLI resolved an account and region.
 *
 * Context: `-c deletionProtection=false` for throwaway deployments; `-c stackName=…` for a second copy;
 * `-c mailFrom='Name <address>'` (required for email: an SES-verified address or domain), optionally
 * `-c mailIdentity=<address>` (when only the address is verified) and `-c publicBaseUrl=https://…` (a
 * custom domain for the links in email). Plugins: `-c annotationEngines=aws|local` (default aws: Amazon
 * Comprehend and Amazon Bedrock; local: the engines `npm start` runs, no AI service), per port
 * `-c profanityEngine=…`, `-c sentimentEngine=…`, `-c minutesEngine=…`, and `-c bedrockModelId=…`
 * (infra/constructs/plugins.ts: the default model and the cost of each choice). `-c liveHost=fargate` serves
 * SSE from the live host on ECS Fargate (infra/constructs/live.ts) instead of one Lambda per connection.
 */
const app = new App();

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const deletionProtection = app.node.tryGetContext("deletionProtection") as string | boolean | undefined;
const context = (key: string) => (app.node.tryGetContext(key) as string | undefined) || undefined;
const mailFrom = context("mailFrom");
const mailIdentity = context("mailIdentity");
const publicBaseUrl = context("publicBaseUrl");
// `-c corsAllowedOrigins=https://game.example,https://admin.example` (or `*`): browser pages allowed by CORS.
const corsAllowedOrigins = context("corsAllowedOrigins")
  ?.split(",")
  .map((origin) => origin.trim());
// `-c userFunctions=path/to/module.ts`; by default user-functions/index.ts when it exists.
const userFunctions = await loadUserFunctionsModule(context("userFunctions"));

new CortexStack(app, (app.node.tryGetContext("stackName") as string | undefined) ?? "Cortex", {
  description: "Gatherings & sessions backend (API, single table, events, scheduling, mail)",
  ...(account && region && { env: { account, region } }),
  deletionProtection: deletionProtection === undefined ? true : String(deletionProtection) !== "false",
  ...(mailFrom && { mailFrom }),
  ...(mailIdentity && { mailIdentity }),
  ...(publicBaseUrl && { publicBaseUrl }),
  ...(corsAllowedOrigins && { corsAllowedOrigins }),
  ...(userFunctions && { userFunctions }),
  annotationEngines: annotationEnginesFromContext(context),
  ...(context("liveHost") === "fargate" && { liveHost: "fargate" as const }),
});

// cdk-nag 3 is a policy-validation plugin: unacknowledged findings fail the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
