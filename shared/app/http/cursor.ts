import { createHmac, timingSafeEqual } from "node:crypto";
import { ValidationError } from "../../kernel/errors.js";

/**
 * The cursors clients see: the store's cursor with a MAC (HMAC-SHA256 under a generated key kept in the
 * table, truncated to 128 bits) that binds it to one listing — the operation, its path (tenant, project,
 * gathering, …) and its filters. A cursor that was altered, made up, or issued for another listing is
 * refused with a 400 before it reaches the store.
 */
const MAC_BYTES = 16;
const SEPARATOR = ".";

/** What a cursor is valid for; compared exactly, so build it the same way for every page. */
export type CursorBinding = readonly unknown[];

function mac(key: Buffer, binding: CursorBinding, inner: string): string {
  return createHmac("sha256", key)
    .update(`cursor\n${JSON.stringify(binding)}\n${inner}`)
    .digest()
    .subarray(0, MAC_BYTES)
    .toString("base64url");
}

export function sealCursor(key: Buffer, binding: CursorBinding, inner: string): string {
  return `${inner}${SEPARATOR}${mac(key, binding, inner)}`;
}

/** The store's cursor inside a cursor this API issued for the same listing; a 400 otherwise. */
export function openCursor(key: Buffer, binding: CursorBinding, cursor: string): string {
  const at = cursor.lastIndexOf(SEPARATOR);
  const inner = cursor.slice(0, Math.max(at, 0));
  const given = Buffer.from(cursor.slice(at + 1));
  const expected = Buffer.from(mac(key, binding, inner));
  if (at <= 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ValidationError(
      "The cursor is not valid: pass the nextCursor of the previous page of this same listing (same path and filters)",
      [{ path: "cursor", message: "is not a cursor this API returned for this listing" }],
    );
  }
  return inner;
}
