import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { asyncRetryAttempts, functionConfig } from "../../local/lambda.js";
import { FUNCTION_ENV, FUNCTIONS, type FunctionEntry } from "../../shared/kernel/config.js";
import { functionsOf, logicalId, synthesize } from "./stack.js";

/**
 * One function catalog (FUNCTIONS, shared/kernel/config.ts) for both runtimes: the deployed template has
 * exactly its timeout, memory and retries for every function, and the local runtime takes them from the
 * same place (it writes no number of its own).
 */
const { stack, template } = synthesize({}, "Catalog", { bundle: false });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);
const deployed = functionsOf(stack);

describe("the function catalog", () => {
  it("covers every entry under functions/, and the stack deploys each of them", () => {
    const entries = readdirSync(new URL("../../functions/", import.meta.url))
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    expect(Object.keys(FUNCTIONS).sort()).toEqual(entries);
    expect(Object.keys(FUNCTION_ENV).sort()).toEqual(entries);
    expect([...new Set(deployed.map(([entry]) => entry))].sort()).toEqual(entries);
  });

  it("every deployed Lambda has the catalog's timeout and memory, and so does its local invocation", () => {
    for (const [entry, construct] of deployed) {
      const props = resources[logicalId(construct)]!.Properties;
      expect({ entry, timeout: props.Timeout, memory: props.MemorySize }).toEqual({
        entry,
        timeout: FUNCTIONS[entry].timeoutSeconds,
        memory: FUNCTIONS[entry].memoryMb,
      });
      expect(functionConfig(entry).timeoutSeconds).toBe(props.Timeout);
    }
  });

  it("asynchronously invoked functions retry a failing handler as the catalog says, here and locally", () => {
    const configs = ofType("AWS::Lambda::EventInvokeConfig");
    for (const [entry, construct] of deployed) {
      const settings = FUNCTIONS[entry] as { asyncInvoke?: { retryAttempts: number; maxEventAgeHours: number } };
      const config = configs.find((c) => c.Properties.FunctionName?.Ref === logicalId(construct));
      if (!settings.asyncInvoke) {
        expect(config, `${entry} has no async invoke settings`).toBeUndefined();
        continue;
      }
      expect(config?.Properties).toMatchObject({
        MaximumRetryAttempts: settings.asyncInvoke.retryAttempts,
        MaximumEventAgeInSeconds: settings.asyncInvoke.maxEventAgeHours * 3600,
      });
      expect(asyncRetryAttempts(entry)).toBe(config?.Properties.MaximumRetryAttempts);
    }
  });

  it("rule targets are delivered with the catalog's EventBridge retries", () => {
    const targets = ofType("AWS::Events::Rule").flatMap((r) => r.Properties.Targets as Array<Record<string, any>>);
    for (const [entry, construct] of deployed) {
      const retries = (FUNCTIONS[entry] as { deliveryRetryAttempts?: number }).deliveryRetryAttempts;
      const own = targets.filter((t) => t.Arn?.["Fn::GetAtt"]?.[0] === logicalId(construct));
      if (retries === undefined) expect(own, `${entry} is no rule target`).toEqual([]);
      else for (const target of own) expect(target.RetryPolicy.MaximumRetryAttempts).toBe(retries);
    }
  });

  it("the local runtime writes no timeout or retry count of its own: it reads the catalog", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const path = join(dir, f);
        return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
      });
    const local = new URL("../../local/", import.meta.url).pathname;
    const literals = files(local).flatMap((path) =>
      readFileSync(path, "utf8")
        .split("\n")
        .map((line, i) => ({ path, line: i + 1, text: line }))
        .filter(({ text }) => /\b(timeoutSeconds|retryAttempts)\s*:\s*\d/.test(text)),
    );
    expect(literals).toEqual([]);
    const entries = Object.keys(FUNCTIONS) as FunctionEntry[];
    for (const entry of entries)
      expect(functionConfig(entry)).toEqual({ functionName: entry, timeoutSeconds: FUNCTIONS[entry].timeoutSeconds });
  });
});
