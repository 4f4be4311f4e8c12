/**
 * Creates an API key in a deployed stack's table and prints it once (only its hash is stored).
 *
 *   npx tsx scripts/create-api-key.ts --table <TableName output> --tenant acme [--project proj_123] [--description "game server"] [--bot] [--scopes read,write,admin]
 *
 * Without --project the key is a tenant key (valid for every project of the tenant). With --bot it is a
 * bot key: it may only use the bot API of sessions (for a transcription bot fleet). Uses your AWS
 * credentials and region from the standard AWS configuration — this is the bootstrap of a fresh deployment:
 * the first tenant admin key needs AWS credentials (write access to the table), not a key. With --scopes
 * the key holds only those scopes (read, write, admin, bot); without it, all of them.
 */
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { sdkDynamoDbCalls } from "../shared/adapters/aws/dynamodb-sdk-calls.js";
import { DynamoDbStore } from "../shared/adapters/aws/dynamodb-store.js";
import { generateApiKey, storeApiKey } from "../shared/domain/auth/api-keys.js";
import { parseScopes } from "../shared/domain/auth/scopes.js";

const { values } = parseArgs({
  options: {
    table: { type: "string" },
    tenant: { type: "string" },
    project: { type: "string" },
    description: { type: "string", default: "created with scripts/create-api-key.ts" },
    bot: { type: "boolean", default: false },
    scopes: { type: "string" },
  },
});
if (!values.table || !values.tenant) {
  process.stderr.write(
    "usage: npx tsx scripts/create-api-key.ts --table <TableName> --tenant <tenantId> [--project <projectId>] [--bot] [--scopes read,write,admin,bot]\n",
  );
  process.exit(2);
}
let scopes: ReturnType<typeof parseScopes> | undefined;
try {
  scopes = values.scopes === undefined ? undefined : parseScopes(values.scopes);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}
const secret = generateApiKey();
// The AWS SDK's client here (not the functions' lean one): an operator's shell has profiles, SSO and the
// rest of the SDK's credential chain.
const store = new DynamoDbStore({ tableName: values.table, client: sdkDynamoDbCalls(new DynamoDBClient({})) });
const keyId = await storeApiKey(store, secret, {
  tenantId: values.tenant,
  projectScope: values.project ?? "*",
  description: values.description!,
  createdAt: new Date().toISOString(),
  credential: values.bot ? "bot" : "api",
  ...(scopes && { scopes }),
});
process.stdout.write(`${secret}\n`);
process.stderr.write(
  `created ${values.bot ? "bot key" : "API key"} ${keyId} for tenant ${values.tenant}, ${values.project ? `project ${values.project}` : "every project"}, scopes ${scopes?.join(",") ?? "all"}; store it now, it is not shown again\n`,
);
