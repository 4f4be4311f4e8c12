import { DeleteTableCommand, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { ensureTable } from "../../local/dynamodb/table.js";
import { AwsClient, SERVICES } from "../../shared/adapters/aws/client/aws-client.js";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };

export function dynamodbEndpoint(): string {
  return inject("dynamodbEndpoint");
}

/** The store's client (the lean one the functions use) on the run's DynamoDB Local. */
export function storeClient(endpoint: string = inject("dynamodbEndpoint")): AwsClient {
  return new AwsClient(SERVICES.dynamodb, { endpoint, region: "us-east-1", credentials });
}

export function dynamodbClient(): DynamoDBClient {
  return new DynamoDBClient({ endpoint: inject("dynamodbEndpoint"), region: "us-east-1", credentials });
}

export function streamsClient(): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({ endpoint: inject("dynamodbEndpoint"), region: "us-east-1", credentials });
}

export interface TestTable {
  name: string;
  client: DynamoDBClient;
  store: DynamoDbStore;
  streamArn: string;
  /** Every item in the table (tests assert "nothing was written"). */
  scan(): Promise<Array<Record<string, unknown>>>;
  drop(): Promise<void>;
}

/** A fresh table built from the shared definition, on the run's DynamoDB Local. */
export async function createTestTable(): Promise<TestTable> {
  const client = dynamodbClient();
  const name = `test-${randomUUID()}`;
  const { streamArn } = await ensureTable(client, name);
  return {
    name,
    client,
    streamArn,
    store: new DynamoDbStore({ tableName: name, client: storeClient() }),
    async scan() {
      const items: Array<Record<string, unknown>> = [];
      let start: Record<string, never> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: name, ExclusiveStartKey: start, ConsistentRead: true }),
        );
        items.push(...(page.Items ?? []).map((i) => unmarshall(i)));
        start = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (start);
      return items;
    },
    async drop() {
      await client.send(new DeleteTableCommand({ TableName: name }));
    },
  };
}
