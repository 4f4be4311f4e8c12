import {
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { DynamoDbCalls, DynamoDbOperation } from "./dynamodb-store.js";

const COMMANDS = {
  GetItem: GetItemCommand,
  PutItem: PutItemCommand,
  Query: QueryCommand,
  TransactWriteItems: TransactWriteItemsCommand,
} as const;

/**
 * The store's calls answered by an AWS SDK DynamoDBClient — for code that wants the SDK's middleware or its
 * credential chain (the benches' metered clients, scripts/create-api-key.ts). The functions use the lean client instead.
 */
export function sdkDynamoDbCalls(client: DynamoDBClient): DynamoDbCalls {
  return {
    async call<T>(operation: DynamoDbOperation, input: object): Promise<T> {
      const Command = COMMANDS[operation] as unknown as new (input: object) => GetItemCommand;
      return (await client.send(new Command(input))) as T;
    },
  };
}
