import { describe, expect, it } from "vitest";
import { loadUserFunctionsModule } from "../../infra/constructs/user-functions.js";

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
});
