import { mkdirSync, writeFileSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../local/dynamodb/server.js";
import { startRuntime, type RuntimeEndpoints } from "./runtime.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    sharedRuntime: RuntimeEndpoints;
  }
}

/**
 * Once per run: DynamoDB Local (in memory, a free 127.0.0.1 port) for the integration tests, and one local
 * runtime with default settings for the end-to-end tests that need nothing special.
 */
export default async function setup(project: TestProject) {
  const [dynamodb, runtime] = await Promise.all([startDynamoDbLocal(), startRuntime(["--in-memory"])]);
  project.provide("dynamodbEndpoint", dynamodb.endpoint);
  project.provide("sharedRuntime", {
    apiUrl: runtime.apiUrl,
    apiKey: runtime.apiKey,
    botKey: runtime.botKey,
    botCommandQueueUrl: runtime.botCommandQueueUrl,
    dynamodbEndpoint: runtime.dynamodbEndpoint,
    inboxUrl: runtime.inboxUrl,
  });
  return async () => {
    runtime.process.kill("SIGINT");
    await Promise.all([runtime.exited, dynamodb.stop()]);
    // What the shared runtime printed (warnings and errors, with their stacks and request ids): where a 500
    // a test saw is explained. test-results/ is ignored by git.
    mkdirSync("test-results", { recursive: true });
    writeFileSync("test-results/shared-runtime.log", runtime.output());
    // A 5xx is never expected of the API: print each one's log line (with its stack) where CI shows it, so
    // a red run on a clean machine carries its own cause.
    const serverErrors = runtime
      .output()
      .split("\n")
      .filter(
        (line) =>
          line.includes('"message":"request failed"') &&
          /"status":5\d\d/.test(line) &&
          !/"code":"service_unavailable"/.test(line),
      );
    if (serverErrors.length > 0) {
      console.error(
        `\nThe shared runtime answered ${serverErrors.length} server error(s):\n${serverErrors.map((l) => l.slice(0, 4000)).join("\n")}`,
      );
    }
  };
}
