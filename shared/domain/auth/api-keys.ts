import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { apiKeyKey } from "../../store/keys.js";
import { TransactionCancelledError, type Item, type Store } from "../../store/store.js";
import type { Principal } from "../../kernel/tenancy.js";
import { TENANT_ID_PATTERN, type Credential } from "../../kernel/tenancy.js";
import { participantContext } from "./participant-tokens.js";
import { formatScopes, parseScopes } from "./scopes.js";
import type { KeyScope } from "../../kernel/tenancy.js";

/**
 * API keys: `ck_` + 32 random bytes (base64url). Only the SHA-256 of the secret is stored; the key id
 * (first 8 hex chars of the hash) is what logs and events name. A key is scoped to one project, or to
 * every project of its tenant ("*").
 */
const KEY_PREFIX = "ck_";
/** Generated keys are ck_…; a key chosen by the operator (CORTEX_API_KEY) may be any 16–256 URL-safe characters. */
const KEY_PATTERN = /^[A-Za-z0-9._~+/=-]{16,256}$/;

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString("base64url");
}

export function hashApiKey(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

export function keyIdOf(hash: string): string {
  return `key_${hash.slice(0, 8)}`;
}

/** `Authorization` header value → the bearer secret, or undefined. */
export function bearerSecret(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  const secret = match?.[1];
  return secret && KEY_PATTERN.test(secret) ? secret : undefined;
}

export interface ApiKeyRecord {
  tenantId: string;
  projectScope: string;
  description: string;
  createdAt: string;
  /** `api` (default) or `bot`: a bot key may only use the bot API of sessions. */
  credential?: Credential;
  /** Absent on keys minted before scopes: they keep every scope. */
  scopes?: readonly KeyScope[];
  /** After this instant (ISO) the key is refused: an optional expiry, or the end of a rotation's grace. */
  expiresAt?: string;
}

export async function storeApiKey(store: Store, secret: string, record: ApiKeyRecord): Promise<string> {
  if (!TENANT_ID_PATTERN.test(record.tenantId)) {
    throw new Error(`tenant id "${record.tenantId}" must match ${TENANT_ID_PATTERN.source}`);
  }
  const hash = hashApiKey(secret);
  await store.transact([
    { op: "put", item: { ...apiKeyKey(hash), kind: "apiKey", hash, ...record, revision: 1 } },
    { op: "put", item: keyListEntry(secret, record) },
  ]);
  return keyIdOf(hash);
}

/** Resolves a bearer secret to its principal; undefined for an unknown, revoked or malformed key. */
export async function resolveApiKey(
  store: Store,
  secret: string,
  now: Date = new Date(),
): Promise<Principal | undefined> {
  return (await lookupApiKey(store, secret, now))?.principal;
}

/** The principal of a bearer secret and the key's record (for `touchLastUsed`); undefined if refused. */
export async function lookupApiKey(
  store: Store,
  secret: string,
  now: Date = new Date(),
): Promise<{ principal: Principal; record: Item } | undefined> {
  const hash = hashApiKey(secret);
  const item = await store.get(apiKeyKey(hash), { consistent: false });
  if (!item || item.revokedAt !== undefined || typeof item.hash !== "string") return undefined;
  if (typeof item.expiresAt === "string" && item.expiresAt <= now.toISOString()) return undefined;
  // Defence in depth: the key lookup already matched on the hash.
  if (!timingSafeEqual(Buffer.from(item.hash), Buffer.from(hash))) return undefined;
  const credential: Credential = item.credential === "bot" ? "bot" : "api";
  const principal: Principal = {
    tenantId: String(item.tenantId),
    projectScope: String(item.projectScope),
    keyId: keyIdOf(hash),
    credential,
    ...(credential === "bot" && { actorType: "bot" as const }),
    ...(Array.isArray(item.scopes) && { scopes: parseScopes(item.scopes.map(String).join(",")) }),
  };
  return { principal, record: item };
}

/** A key's "last used" is written at most this often (the authorizer's answers are cached as long anyway). */
export const LAST_USED_EVERY_SECONDS = 300;

/**
 * Records that a key was used, at most every LAST_USED_EVERY_SECONDS: a put of the record read, conditioned
 * on its `revision` being unchanged — a revocation or rotation since the read bumped it, so this write can
 * never undo one (it is refused: "superseded"). The authorizer calls it and never fails a request on it.
 */
export async function touchLastUsed(
  store: Store,
  record: Item,
  now: Date,
): Promise<"written" | "recent" | "superseded"> {
  const last = typeof record.lastUsedAt === "string" ? Date.parse(record.lastUsedAt) : Number.NaN;
  if (now.getTime() - last < LAST_USED_EVERY_SECONDS * 1000) return "recent";
  try {
    await store.transact([
      {
        op: "put",
        item: { ...record, lastUsedAt: now.toISOString() },
        condition:
          typeof record.revision === "number"
            ? { kind: "equals", attribute: "revision", value: record.revision }
            : { kind: "existsWithout", attribute: "revision" },
      },
    ]);
    return "written";
  } catch (error) {
    if (error instanceof TransactionCancelledError) return "superseded";
    throw error;
  }
}

/** `arn:…:apiId/stage/VERB/resource` → `arn:…:apiId/stage/*`: an authorizer result is cached per key, not per route. */
function wholeStage(methodArn: string): string {
  const [prefix, apiId, stage] = methodArn.split("/");
  return `${prefix}/${apiId}/${stage}/*`;
}

/** The authorizer's answer for a resolved key: invoke anything on the stage, with the principal as context. */
export function keyPolicy(principal: Principal, methodArn: string) {
  return {
    principalId: principal.keyId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow" as const, Resource: wholeStage(methodArn) }],
    },
    context: {
      tenantId: principal.tenantId,
      projectScope: principal.projectScope,
      keyId: principal.keyId,
      credential: principal.credential ?? "api",
      ...(principal.credential === "participant" && participantContext(principal)),
      scopes: formatScopes(principal.scopes),
    },
  };
}

export const keyListKey = (tenantId: string, keyId: string) => ({ PK: `KEYS#${tenantId}`, SK: keyId });

/** The list entry written beside a key record (storeApiKey writes both in one transaction). */
export function keyListEntry(secret: string, record: ApiKeyRecord & { expiresAt?: string }): Item {
  const hash = hashApiKey(secret);
  return {
    ...keyListKey(record.tenantId, keyIdOf(hash)),
    kind: "apiKeyEntry",
    hash,
    // Only generated keys show a prefix: an operator-chosen key (CORTEX_API_KEY) may be short.
    prefix: secret.startsWith("ck_") ? secret.slice(0, 7) : "",
    ...record,
  };
}
