import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "../../local/dynamodb/server.js";

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

/** Starts DynamoDB Local once (in memory, on a free 127.0.0.1 port) for every integration test. */
export default async function setup(project: TestProject) {
  const dynamodb = await startDynamoDbLocal();
  project.provide("dynamodbEndpoint", dynamodb.endpoint);
  return () => dynamodb.stop();
}
