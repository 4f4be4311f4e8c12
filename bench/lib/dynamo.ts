import { DynamoDBClient, type AttributeValue, type ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import { TABLE } from "../../shared/store/table.js";

/**
 * DynamoDB access for the bench: a client on the runtime's DynamoDB Local, and a meter — an SDK
 * middleware that counts every command, asks for `ReturnConsumedCapacity: "TOTAL"`, and prices each call
 * by DynamoDB's published capacity rules from the item sizes it sees.
 *
 * Why both figures: DynamoDB Local reports ConsumedCapacity for GetItem, PutItem and Query by the rules,
 * but its figures for TransactWriteItems do not follow them (1 tiny item → 4 units, 3 tiny items → 4
 * units, where the rule is 2 per KB per item), so the bench prices writes itself and shows Local's
 * figure beside it.
 */
export function localDynamo(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}

export interface MeteredCall {
  command: string;
  /** Read request units by the rules (strongly consistent 4 KB = 1, eventually consistent = 0.5). */
  rru: number;
  /** Write request units by the rules (1 per KB; transactional 2 per KB; GSI writes included). */
  wru: number;
  /** What DynamoDB Local reported (CapacityUnits, summed over tables and indexes). */
  reported: number | undefined;
  ms: number;
  failed: boolean;
}

type Item = Record<string, AttributeValue>;

/** DynamoDB's item size: attribute name bytes + value bytes, per the developer guide's rules. */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function numberSize(n: string): number {
  const digits = n.replace(/^-/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (value.NS) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS) return value.BS.reduce((n, b) => n + b.length, 0);
  if (value.M) {
    return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + Buffer.byteLength(k) + valueSize(v) + 1, 0);
  }
  if (value.L) return 3 + value.L.reduce((n, v) => n + valueSize(v) + 1, 0);
  return 0;
}

const kb = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
const GSI_KEYS = TABLE.globalSecondaryIndexes.map((i) => [i.partitionKey, i.sortKey] as const);

/** Write units of one item write: the table, plus each GSI the item is in (projection ALL: same size). */
function writeUnits(item: Item | undefined, multiplier: number): number {
  // Deletes and condition checks do not carry the item; items here are under 1 KB (a member, a marker).
  if (!item) return multiplier;
  const size = itemSize(item);
  const indexes = GSI_KEYS.filter(([pk, sk]) => item[pk] !== undefined && item[sk] !== undefined).length;
  return multiplier * kb(size) * (1 + indexes);
}

function readUnits(items: Item[], consistent: boolean, multiplier = 1): number {
  const bytes = items.reduce((n, item) => n + itemSize(item), 0);
  const units = Math.max(1, Math.ceil(bytes / 4096));
  return (consistent ? units : units / 2) * multiplier;
}

interface Input {
  Item?: Item;
  ConsistentRead?: boolean;
  TransactItems?: Array<{ Put?: { Item?: Item }; Delete?: unknown; ConditionCheck?: unknown; Update?: unknown }>;
  RequestItems?: Record<string, Array<{ PutRequest?: { Item?: Item }; DeleteRequest?: unknown }>>;
  ReturnConsumedCapacity?: string;
}

interface Output {
  Item?: Item;
  Items?: Item[];
  ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[];
}

function priced(command: string, input: Input, output: Output | undefined): { rru: number; wru: number } {
  switch (command) {
    case "GetItemCommand":
      return { rru: readUnits(output?.Item ? [output.Item] : [], input.ConsistentRead === true), wru: 0 };
    case "QueryCommand":
    case "ScanCommand":
      return { rru: readUnits(output?.Items ?? [], input.ConsistentRead === true), wru: 0 };
    case "PutItemCommand":
      return { rru: 0, wru: writeUnits(input.Item, 1) };
    case "DeleteItemCommand":
      return { rru: 0, wru: 1 };
    case "TransactWriteItemsCommand":
      return { rru: 0, wru: (input.TransactItems ?? []).reduce((n, t) => n + writeUnits(t.Put?.Item, 2), 0) };
    case "BatchWriteItemCommand":
      return {
        rru: 0,
        wru: Object.values(input.RequestItems ?? {})
          .flat()
          .reduce((n, r) => n + writeUnits(r.PutRequest?.Item, 1), 0),
      };
    default:
      return { rru: 0, wru: 0 };
  }
}

function reportedUnits(consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): number | undefined {
  if (!consumed) return undefined;
  const list = Array.isArray(consumed) ? consumed : [consumed];
  return list.reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
}

/** Counts and prices every command the client sends; `take()` returns the calls since the last take. */
export class Meter {
  private calls: MeteredCall[] = [];

  constructor(client: DynamoDBClient) {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Input;
        input.ReturnConsumedCapacity = "TOTAL";
        const started = performance.now();
        const command = context.commandName ?? "unknown";
        try {
          const result = await next(args);
          const output = result.output as Output;
          this.calls.push({
            command,
            ...priced(command, input, output),
            reported: reportedUnits(output.ConsumedCapacity),
            ms: performance.now() - started,
            failed: false,
          });
          return result;
        } catch (error) {
          // A failed condition still consumes the write units of the attempted write.
          const consumed = (error as { ConsumedCapacity?: ConsumedCapacity[] }).ConsumedCapacity;
          this.calls.push({
            command,
            ...priced(command, input, undefined),
            reported: reportedUnits(consumed),
            ms: performance.now() - started,
            failed: true,
          });
          throw error;
        }
      },
      { step: "initialize", name: "benchMeter" },
    );
  }

  take(): MeteredCall[] {
    const calls = this.calls;
    this.calls = [];
    return calls;
  }
}

/** `GetItemCommand` → `GetItem`. */
export const shortName = (command: string) => command.replace(/Command$/, "");
