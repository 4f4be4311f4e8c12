import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AwsClient, SERVICES } from "../../shared/adapters/aws/client/aws-client.js";
import { DynamoDbStore } from "../../shared/adapters/aws/dynamodb-store.js";
import { fingerprint, idempotently, type IdempotencyScope } from "../../shared/app/http/idempotency.js";
import { TransactionCancelledError, type Store } from "../../shared/store/store.js";
import { createTestTable, dynamodbEndpoint, type TestTable } from "../support/dynamodb.js";

/**
 * What AWS does and DynamoDB Local does not: a plain put on an item that a transaction in flight is writing
 * is refused with TransactionConflictException. The refusal is injected in front of DynamoDB Local (an HTTP
 * proxy answering the first N PutItem requests with DynamoDB's own error answer); everything else — the
 * store's client, its error parsing, the engine — is real.
 */
let table: TestTable;
const proxies: http.Server[] = [];
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(async () => {
  await Promise.all(proxies.map((p) => new Promise((r) => p.close(r))));
  await table.drop();
});

async function conflictingStore(
  conflicts: number,
  { lostAnswers = 0 }: { lostAnswers?: number } = {},
): Promise<{ store: DynamoDbStore; refused: () => number; lost: () => number }> {
  const upstream = new URL(dynamodbEndpoint());
  let refused = 0;
  let lost = 0;
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.headers["x-amz-target"] === "DynamoDB_20120810.PutItem" && refused < conflicts) {
        refused++;
        res.writeHead(400, { "content-type": "application/x-amz-json-1.0" });
        res.end(
          JSON.stringify({
            __type: "com.amazonaws.dynamodb.v20120810#TransactionConflictException",
            message: "Transaction is ongoing for the item",
          }),
        );
        return;
      }
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          if (req.headers["x-amz-target"] === "DynamoDB_20120810.TransactWriteItems" && lost < lostAnswers) {
            // DynamoDB did the work; the answer never reaches the client (a connection reset on the way).
            lost++;
            answer.resume();
            answer.on("end", () => res.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  proxies.push(proxy);
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  const client = new AwsClient(SERVICES.dynamodb, {
    endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  return {
    store: new DynamoDbStore({ tableName: table.name, client }),
    refused: () => refused,
    lost: () => lost,
  };
}

describe("a transaction whose answer is lost after it committed", () => {
  it("is retried with its idempotency token and succeeds, instead of failing on the conditions it met", async () => {
    const { store, lost } = await conflictingStore(0, { lostAnswers: 1 });
    const a = { PK: "LOST#a", SK: "#" };
    const b = { PK: "LOST#b", SK: "#" };
    await store.transact([
      { op: "put", item: { ...a, n: 1 }, condition: { kind: "notExists" } },
      { op: "put", item: { ...b, n: 1 }, condition: { kind: "notExists" } },
    ]);
    expect(lost()).toBe(1);
    expect(await table.store.get(a)).toMatchObject({ n: 1 });
    expect(await table.store.get(b)).toMatchObject({ n: 1 });
  });
});

describe("a single put meeting a transaction in flight", () => {
  it("is retried until the transaction is done, and then applies its own condition", async () => {
    const { store, refused } = await conflictingStore(2);
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
    const { store } = await conflictingStore(100);
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
