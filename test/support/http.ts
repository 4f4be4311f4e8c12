import { DynamoDBClient, QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { EventEnvelope } from "../../shared/kernel/envelope.js";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { storeClient } from "./dynamodb.js";
import { generateApiKey, storeApiKey } from "../../shared/domain/auth/api-keys.js";
import { aggregatePk, eventRangeAfter } from "../../shared/store/keys.js";
import type { RuntimeEndpoints } from "./runtime.js";
import type { Credential } from "../../shared/kernel/tenancy.js";

/** The tenant of the local runtime's dev key (`local/runtime.ts`). */
export const DEV_TENANT_ID = "local";

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A thin client over real sockets, bound to one project of a running local runtime. */
export class ApiClient {
  constructor(
    readonly rt: RuntimeEndpoints,
    readonly projectId: string,
    /** Another key than the runtime's dev key (e.g. a bot key). */
    readonly apiKey: string = rt.apiKey,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult<T>> {
    const url = path.startsWith("/v1/") ? path : `/v1/projects/${this.projectId}${path}`;
    const response = await fetch(this.rt.apiUrl + url, {
      method,
      headers: {
        Authorization: `Bearer ${this.apiKey}`,
        ...(body !== undefined && { "Content-Type": "application/json" }),
        ...headers,
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  }

  get = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>("GET", path, undefined, headers);
  post = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
    this.request<T>("POST", path, body, headers);
  patch = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) =>
    this.request<T>("PATCH", path, body, headers);
  delete = <T = any>(path: string, headers?: Record<string, string>) =>
    this.request<T>("DELETE", path, undefined, headers);

  /** A request that must succeed: its body, or an error naming the method, path, status and body. */
  async ok<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const result = await this.request<T>(method, path, body);
    if (result.status >= 300) throw new Error(`${method} ${path}: ${result.status} ${JSON.stringify(result.body)}`);
    return result.body;
  }

  /** Creates a gathering and returns its body (throws unless 201). */
  async create(body: Record<string, unknown>) {
    const result = await this.post("/gatherings", body);
    if (result.status !== 201) throw new Error(`create failed: ${result.status} ${JSON.stringify(result.body)}`);
    return result.body;
  }
}

function dynamo(rt: RuntimeEndpoints) {
  return new DynamoDBClient({
    endpoint: rt.dynamodbEndpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/** Mints an API key in the runtime's table, as `scripts/create-api-key.ts` does; `project` omitted = a tenant key. */
export async function mintApiKey(
  rt: RuntimeEndpoints,
  tenantId: string,
  project?: string,
  credential: Credential = "api",
): Promise<string> {
  const secret = generateApiKey();
  await storeApiKey(new DynamoDbStore({ tableName: "cortex", client: storeClient(rt.dynamodbEndpoint) }), secret, {
    tenantId,
    projectScope: project ?? "*",
    description: "test key",
    createdAt: new Date().toISOString(),
    credential,
  });
  return secret;
}

/**
 * Every item that belongs to a project (its partitions and its join-code markers), minus the activity
 * log (written asynchronously by a consumer) — what "a failed request changes nothing" compares.
 */
export async function projectItems(
  rt: RuntimeEndpoints,
  projectId: string,
  tenantId = DEV_TENANT_ID,
): Promise<Array<Record<string, unknown>>> {
  const client = dynamo(rt);
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, never> | undefined;
  do {
    // Filtered in DynamoDB: the shared runtime's table holds every other test's data, and comparing a
    // project's items twice per request must not move (and unmarshal) all of it each time.
    const page = await client.send(
      new ScanCommand({
        TableName: "cortex",
        ConsistentRead: true,
        ExclusiveStartKey: start,
        FilterExpression: "begins_with(PK, :owned) OR (tenantId = :tenant AND projectId = :project)",
        ExpressionAttributeValues: {
          ":owned": { S: `T#${tenantId}#P#${projectId}#` },
          ":tenant": { S: tenantId },
          ":project": { S: projectId },
        },
      }),
    );
    items.push(...(page.Items ?? []).map((i) => unmarshall(i)));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  const owned = (i: Record<string, unknown>) => String(i.PK).startsWith(`T#${tenantId}#P#${projectId}#`);
  // Deployment-wide markers (join codes) name the tenant and project they belong to.
  const marker = (i: Record<string, unknown>) =>
    !String(i.PK).startsWith("T#") && i.tenantId === tenantId && i.projectId === projectId;
  return items
    .filter((i) => owned(i) || marker(i))
    .filter((i) => !String(i.PK).endsWith("#ACTIVITY"))
    .sort((a, b) => `${a.PK}|${a.SK}`.localeCompare(`${b.PK}|${b.SK}`));
}

/** A gathering's event log as committed (the outbox), in version order. */
export async function committedEvents(
  rt: RuntimeEndpoints,
  projectId: string,
  aggregateId: string,
): Promise<EventEnvelope[]> {
  const type = aggregateId.startsWith("sess_") ? "session" : "gathering";
  const client = dynamo(rt);
  const events: EventEnvelope[] = [];
  let start: Record<string, never> | undefined;
  const range = eventRangeAfter(0);
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: "cortex",
        KeyConditionExpression: "PK = :pk AND SK BETWEEN :a AND :b",
        ExpressionAttributeValues: {
          ":pk": { S: aggregatePk(type, { tenantId: DEV_TENANT_ID, projectId }, aggregateId) },
          ":a": { S: range.from },
          ":b": { S: range.to },
        },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    events.push(...(page.Items ?? []).map((i) => unmarshall(i).event as EventEnvelope));
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return events;
}

let counter = 0;
/** A project id of its own for each test, so tests never see each other's data. */
export function uniqueProject(prefix = "proj"): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}
