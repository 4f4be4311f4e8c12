import { ConflictError, NotFoundError, VersionConflictError } from "../../kernel/errors.js";
import type { Actor } from "../../kernel/envelope.js";
import type { Clock } from "../../kernel/clock.js";
import type { Credential, KeyScope } from "../../kernel/tenancy.js";
import { commit, type CommitRequest, type EventDraft } from "../../store/commit.js";
import { aggregateRootKey, apiKeyKey } from "../../store/keys.js";
import type { Item, Store } from "../../store/store.js";
import { generateApiKey, keyListEntry, keyListKey } from "./api-keys.js";
import { KEY_EVENTS } from "./events.js";

/**
 * Managing keys: every key has, beside its record under its secret's hash (what the authorizer reads), an
 * entry in its tenant's key list (`KEYS#<tenant>`, sorted by key id) that listing, revoking and rotating
 * use. The list entry holds the hash (to find the record) but no view of a key ever shows the hash or secret.
 *
 * Every change commits with its audit event (`key.created|revoked|rotated`, actor = the key that made it)
 * in one transaction, into the key's own log: the `apiKey` aggregate, whose root is the key's view.
 * A change also bumps the record's `revision`, which the authorizer's "last used" write is conditioned on,
 * so that write can never undo a revocation or a rotation.
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

export interface KeyDeps {
  store: Store;
  clock: Clock;
  eventRetentionSeconds: number;
}

/** The key's log: its root (the key's view, with the log's version) and the events of this change. */
function keyLog(
  tenantId: string,
  view: KeyView,
  expectedVersion: number,
  events: EventDraft[],
  puts: NonNullable<CommitRequest["puts"]>,
): CommitRequest {
  return {
    aggregate: { type: "apiKey", id: view.keyId, tenantId, projectId: view.projectScope },
    expectedVersion,
    root: { kind: "apiKeyLog", ...view },
    puts,
    events,
  };
}

async function logVersion(store: Store, tenantId: string, view: KeyView): Promise<number> {
  const root = await store.get(aggregateRootKey("apiKey", { tenantId, projectId: view.projectScope }, view.keyId), {
    consistent: true,
  });
  // A key stored before keys had a log (or by the bootstrap script) starts its log at its first change.
  return typeof root?.version === "number" ? root.version : 0;
}

function commitOptions(deps: KeyDeps) {
  return { now: deps.clock.now(), eventRetentionSeconds: deps.eventRetentionSeconds, events: KEY_EVENTS };
}

/** The writes that create a key (record + list entry), for a new log or a rotation's. */
function newKeyWrites(
  key: NewKey,
  now: Date,
): { secret: string; view: KeyView; puts: NonNullable<CommitRequest["puts"]> } {
  const secret = generateApiKey();
  const record = { ...key, createdAt: now.toISOString() };
  const entry = keyListEntry(secret, record);
  return {
    secret,
    view: viewOf(entry),
    puts: [
      {
        item: { ...apiKeyKey(String(entry.hash)), kind: "apiKey", hash: entry.hash, ...record, revision: 1 },
        condition: { kind: "notExists" },
      },
      { item: entry, condition: { kind: "notExists" } },
    ],
  };
}

/** Creates a key: the secret is returned here once and never again. */
export async function createKey(deps: KeyDeps, key: NewKey, actor: Actor): Promise<{ secret: string; key: KeyView }> {
  const created = newKeyWrites(key, deps.clock.now());
  await commit(
    deps.store,
    keyLog(key.tenantId, created.view, 0, [{ type: "key.created", data: { key: created.view }, actor }], created.puts),
    commitOptions(deps),
  );
  return { secret: created.secret, key: created.view };
}

/**
 * A page of a tenant's keys; with `projectScope`, only that project's keys (what a project admin sees).
 * "Last used" is read from each key's record, where the authorizer writes it (one read per listed key).
 */
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
  const items = await Promise.all(
    result.items.map(async (entry) => {
      const record = await store.get(apiKeyKey(String(entry.hash)), { consistent: false });
      return viewOf(typeof record?.lastUsedAt === "string" ? { ...entry, lastUsedAt: record.lastUsedAt } : entry);
    }),
  );
  return { items, ...(result.nextCursor !== undefined && { nextCursor: result.nextCursor }) };
}

