import { createHash } from "node:crypto";
import { IdempotencyKeyReusedError, ValidationError } from "../../kernel/errors.js";
import { fullJitter } from "../../kernel/backoff.js";
import { ExtraOpFailedError } from "../../store/commit.js";
import { idempotencyKey } from "../../store/keys.js";
import { TransactionCancelledError, type Store, type WriteOp } from "../../store/store.js";
import type { ApiResponse } from "./request.js";

/**
 * `Idempotency-Key` on POST: a retry returns the first response and the effect happens once.
 *
 * The record (request fingerprint + response) is written in the same transaction as the command's
 * effect, so "effect applied" and "response recorded" can never disagree: two concurrent requests with
 * one key cannot both apply — the second transaction fails on the record and replays the first's
 * response. The same key with a different request is a 422. Records expire after 24 hours.
 */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyScope {
  store: Store;
  tenantId: string;
  projectId: string;
  key: string;
  fingerprint: string;
  nowSeconds: number;
}

export function validateIdempotencyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw new ValidationError("Idempotency-Key must be 1–255 visible ASCII characters", [
      { path: "Idempotency-Key", message: "must be 1–255 visible ASCII characters" },
    ]);
  }
}

/** What identifies "the same request": operation, path parameters and body. */
export function fingerprint(operationId: string, params: Record<string, string>, body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === "object"
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
          )
        : value;
  return createHash("sha256")
    .update(JSON.stringify([operationId, canonical(params), canonical(body ?? null)]))
    .digest("hex");
}

function replay(record: Record<string, unknown>, scope: IdempotencyScope): ApiResponse {
  if (record.fingerprint !== scope.fingerprint) {
    throw new IdempotencyKeyReusedError(
      "This Idempotency-Key was already used with a different request; use a new key for a new request",
    );
  }
  const response = record.response as ApiResponse;
  return { ...response, headers: { ...response.headers, "Idempotent-Replayed": "true" } };
}

async function existing(scope: IdempotencyScope): Promise<Record<string, unknown> | undefined> {
  return scope.store.get(idempotencyKey(scope, scope.key), { consistent: true });
}

/**
 * Runs `operation` once per key. The operation receives `record(response)`: the writes to add to its
 * commit. If the operation ends without committing (a no-op), the record is written on its own.
 */
export async function idempotently(
  scope: IdempotencyScope,
  operation: (record: (response: ApiResponse) => WriteOp[]) => Promise<{ response: ApiResponse; committed: boolean }>,
): Promise<ApiResponse> {
  const found = await existing(scope);
  if (found) return replay(found, scope);
  const record = (response: ApiResponse): WriteOp[] => [
    {
      op: "put",
      item: {
        ...idempotencyKey(scope, scope.key),
        kind: "idempotency",
        fingerprint: scope.fingerprint,
        response,
        expiresAt: scope.nowSeconds + IDEMPOTENCY_TTL_SECONDS,
      },
      condition: { kind: "notExists" },
    },
  ];
  try {
    const { response, committed } = await operation(record);
    if (!committed && response.status < 300) return await recordAlone(scope, record(response), response);
    return response;
  } catch (error) {
    // Another request with this key committed first: answer as it did.
    if (error instanceof ExtraOpFailedError) return replay(await committedRecord(scope), scope);
    throw error;
  }
}

/** The record whose "must not exist" just failed: it is there (a consistent read sees it). */
async function committedRecord(scope: IdempotencyScope): Promise<Record<string, unknown>> {
  const found = await existing(scope);
  if (!found) throw new Error("the Idempotency-Key record failed its condition yet cannot be read");
  return found;
}

/**
 * A no-op's record, written on its own. If another request with the key got in first, answer as it did;
 * if that request's transaction is still in flight (contention, and nothing to read yet), try again.
 */
async function recordAlone(scope: IdempotencyScope, ops: WriteOp[], response: ApiResponse): Promise<ApiResponse> {
  for (let attempt = 1; ; attempt++) {
    try {
      await scope.store.transact(ops);
      return response;
    } catch (error) {
      if (!(error instanceof TransactionCancelledError)) throw error;
      const found = await existing(scope);
      if (found) return replay(found, scope);
      if (!error.contention || attempt >= 4) throw error;
      await fullJitter(attempt, 20);
    }
  }
}
