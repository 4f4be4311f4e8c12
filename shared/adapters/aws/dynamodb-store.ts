import { randomUUID } from "node:crypto";
import type {
  CancellationReason,
  GetItemCommandOutput,
  PutItemInput,
  QueryCommandOutput,
  TransactWriteItem,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { ServiceUnavailableError, ValidationError } from "../../kernel/errors.js";
import { fullJitter } from "../../kernel/backoff.js";
import { systemClock } from "../../kernel/clock.js";
import type { ItemKey } from "../../store/keys.js";
import {
  TransactionCancelledError,
  type Condition,
  type Item,
  type Page,
  type QueryOptions,
  type Store,
  type WriteOp,
} from "../../store/store.js";
import { TABLE } from "../../store/table.js";
import { ENV, requiredEnv } from "../../kernel/config.js";
import { AwsClient, isAwsError, SERVICES } from "./client/aws-client.js";

/**
 * The four DynamoDB operations the store makes, as JSON in and out (the wire shapes the AWS SDK's commands
 * also take). The default is the lean AwsClient (./client/aws-client.ts: the functions' cold start does not
 * load the AWS SDK); ./dynamodb-sdk-calls.ts answers them with an SDK DynamoDBClient instead (the benches'
 * metered clients, and the operator script, which needs the SDK's whole credential chain).
 */
export type DynamoDbOperation = "GetItem" | "PutItem" | "Query" | "TransactWriteItems";
export interface DynamoDbCalls {
  call<T = Record<string, unknown>>(operation: DynamoDbOperation, input: object): Promise<T>;
}

const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;
/** Attempts of a single put that meets a transaction in flight on its item (see putRetryingConflicts). */
const PUT_CONFLICT_ATTEMPTS = 4;
const CONTENTION_CODES = new Set(["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"]);

/** Socket-level failures: nothing answered (refused, reset, unreachable, timed out). */
const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
/** Errors the SDK or the service raise when DynamoDB is unavailable for the moment. */
const UNAVAILABLE_ERROR_NAMES = new Set([
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "InternalServerError",
]);

/**
 * True when an error from the DynamoDB client means the store could not be reached or is unavailable
 * (after the SDK's own retries), rather than that the request was wrong.
 */
export function isStoreUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 3) return false;
  const e = error as { code?: unknown; name?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.code === "string" && NETWORK_ERROR_CODES.has(e.code)) return true;
  if (typeof e.name === "string" && UNAVAILABLE_ERROR_NAMES.has(e.name)) return true;
  // Any other 5xx left after the client's retries (DynamoDB's own errors are all 4xx).
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  if (typeof status === "number" && status >= 500) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isStoreUnavailable(inner, depth + 1))) return true;
  return isStoreUnavailable(e.cause, depth + 1);
}

/** An unreachable store becomes a ServiceUnavailableError (503 with Retry-After); anything else as it was. */
function rethrow(error: unknown): never {
  throw isStoreUnavailable(error) ? unavailable(error) : error;
}

function unavailable(error: unknown): ServiceUnavailableError {
  // The client sees a generic detail; the cause (host, port, error code) goes to the log with the error.
  const mapped = new ServiceUnavailableError("The data store cannot be reached right now; retry shortly.");
  mapped.cause = error;
  return mapped;
}

function conditionExpression(condition: Condition | undefined): Partial<TransactWriteItem["Put"] & object> {
  if (!condition) return {};
  switch (condition.kind) {
    case "notExists":
      return {
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": TABLE.partitionKey },
      };
    case "exists":
      return { ConditionExpression: "attribute_exists(#pk)", ExpressionAttributeNames: { "#pk": TABLE.partitionKey } };
    case "equals":
      return {
        ConditionExpression: "#a = :v",
        ExpressionAttributeNames: { "#a": condition.attribute },
        ExpressionAttributeValues: marshall({ ":v": condition.value }),
      };
    case "existsWithout":
      return {
        ConditionExpression: "attribute_exists(#pk) AND attribute_not_exists(#a)",
        ExpressionAttributeNames: { "#pk": TABLE.partitionKey, "#a": condition.attribute },
      };
  }
}

