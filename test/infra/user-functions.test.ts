import { describe, expect, it } from "vitest";
import { loadUserFunctionsModule } from "../../infra/constructs/user-functions.js";
import { synthesize } from "./stack.js";

describe("user functions at synth", () => {
  it("binds each export of the example module to its event", async () => {
    const module = await loadUserFunctionsModule();
    expect(module?.bindings).toEqual([{ exportName: "onGatheringMemberReady", eventType: "gathering.member.ready" }]);
  });

  it("refuses a module whose export names no event, suggesting the nearest name", async () => {
    await expect(loadUserFunctionsModule("test/fixtures/bad-functions.ts")).rejects.toThrow(
      /"onGatheringMemberRedy" is not a handler of any event \(did you mean onGatheringMemberReady\?\)/,
    );
  });

  it("refuses a module path that does not exist", async () => {
    await expect(loadUserFunctionsModule("nowhere/functions.ts")).rejects.toThrow(/not found/);
  });

  it("binds a CommonJS module written as the seeds write it (exports.onX = …), and bundles it into its Lambda", async () => {
    const module = await loadUserFunctionsModule("test/fixtures/seed-functions.js");
    expect(module?.bindings).toEqual([{ exportName: "onGatheringMemberReady", eventType: "gathering.member.ready" }]);
    const { template } = synthesize({ userFunctions: module! });
    const rules = template.findResources("AWS::Events::Rule", {
      Properties: { EventPattern: { "detail-type": ["gathering.member.ready"] } },
    });
    expect(Object.keys(rules)).toHaveLength(1);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: { USER_FUNCTION_EXPORT: "onGatheringMemberReady" } },
    });
  });

  it("refuses a misnamed CommonJS export with the same did-you-mean", async () => {
    await expect(loadUserFunctionsModule("test/fixtures/seed-functions-typo.cjs")).rejects.toThrow(
      /"onGatheringMemberRedy" is not a handler of any event \(did you mean onGatheringMemberReady\?\)/,
    );
  });
});
