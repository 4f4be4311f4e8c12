import { randomBytes } from "node:crypto";
import { signingKeyKey } from "../../store/keys.js";
import { TransactionCancelledError, type Store } from "../../store/store.js";

/**
 * A secret key for one purpose (e.g. signing RSVP links), generated on first use and kept in the table
 * (encrypted at rest, readable only by functions granted the table). Concurrent first uses agree: the
 * key is created with a condition and whoever loses reads the winner's key.
 */
const cache = new Map<string, Buffer>();

export async function signingKey(store: Store, purpose: string): Promise<Buffer> {
  const cached = cache.get(purpose);
  if (cached) return cached;
  let item = await store.get(signingKeyKey(purpose), { consistent: true });
  if (!item) {
    const key = randomBytes(32).toString("base64");
    try {
      await store.transact([
        { op: "put", item: { ...signingKeyKey(purpose), kind: "signingKey", key }, condition: { kind: "notExists" } },
      ]);
    } catch (error) {
      if (!(error instanceof TransactionCancelledError)) throw error;
    }
    item = await store.get(signingKeyKey(purpose), { consistent: true });
  }
  const key = Buffer.from(String(item!.key), "base64");
  cache.set(purpose, key);
  return key;
}
