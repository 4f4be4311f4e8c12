import { describe, expect, it, vi } from "vitest";
import { dispatch, type DispatchDeps, type Operations } from "../../shared/app/http/dispatch.js";
import type { ApiRequest } from "../../shared/app/http/request.js";
import type { Gathering } from "../../shared/domain/gatherings/model.js";
import { IdempotencyKeyReusedError, NotFoundError, ValidationError } from "../../shared/kernel/errors.js";
import { TransactionCancelledError, type Item, type Store } from "../../shared/store/store.js";

/** A store that keeps items in a map: enough for idempotency records and the cursor key. */
function mapStore(): Store {
  const items = new Map<string, Item>();
  const id = (key: { PK: string; SK: string }) => `${key.PK}|${key.SK}`;
  return {
    async get(key) {
      return items.get(id(key));
    },
    async transact(ops) {
      ops.forEach((op, i) => {
        if (op.op === "put" && op.condition?.kind === "notExists" && items.has(id(op.item)))
          throw new TransactionCancelledError([i], false);
      });
      for (const op of ops) if (op.op === "put") items.set(id(op.item), op.item);
    },
    async query() {
      throw new Error("not used");
    },
  };
}

const deps: DispatchDeps = { store: mapStore(), clock: { now: () => new Date("2026-06-01T12:00:00Z") } };
const gathering = { id: "gth_1", projectId: "demo", version: 7 } as Gathering;

function operations() {
  return {
    createWebhook: vi.fn(async ({ body }) => ({ status: 201, body: { id: "whk_1", url: body.url } })),
    updateGathering: {
      commit: vi.fn(async () => ({ gathering, changed: true })),
      respond: (o) => ({ status: 200, body: o.gathering }),
    },
    putParticipant: vi.fn(async ({ params }) => ({ status: 200, body: { id: params.participantId } })),
    listWebhooks: { list: vi.fn(async () => ({ items: [], nextCursor: "store-cursor" })) },
  } satisfies Operations<"createWebhook" | "updateGathering" | "putParticipant" | "listWebhooks", DispatchDeps>;
}

function request(operationId: ApiRequest["operationId"], rest: Partial<ApiRequest> = {}): ApiRequest {
  return {
    operationId,
    params: { projectId: "demo" },
    query: {},
    headers: {},
    body: undefined,
    principal: { tenantId: "t1", projectScope: "demo", keyId: "key_1" },
    requestId: "r1",
    ...rest,
  };
}

const foreignKey = { tenantId: "t1", projectScope: "other", keyId: "key_2" };

describe("dispatch", () => {
  it("answers 400 naming the field for a body its route's schema refuses, and never reaches the operation", async () => {
    const ops = operations();
    const error = await dispatch(ops, request("createWebhook", { body: { url: 5 } }), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(["url"]);
    expect(ops.createWebhook).not.toHaveBeenCalled();
  });

  it("hands the operation its parsed path, body and scope", async () => {
    const ops = operations();
    const response = await dispatch(
      ops,
      request("putParticipant", { params: { projectId: "demo", participantId: "u1" }, body: { displayName: " Ann " } }),
      deps,
    );
    expect(response).toEqual({ status: 200, body: { id: "u1" } });
    expect(ops.putParticipant).toHaveBeenCalledWith(
      {
        params: { projectId: "demo", participantId: "u1" },
        query: undefined,
        body: { displayName: "Ann" },
        scope: { tenantId: "t1", projectId: "demo", actor: { type: "apiKey", id: "key_1" } },
      },
      deps,
    );
  });

  it("validates the path, then the body, then the scope: a key for another project is a 404 only for a valid request", async () => {
    const ops = operations();
    const put = (params: Record<string, string>, body: unknown) =>
      dispatch(ops, request("putParticipant", { params, body, principal: foreignKey }), deps).catch((e: unknown) => e);
    expect(await put({ projectId: "demo", participantId: "no spaces" }, { email: "nope" })).toMatchObject({
      issues: [{ path: "participantId" }],
    });
    expect(await put({ projectId: "demo", participantId: "u1" }, { email: "nope" })).toMatchObject({
      issues: [{ path: "email" }],
    });
    expect(await put({ projectId: "demo", participantId: "u1" }, {})).toBeInstanceOf(NotFoundError);
    expect(ops.putParticipant).not.toHaveBeenCalled();
  });

  it("hands a gathering command its If-Match; a malformed one is a 400; routes that are no mutation ignore both headers", async () => {
    const ops = operations();
    const patch = (ifMatch: string) =>
      dispatch(
        ops,
        request("updateGathering", {
          params: { projectId: "demo", gatheringId: "gth_1" },
          headers: { "if-match": ifMatch },
          body: { name: "N" },
        }),
        deps,
      );
    await patch('W/"7"');
    expect(ops.updateGathering.commit).toHaveBeenCalledWith(expect.anything(), deps, { ifMatch: 7 });
    await expect(patch("seven")).rejects.toMatchObject({ issues: [{ path: "If-Match" }] });

    const headers = { "if-match": "seven", "idempotency-key": "has spaces" };
    const put = request("putParticipant", { params: { projectId: "demo", participantId: "u1" }, body: {}, headers });
    await expect(dispatch(ops, put, deps)).resolves.toMatchObject({ status: 200 });
  });

  it("runs a 'once' route once per Idempotency-Key and replays its first answer; another request with the key is a 422", async () => {
    const ops = operations();
    const create = (url: string) =>
      dispatch(ops, request("createWebhook", { headers: { "idempotency-key": "k-once" }, body: { url } }), deps);
    const first = await create("https://example.com/a");
    const again = await create("https://example.com/a");
    expect(first.headers?.["Idempotent-Replayed"]).toBeUndefined();
    expect(again).toEqual({ ...first, headers: { "Idempotent-Replayed": "true" } });
    expect(ops.createWebhook).toHaveBeenCalledTimes(1);
    await expect(create("https://example.com/b")).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it("seals a listing's next cursor, opens it for the next page, and refuses a made-up one before the store", async () => {
    const ops = operations();
    const list = (query: Record<string, string>) => dispatch(ops, request("listWebhooks", { query }), deps);
    const first = (await list({ limit: "5" })).body as { nextCursor: string };
    expect(first.nextCursor).not.toBe("store-cursor");
    expect(ops.listWebhooks.list).toHaveBeenLastCalledWith(expect.objectContaining({ filters: {} }), deps, {
      limit: 5,
    });
    await list({ cursor: first.nextCursor });
    expect(ops.listWebhooks.list).toHaveBeenLastCalledWith(expect.anything(), deps, { cursor: "store-cursor" });
    await expect(list({ cursor: "store-cursor.forged" })).rejects.toMatchObject({ issues: [{ path: "cursor" }] });
    expect(ops.listWebhooks.list).toHaveBeenCalledTimes(2);
  });

  it("refuses an operation it was not given", async () => {
    await expect(dispatch(operations(), request("getGathering"), deps)).rejects.toThrow(/not served/);
  });
});