async function entryOf(store: Store, tenantId: string, keyId: string, projectScope?: string): Promise<Item> {
  const entry = await store.get(keyListKey(tenantId, keyId), { consistent: true });
  if (!entry || (projectScope !== undefined && entry.projectScope !== projectScope)) {
    throw new NotFoundError(`No key ${keyId}`);
  }
  return entry;
}

/** The record's next revision (see the module comment), with the change applied. */
function revised(record: Item, change: Record<string, unknown>): Item {
  return { ...record, ...change, revision: (typeof record.revision === "number" ? record.revision : 0) + 1 };
}

/** Runs a read-decide-commit of one key again when another change to it committed in between. */
async function retryingConflicts<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= 3) throw error;
    }
  }
}

export interface KeyTarget {
  tenantId: string;
  keyId: string;
  /** A project admin's view: only keys of this project (another's is a 404). Absent: any key of the tenant. */
  projectScope?: string;
}

/** Revokes a key: the authorizer refuses it once its cached answer expires (AUTHORIZER_CACHE_SECONDS). */
export async function revokeKey(deps: KeyDeps, target: KeyTarget, actor: Actor): Promise<KeyView> {
  return retryingConflicts(async () => {
    const entry = await entryOf(deps.store, target.tenantId, target.keyId, target.projectScope);
    if (typeof entry.revokedAt === "string") return viewOf(entry);
    const record = await deps.store.get(apiKeyKey(String(entry.hash)), { consistent: true });
    const revokedAt = deps.clock.now().toISOString();
    const view = viewOf({ ...entry, revokedAt });
    await commit(
      deps.store,
      keyLog(
        target.tenantId,
        view,
        await logVersion(deps.store, target.tenantId, view),
        [{ type: "key.revoked", data: { key: view }, actor }],
        [
          { item: { ...entry, revokedAt }, condition: { kind: "existsWithout", attribute: "revokedAt" } },
          ...(record ? [{ item: revised(record, { revokedAt }) }] : []),
        ],
      ),
      commitOptions(deps),
    );
    return view;
  });
}

/**
 * Rotates a key: a new secret with the same tenant, project, scopes and description; the old secret keeps
 * working for `graceSeconds` (default a day) so clients can be redeployed, then expires. One transaction:
 * the new key with its `key.created`, and the old one's new expiry with its `key.rotated`.
 */
export async function rotateKey(
  deps: KeyDeps,
  target: KeyTarget,
  actor: Actor,
  graceSeconds = ROTATION_GRACE_SECONDS,
  /** Checks the key before anything changes (e.g. that the caller holds its scopes); throws to refuse. */
  check?: (key: KeyView) => void,
): Promise<{ secret: string; key: KeyView; previous: KeyView }> {
  return retryingConflicts(async () => {
    const entry = await entryOf(deps.store, target.tenantId, target.keyId, target.projectScope);
    if (typeof entry.revokedAt === "string") throw new ConflictError(`Key ${target.keyId} is revoked`, "key_revoked");
    check?.(viewOf(entry));
    const now = deps.clock.now();
    const graceEnd = new Date(now.getTime() + graceSeconds * 1000).toISOString();
    const expiresAt = typeof entry.expiresAt === "string" && entry.expiresAt < graceEnd ? entry.expiresAt : graceEnd;
    const created = newKeyWrites(
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
    const record = await deps.store.get(apiKeyKey(String(entry.hash)), { consistent: true });
    const previous = viewOf({ ...entry, expiresAt });
    const replacedBy = created.view.keyId;
    await commit(
      deps.store,
      [
        keyLog(
          target.tenantId,
          created.view,
          0,
          [{ type: "key.created", data: { key: created.view }, actor }],
          created.puts,
        ),
        keyLog(
          target.tenantId,
          previous,
          await logVersion(deps.store, target.tenantId, previous),
          [{ type: "key.rotated", data: { key: previous, replacedBy }, actor }],
          [
            {
              item: { ...entry, expiresAt, rotatedTo: replacedBy },
              condition: { kind: "existsWithout", attribute: "revokedAt" },
            },
            ...(record ? [{ item: revised(record, { expiresAt }) }] : []),
          ],
        ),
      ],
      commitOptions(deps),
    );
    return { secret: created.secret, key: created.view, previous };
  });
}
