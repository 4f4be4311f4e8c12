import { readFileSync } from "node:fs";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { CfnElement } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { loadUserFunctionsModule } from "../../infra/constructs/user-functions.js";
import { CortexStack, type CortexStackProps } from "../../infra/stack.js";
import { CONSUMERS, QUEUES, SCHEDULE_TARGET } from "../../shared/events/rules.js";
import type { FunctionEntry } from "../../shared/kernel/config.js";

/** The feature flags `cdk synth` runs with, so the tests see the template the CLI produces. */
const CDK_CONTEXT = (
  JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  }
).context;

export interface Synthesized {
  app: App;
  stack: CortexStack;
  template: Template;
}

/**
 * Builds the stack. Bundling every function with esbuild takes seconds: do it once per test file, at
 * module level. `bundle: false` skips bundling (CDK's own switch for that) for a second, cheap variant.
 */
/** The repo's example user functions module, as `cdk synth` loads it by default. */
export const exampleUserFunctions = await loadUserFunctionsModule();

/** Synthesizes the stack as `cdk synth` does, the example user functions included unless props say otherwise. */
export function synthesize(props: CortexStackProps = {}, id = "Cortex", { bundle = true } = {}): Synthesized {
  const app = new App({ context: { ...CDK_CONTEXT, ...(!bundle && { "aws:cdk:bundling-stacks": [] }) } });
  const stack = new CortexStack(app, id, {
    ...(exampleUserFunctions && { userFunctions: exampleUserFunctions }),
    ...props,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation knows a construct by (its default child for L2 constructs). */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  const stack = Stack.of(construct);
  return stack.resolve(stack.getLogicalId(element)) as string;
}

/** cdk-nag 3 runs as a policy-validation plugin; `validateScope` is its direct entry point. */
export function unacknowledgedFindings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: false }).validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.severity ?? "?"} ${v.ruleName} at ${r.constructPath ?? r.resourceLogicalId}`),
  );
}

/** Every function of the stack with its entry under functions/. */
export function functionsOf(stack: CortexStack): Array<[FunctionEntry, IConstruct]> {
  return [
    ["http-api", stack.api.handler],
    ["sse", stack.api.streamHandler],
    ["authorizer", stack.api.authorizerFunction],
    ["docs", stack.docs.handler],
    ["stream-publisher", stack.events.publisher],
    ["message-sequencer", stack.sessions.sequencer],
    ...(Object.keys(CONSUMERS) as Array<keyof typeof CONSUMERS>).map((name): [FunctionEntry, IConstruct] => [
      CONSUMERS[name].entry,
      stack.events.consumers[name],
    ]),
    [SCHEDULE_TARGET.entry, stack.scheduleTarget.handler],
    [QUEUES.webhookDeliveries.entry, stack.webhooks.deliverer],
    ...(Object.keys(stack.plugins.consumers) as Array<keyof typeof stack.plugins.consumers>).map(
      (queue): [FunctionEntry, IConstruct] => [QUEUES[queue].entry, stack.plugins.consumers[queue].fn],
    ),
    ...Object.values(stack.userFunctions?.functions ?? {}).map((fn): [FunctionEntry, IConstruct] => [
      "user-function",
      fn,
    ]),
  ];
}
