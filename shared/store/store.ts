import type { ItemKey } from "./keys.js";

/**
 * The store port. The domain writes through `transact` (all or nothing) and reads through `get`/`query`.
 * The DynamoDB adapter (shared/adapters/aws/dynamodb-store.ts) implements it; so can a test double.
 */
export type Item = ItemKey & Record<string, unknown>;

export type Condition =
  | { kind: "notExists" }
  | { kind: "exists" }
  /** The item exists and its numeric `attribute` equals `value`. */
  | { kind: "equals"; attribute: string; value: number | string }
  /** The item exists and has no `attribute` (e.g. a message not yet given its version). */
  | { kind: "existsWithout"; attribute: string };

export type WriteOp =
  | { op: "put"; item: Item; condition?: Condition }
  | { op: "delete"; key: ItemKey; condition?: Condition }
  | { op: "check"; key: ItemKey; condition: Condition };

/** Thrown by `transact` when any condition failed; `failed` holds the indexes of the ops that failed. */
export class TransactionCancelledError extends Error {
  constructor(
    readonly failed: number[],
    /** True when DynamoDB reported a conflicting concurrent transaction rather than a failed condition. */
    readonly contention: boolean,
  ) {
    super(`transaction cancelled (${contention ? "contention" : `conditions failed at ${failed.join(",")}`})`);
    this.name = "TransactionCancelledError";
  }
}

export interface QueryOptions {
  pk: string;
  index?: string;
  /** Inclusive sort key range. */
  between?: { from: string; to: string };
  beginsWith?: string;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  descending?: boolean;
  consistent?: boolean;
  /** Equality filters on non-key attributes (ANDed); pages are filled up to `limit` matches. */
  filter?: Record<string, string | number | boolean>;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface Store {
  transact(ops: WriteOp[]): Promise<void>;
  get(key: ItemKey, options?: { consistent?: boolean }): Promise<Item | undefined>;
  query(options: QueryOptions): Promise<Page<Item>>;
}