function keyOf(key: ItemKey) {
  return marshall({ [TABLE.partitionKey]: key.PK, [TABLE.sortKey]: key.SK });
}

/**
 * The store's cursor: base64url JSON of the last returned item's key. The HTTP API seals it (authenticated,
 * bound to the listing: shared/app/http/cursor.ts) before a client sees it; here it is still checked to be a
 * key of the queried partition and index, so a malformed cursor is a 400 and never reaches DynamoDB.
 */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

function decodeCursor(cursor: string, keyNames: string[], pk: { name: string; value: string }) {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const valid =
    typeof parsed === "object" &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    Object.keys(parsed).length === keyNames.length &&
    keyNames.every((k) => typeof (parsed as Record<string, unknown>)[k] === "string") &&
    (parsed as Record<string, unknown>)[pk.name] === pk.value;
  if (!valid) {
    throw new ValidationError("The cursor is not valid", [
      { path: "cursor", message: "is not a cursor this API returned" },
    ]);
  }
  return marshall(parsed as Record<string, string>);
}

export interface DynamoDbStoreOptions {
  tableName: string;
  /** Default: the lean client (region, endpoint and credentials from the standard AWS settings). */
  client?: DynamoDbCalls;
  /** DynamoDB deletes expired items lazily (and DynamoDB Local never does): reads hide them. */
  nowSeconds?: () => number;
}

export class DynamoDbStore implements Store {
  readonly client: DynamoDbCalls;
  private readonly tableName: string;
  private readonly nowSeconds: () => number;

  constructor(options: DynamoDbStoreOptions) {
    this.client = options.client ?? new AwsClient(SERVICES.dynamodb);
    this.tableName = options.tableName;
    this.nowSeconds = options.nowSeconds ?? (() => Math.floor(systemClock.now().getTime() / 1000));
  }

  async transact(ops: WriteOp[]): Promise<void> {
    const items: TransactWriteItem[] = ops.map((op) => {
      const condition = conditionExpression(op.condition);
      switch (op.op) {
        case "put":
          return { Put: { TableName: this.tableName, Item: marshall(op.item, MARSHALL), ...condition } };
        case "delete":
          return { Delete: { TableName: this.tableName, Key: keyOf(op.key), ...condition } };
        case "check":
          return {
            ConditionCheck: {
              TableName: this.tableName,
              Key: keyOf(op.key),
              ...condition,
              ConditionExpression: condition.ConditionExpression!,
            },
          };
      }
    });
    try {
      if (items.length === 1 && items[0]!.Put) {
        // A single put needs no transaction; the condition semantics are the same.
        await this.putRetryingConflicts(items[0]!.Put);
        return;
      }
      // The idempotency token the AWS SDK fills in by itself: a retry of this call after a lost answer (the
      // client retries a reset connection) is answered as the first attempt was, instead of failing on the
      // conditions the first attempt already satisfied.
      await this.client.call("TransactWriteItems", { TransactItems: items, ClientRequestToken: randomUUID() });
    } catch (error) {
      if (isAwsError(error, "ConditionalCheckFailedException")) throw new TransactionCancelledError([0], false);
      if (isAwsError(error, "TransactionCanceledException")) {
        const reasons = (error.CancellationReasons as CancellationReason[] | undefined) ?? [];
        const failed = reasons.flatMap((r, i) => (r.Code === "ConditionalCheckFailed" ? [i] : []));
        const contention = reasons.some((r) => r.Code !== undefined && CONTENTION_CODES.has(r.Code));
        throw new TransactionCancelledError(failed, contention);
      }
      throw isStoreUnavailable(error) ? unavailable(error) : error;
    }
  }

