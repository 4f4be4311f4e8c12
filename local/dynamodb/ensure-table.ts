import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";

/**
 * Creates a table, tolerating one that already exists (another process created it first). `afterCreate`
 * runs only when this call created it.
 */
export async function createTableIfMissing(
  client: DynamoDBClient,
  input: CreateTableCommandInput,
  afterCreate?: () => Promise<void>,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(input));
    await afterCreate?.();
  } catch (error) {
    // It exists already, or another process created it since we looked.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}

/** Creates the table if it does not exist and waits until it is ACTIVE. */
export async function ensureActiveTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  const describe = () => client.send(new DescribeTableCommand({ TableName: input.TableName }));
  try {
    if ((await describe()).Table?.TableStatus === "ACTIVE") return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await createTableIfMissing(client, input);
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await describe()).Table?.TableStatus === "ACTIVE") return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`table ${input.TableName} did not become ACTIVE`);
}
