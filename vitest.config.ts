import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Type tests (`*.test-d.ts`) are checked by tsc under `npm test`, so a type assertion can fail the run.
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"], tsconfig: "tsconfig.json" },
    // One DynamoDB Local for the whole run; each test file makes its own table.
    globalSetup: ["test/support/global-setup.ts"],
    // Generous bounds, not speed expectations: e2e tests start Java and wait for events on a 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    // The machine has 2 cores; infra tests bundle functions with esbuild and e2e tests start Java.
    maxWorkers: 2,
  },
});
