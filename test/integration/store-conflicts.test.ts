import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TransactionConflictException } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { fingerprint, idempotently, type IdempotencyScope } from "../../shared/app/http/idempotency.js";
import { TransactionCancelledError, type Store } from "../../shared/store/store.js";
import { createTestTable, dynamodbClient, type TestTable } from "../support/dynamodb.js";

/**
 * What AWS does and DynamoDB Local does not: a plain put on an item that a transaction in flight is writing
 * is refused with TransactionConflictException. The refusal is injected in front of DynamoDB Local (a
 * middleware answering the first N PutItem calls with it); everything else is the real local engine.
 */
let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

function conflictingStore(conflicts: number): { store: DynamoDbStore; refused: () => number } {
  const client: DynamoDBClient = dynamodbClient();
  let refused = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "PutItemCommand" && refused < conflicts) {
        refused++;
        throw new TransactionConflictException({ message: "Transaction is ongoing for the item", $metadata: {} });
      }
      return next(args);
    },
    { step: "initialize", name: "injectTransactionConflict" },
  );
  return { store: new DynamoDbStore({ tableName: table.name, client }), refused: () => refused };
}

describe("a single put meeting a transaction in flight", () => {
  it("is retried until the transaction is done, and then applies its own condition", async () => {
    const { store, refused } = conflictingStore(2);
    const key = { PK: "CONFLICT#retried", SK: "#" };
    await store.transact([{ op: "put", item: { ...key, n: 1 }, condition: { kind: "notExists" } }]);
    expect(refused()).toBe(2);
    expect(await table.store.get(key)).toMatchObject({ n: 1 });
    // Its condition is still its own: the item exists now, so a second "must not exist" is refused as such.
    const again = await store.transact([{ op: "put", item: { ...key, n: 2 }, condition: { kind: "notExists" } }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(TransactionCancelledError);
    expect(again).toMatchObject({ contention: false, failed: [0] });
  });

  it("is reported as contention, not as a failed condition, when the conflict outlasts its retries", async () => {
    const { store } = conflictingStore(100);
    const key = { PK: "CONFLICT#lasting", SK: "#" };
    const error = await store.transact([{ op: "put", item: { ...key, n: 1 } }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransactionCancelledError);
    expect(error).toMatchObject({ contention: true, failed: [] });
    expect(await table.store.get(key)).toBeUndefined();
  });
});

describe("an Idempotency-Key whose no-op record meets contention", () => {
  const scopeFor = (store: Store, key: string): IdempotencyScope => ({
    store,
    tenantId: "t",
    projectId: "p",
    key,
    fingerprint: fingerprint("op", { id: "x" }, null),
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  const noOp = { status: 200, body: { mine: true } };

  it("answers as the request in flight did once its record is there", async () => {
    // The first write of our record is refused for contention while the other request's commit lands.
    let first = true;
    const store: Store = Object.create(table.store, {
      transact: {
        value: async (ops: Parameters<Store["transact"]>[0]) => {
          if (!first) return table.store.transact(ops);
          first = false;
          const theirs = ops.map((op) =>
            op.op === "put" ? { ...op, item: { ...op.item, response: { status: 200, body: { theirs: true } } } } : op,
          );
          await table.store.transact(theirs);
          throw new TransactionCancelledError([], true);
        },
      },
    });
    const answer = await idempotently(scopeFor(store, "in-flight"), async () => ({ response: noOp, committed: false }));
    expect(answer.body).toEqual({ theirs: true });
    expect(answer.headers).toMatchObject({ "Idempotent-Replayed": "true" });
  });

  it("writes its own record on a later attempt when the contending transaction did not commit one", async () => {
    let refusals = 2;
    const store: Store = Object.create(table.store, {
      transact: {
        value: async (ops: Parameters<Store["transact"]>[0]) => {
          if (refusals-- > 0) throw new TransactionCancelledError([], true);
          return table.store.transact(ops);
        },
      },
    });
    const scope = scopeFor(store, "contended");
    const answer = await idempotently(scope, async () => ({ response: noOp, committed: false }));
    expect(answer).toEqual(noOp);
    // A retry now replays it from the record.
    const replayed = await idempotently(scopeFor(table.store, "contended"), async () => {
      throw new Error("a replay must not run the operation again");
    });
    expect(replayed.body).toEqual({ mine: true });
  });
});