  /**
   * DynamoDB refuses a plain write to an item that a transaction in flight is writing
   * (TransactionConflictException) — e.g. an idempotency record being committed with its effect. The
   * transaction finishes within milliseconds, so the put is retried briefly; if it still conflicts it is
   * reported as contention, as a cancelled transaction's would be. (DynamoDB Local serializes instead.)
   */
  private async putRetryingConflicts(put: PutItemInput): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.call("PutItem", put);
        return;
      } catch (error) {
        if (!isAwsError(error, "TransactionConflictException")) throw error;
        if (attempt >= PUT_CONFLICT_ATTEMPTS) throw new TransactionCancelledError([], true);
        await fullJitter(attempt, 20);
      }
    }
  }

  async get(key: ItemKey, options: { consistent?: boolean } = {}): Promise<Item | undefined> {
    const result = await this.client
      .call<GetItemCommandOutput>("GetItem", {
        TableName: this.tableName,
        Key: keyOf(key),
        ConsistentRead: options.consistent ?? true,
      })
      .catch(rethrow);
    if (!result.Item) return undefined;
    const item = unmarshall(result.Item) as Item;
    return this.isExpired(item) ? undefined : item;
  }

  async query(options: QueryOptions): Promise<Page<Item>> {
    const index = options.index ? TABLE.globalSecondaryIndexes.find((i) => i.indexName === options.index) : undefined;
    if (options.index && !index) throw new Error(`unknown index ${options.index}`);
    const pkName = index?.partitionKey ?? TABLE.partitionKey;
    const skName = index?.sortKey ?? TABLE.sortKey;
    const names: Record<string, string> = { "#pk": pkName };
    const values: Record<string, unknown> = { ":pk": options.pk };
    let condition = "#pk = :pk";
    if (options.between) {
      names["#sk"] = skName;
      values[":from"] = options.between.from;
      values[":to"] = options.between.to;
      condition += " AND #sk BETWEEN :from AND :to";
    } else if (options.beginsWith !== undefined) {
      names["#sk"] = skName;
      values[":prefix"] = options.beginsWith;
      condition += " AND begins_with(#sk, :prefix)";
    }
    const filterEntries = Object.entries(options.filter ?? {});
    filterEntries.forEach(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
    });
    const limit = options.limit ?? 100;
    const items: Item[] = [];
    const keyNames = [
      ...new Set([TABLE.partitionKey, TABLE.sortKey, ...(index ? [index.partitionKey, index.sortKey] : [])]),
    ];
    let start =
      options.cursor !== undefined
        ? decodeCursor(options.cursor, keyNames, { name: pkName, value: options.pk })
        : undefined;
    // Read one item past the page: a cursor is returned only when more items exist, so the last page is
    // never followed by an empty one. With a filter DynamoDB may return short pages; keep reading until
    // enough matches or the end. The cursor is the last returned item's key, so nothing is skipped.
    do {
      const result = await this.client
        .call<QueryCommandOutput>("Query", {
          TableName: this.tableName,
          ...(index && { IndexName: index.indexName }),
          KeyConditionExpression: condition,
          ...(filterEntries.length > 0 && {
            FilterExpression: filterEntries.map((_, i) => `#f${i} = :f${i}`).join(" AND "),
          }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: marshall(values),
          Limit: filterEntries.length > 0 ? Math.max(limit + 1, 50) : limit + 1 - items.length,
          ...(start && { ExclusiveStartKey: start }),
          ScanIndexForward: !options.descending,
          // GSIs only support eventually consistent reads.
          ConsistentRead: index ? false : (options.consistent ?? false),
        })
        .catch(rethrow);
      for (const raw of result.Items ?? []) {
        const item = unmarshall(raw) as Item;
        if (this.isExpired(item)) continue;
        items.push(item);
        if (items.length > limit) {
          const last = items[limit - 1]!;
          return {
            items: items.slice(0, limit),
            nextCursor: encodeCursor(Object.fromEntries(keyNames.map((k) => [k, last[k]]))),
          };
        }
      }
      start = result.LastEvaluatedKey;
    } while (start);
    return { items };
  }

  private isExpired(item: Item): boolean {
    const expiresAt = item[TABLE.ttlAttribute];
    return typeof expiresAt === "number" && expiresAt <= this.nowSeconds();
  }
}

/** The table of the deployment (fail-fast at cold start). */
export function storeFromEnv(): DynamoDbStore {
  return new DynamoDbStore({ tableName: requiredEnv(ENV.tableName) });
}
