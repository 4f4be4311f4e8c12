import { ConflictError, NotFoundError } from "../../kernel/errors.js";
import type { Credential, KeyScope } from "../../kernel/tenancy.js";
import { apiKeyKey } from "../../store/keys.js";
import type { Item, Store } from "../../store/store.js";
import { generateApiKey, keyListEntry, keyListKey } from "./api-keys.js";

/**
 * Managing keys: every key has, beside its record under its secret's hash (what the authorizer reads), an
 * entry in its tenant's key list (`KEYS#<tenant>`, sorted by key id) that listing, revoking and rotating
 * use. The list entry holds the hash (to find the record) but no view of a key ever shows the hash or secret.
 */
export const ROTATION_GRACE_SECONDS = 24 * 60 * 60;

export interface KeyView {
  keyId: string;
  /** The secret's first characters (`ck_AbCd`), to recognise a key without revealing it. */
  prefix: string;
  projectScope: string;
  scopes: KeyScope[] | "all";
  credential: Credential;
  description: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

export function viewOf(entry: Item): KeyView {
  const optional = (name: string) => (typeof entry[name] === "string" ? { [name]: entry[name] as string } : {});
  return {
    keyId: String(entry.SK),
    prefix: String(entry.prefix ?? ""),
    projectScope: String(entry.projectScope),
    scopes: Array.isArray(entry.scopes) ? (entry.scopes as KeyScope[]) : "all",
    credential: entry.credential === "bot" ? "bot" : "api",
    description: String(entry.description ?? ""),
    createdAt: String(entry.createdAt),
    ...optional("expiresAt"),
    ...optional("revokedAt"),
    ...optional("lastUsedAt"),
  };
}

export interface NewKey {
  tenantId: string;
  projectScope: string;
  scopes?: KeyScope[];
  description: string;
  credential?: Credential;
  expiresAt?: string;
}

/** Creates a key: the secret is returned here once and never again. */
export async function createKey(store: Store, key: NewKey, now: Date): Promise<{ secret: string; key: KeyView }> {
  const secret = generateApiKey();
  const record = { ...key, createdAt: now.toISOString() };
  const entry = keyListEntry(secret, record);
  await store.transact([
    { op: "put", item: { ...apiKeyKey(String(entry.hash)), kind: "apiKey", hash: entry.hash, ...record } },
    { op: "put", item: entry },
  ]);
  return { secret, key: viewOf(entry) };
}

/** A page of a tenant's keys; with `projectScope`, only that project's keys (what a project admin sees). */
export async function listKeys(
  store: Store,
  tenantId: string,
  page: { limit?: number; cursor?: string; projectScope?: string },
): Promise<{ items: KeyView[]; nextCursor?: string }> {
  const result = await store.query({
    pk: `KEYS#${tenantId}`,
    ...(page.limit !== undefined && { limit: page.limit }),
    ...(page.cursor !== undefined && { cursor: page.cursor }),
    ...(page.projectScope !== undefined && { filter: { projectScope: page.projectScope } }),
  });
  return {
    items: result.items.map(viewOf),
    ...(result.nextCursor !== undefined && { nextCursor: result.nextCursor }),
  };
}

async function entryOf(store: Store, tenantId: string, keyId: string, projectScope?: string): Promise<Item> {
  const entry = await store.get(keyListKey(tenantId, keyId), { consistent: true });
  if (!entry || (projectScope !== undefined && entry.projectScope !== projectScope)) {
    throw new NotFoundError(`No key ${keyId}`);
  }
  return entry;
}

/** Revokes a key: the authorizer refuses it once its cached answer expires (AUTHORIZER_CACHE_SECONDS). */
export async function revokeKey(
  store: Store,
  target: { tenantId: string; keyId: string; projectScope?: string },
  now: Date,
): Promise<KeyView> {
  const entry = await entryOf(store, target.tenantId, target.keyId, target.projectScope);
  if (typeof entry.revokedAt === "string") return viewOf(entry);
  const record = await store.get(apiKeyKey(String(entry.hash)), { consistent: true });
  const revokedAt = now.toISOString();
  await store.transact([
    { op: "put", item: { ...entry, revokedAt } },
    ...(record ? [{ op: "put" as const, item: { ...record, revokedAt } }] : []),
  ]);
  return viewOf({ ...entry, revokedAt });
}

/**
 * Rotates a key: a new secret with the same tenant, project, scopes and description; the old secret keeps
 * working for `graceSeconds` (default a day) so clients can be redeployed, then expires.
 */
export async function rotateKey(
  store: Store,
  target: { tenantId: string; keyId: string; projectScope?: string },
  now: Date,
  graceSeconds = ROTATION_GRACE_SECONDS,
  /** Checks the key before anything changes (e.g. that the caller holds its scopes); throws to refuse. */
  check?: (key: KeyView) => void,
): Promise<{ secret: string; key: KeyView; previous: KeyView }> {
  const entry = await entryOf(store, target.tenantId, target.keyId, target.projectScope);
  if (typeof entry.revokedAt === "string") throw new ConflictError(`Key ${target.keyId} is revoked`, "key_revoked");
  check?.(viewOf(entry));
  const graceEnd = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const expiresAt = typeof entry.expiresAt === "string" && entry.expiresAt < graceEnd ? entry.expiresAt : graceEnd;
  const created = await createKey(
    store,
    {
      tenantId: target.tenantId,
      projectScope: String(entry.projectScope),
      description: String(entry.description ?? ""),
      credential: entry.credential === "bot" ? "bot" : "api",
      ...(Array.isArray(entry.scopes) && { scopes: entry.scopes as KeyScope[] }),
      ...(typeof entry.expiresAt === "string" && { expiresAt: entry.expiresAt }),
    },
    now,
  );
  const record = await store.get(apiKeyKey(String(entry.hash)), { consistent: true });
  await store.transact([
    { op: "put", item: { ...entry, expiresAt, rotatedTo: created.key.keyId } },
    ...(record ? [{ op: "put" as const, item: { ...record, expiresAt } }] : []),
  ]);
  return { ...created, previous: viewOf({ ...entry, expiresAt }) };
}
