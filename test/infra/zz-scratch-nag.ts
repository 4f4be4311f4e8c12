import { App } from "aws-cdk-lib";
import { AwsSolutionsChecks, NagPack } from "cdk-nag";
import { readFileSync } from "node:fs";
import { CortexStack } from "../../infra/stack.js";
const ctx = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")).context;
(NagPack.prototype as any).isAcknowledged = () => false;
const app = new App({ context: { ...ctx, "aws:cdk:bundling-stacks": [] } });
const stack = new CortexStack(app, "Cortex", {});
const report = new AwsSolutionsChecks(undefined, { verbose: false }).validateScope(stack);
const lines = report.violations.flatMap((v) =>
  v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? r.resourceLogicalId}`),
);
console.log(lines.sort().join("\n"));
