import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  lookupApiKey,
  resolveApiKey,
  storeApiKey,
  touchLastUsed,
  LAST_USED_EVERY_SECONDS,
} from "../../shared/domain/auth/api-keys.js";
import { createKey, listKeys, revokeKey, rotateKey } from "../../shared/domain/auth/key-management.js";
import { NotFoundError } from "../../shared/kernel/errors.js";
import { aggregatePk } from "../../shared/store/keys.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const now = new Date("2026-11-28T12:00:00.000Z");
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const deps = () => ({ store: table.store, clock: { now: () => now }, eventRetentionSeconds: 30 * 86_400 });
const admin = { type: "apiKey" as const, id: "key_admin000" };

/** The events in a key's own log (the apiKey aggregate), oldest first. */
async function keyLog(tenantId: string, projectScope: string, keyId: string) {
  const items = await table.store.query({
    pk: aggregatePk("apiKey", { tenantId, projectId: projectScope }, keyId),
    consistent: true,
  });
  return items.items.filter((i) => i.kind === "event").map((i) => i.event as Record<string, any>);
}

describe("key management on the store", () => {
  it("creates a key whose secret resolves with its scopes, and lists it without secret or hash", async () => {
    const { secret, key } = await createKey(
      deps(),
      { tenantId: "km1", projectScope: "p1", scopes: ["read"], description: "dashboard" },
      admin,
    );
    const principal = await resolveApiKey(table.store, secret, now);
    expect(principal).toMatchObject({ tenantId: "km1", projectScope: "p1", keyId: key.keyId, scopes: ["read"] });
    const listed = await listKeys(table.store, "km1", {});
    expect(listed.items).toEqual([key]);
    expect(key).toMatchObject({ prefix: secret.slice(0, 7), scopes: ["read"], description: "dashboard" });
    const everything = JSON.stringify(listed);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice(7));
    expect(everything).not.toMatch(/[0-9a-f]{64}/);
  });

  it("lists a tenant's keys page by page, and a project admin sees only its project's keys", async () => {
    for (const project of ["a", "b", "a"]) {
      await createKey(deps(), { tenantId: "km2", projectScope: project, description: project }, admin);
    }
    const first = await listKeys(table.store, "km2", { limit: 2 });
    expect(first.items).toHaveLength(2);
    const rest = await listKeys(table.store, "km2", { limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...rest.items].map((k) => k.projectScope).sort()).toEqual(["a", "a", "b"]);
    const onlyA = await listKeys(table.store, "km2", { projectScope: "a" });
    expect(onlyA.items.map((k) => k.projectScope)).toEqual(["a", "a"]);
  });

  it("a revoked key no longer resolves; another tenant's or project's admin cannot revoke it", async () => {
    const { secret, key } = await createKey(deps(), { tenantId: "km3", projectScope: "p", description: "" }, admin);
    await expect(revokeKey(deps(), { tenantId: "other", keyId: key.keyId }, admin)).rejects.toThrow(NotFoundError);
    await expect(revokeKey(deps(), { tenantId: "km3", keyId: key.keyId, projectScope: "q" }, admin)).rejects.toThrow(
      NotFoundError,
    );
    expect(await resolveApiKey(table.store, secret, now)).toBeDefined();
    const revoked = await revokeKey(deps(), { tenantId: "km3", keyId: key.keyId }, admin);
    expect(revoked.revokedAt).toBe(now.toISOString());
    expect(await resolveApiKey(table.store, secret, now)).toBeUndefined();
  });

  it("rotation gives a new secret; the old one works through the grace period, then not", async () => {
    const { secret: old, key } = await createKey(
      deps(),
      { tenantId: "km4", projectScope: "*", scopes: ["read", "admin"], description: "ops" },
      admin,
    );
    const rotated = await rotateKey(deps(), { tenantId: "km4", keyId: key.keyId }, admin, 3600);
    expect(rotated.secret).not.toBe(old);
    expect(rotated.key).toMatchObject({ scopes: ["read", "admin"], description: "ops" });
    expect(await resolveApiKey(table.store, rotated.secret, now)).toMatchObject({ keyId: rotated.key.keyId });
    expect(await resolveApiKey(table.store, old, later(3599))).toBeDefined();
    expect(await resolveApiKey(table.store, old, later(3600))).toBeUndefined();
  });

  it("keys from the bootstrap script are listed too, and without scopes hold all of them", async () => {
    const secret = "ck_bootstrap-secret-0123456789";
    const keyId = await storeApiKey(table.store, secret, {
      tenantId: "km5",
      projectScope: "*",
      description: "first",
      createdAt: now.toISOString(),
    });
    const listed = await listKeys(table.store, "km5", {});
    expect(listed.items).toEqual([expect.objectContaining({ keyId, scopes: "all" })]);
    expect((await resolveApiKey(table.store, secret, now))?.scopes).toBeUndefined();
  });

  it("every change commits with its audit event in the key's log, by the acting key, without secret or hash", async () => {
    const { secret, key } = await createKey(
      deps(),
      { tenantId: "km6", projectScope: "p", scopes: ["read"], description: "audited" },
      admin,
    );
    const rotated = await rotateKey(deps(), { tenantId: "km6", keyId: key.keyId }, admin, 60);
    await revokeKey(deps(), { tenantId: "km6", keyId: rotated.key.keyId }, { type: "apiKey", id: "key_other000" });
    const first = await keyLog("km6", "p", key.keyId);
    expect(first.map((e) => [e.type, e.version, e.actor.id])).toEqual([
      ["key.created", 1, "key_admin000"],
      ["key.rotated", 2, "key_admin000"],
    ]);
    expect(first[1]!.data).toMatchObject({ replacedBy: rotated.key.keyId, key: { keyId: key.keyId } });
    const second = await keyLog("km6", "p", rotated.key.keyId);
    expect(second.map((e) => [e.type, e.actor.id])).toEqual([
      ["key.created", "key_admin000"],
      ["key.revoked", "key_other000"],
    ]);
    const everything = JSON.stringify([first, second]);
    for (const s of [secret, rotated.secret]) expect(everything).not.toContain(s.slice(3));
    expect(everything).not.toMatch(/[0-9a-f]{64}/);
  });

  it("a bootstrap key's first change starts its log", async () => {
    const secret = "ck_bootstrap-audited-0123456789";
    const keyId = await storeApiKey(table.store, secret, {
      tenantId: "km7",
      projectScope: "*",
      description: "first",
      createdAt: now.toISOString(),
    });
    await revokeKey(deps(), { tenantId: "km7", keyId }, admin);
    expect((await keyLog("km7", "*", keyId)).map((e) => [e.type, e.version])).toEqual([["key.revoked", 1]]);
  });

  it("records a key's last use at most every few minutes, shown in the list, and never undoes a revocation", async () => {
    const { secret, key } = await createKey(deps(), { tenantId: "km8", projectScope: "p", description: "" }, admin);
    const seen = await lookupApiKey(table.store, secret, now);
    expect(await touchLastUsed(table.store, seen!.record, now)).toBe("written");
    const again = await lookupApiKey(table.store, secret, later(10));
    expect(await touchLastUsed(table.store, again!.record, later(10))).toBe("recent");
    expect((await listKeys(table.store, "km8", {})).items[0]).toMatchObject({ lastUsedAt: now.toISOString() });
    // The authorizer read the key, then it was revoked: its late "last used" write is refused.
    const stale = await lookupApiKey(table.store, secret, later(LAST_USED_EVERY_SECONDS));
    await revokeKey(deps(), { tenantId: "km8", keyId: key.keyId }, admin);
    expect(await touchLastUsed(table.store, stale!.record, later(LAST_USED_EVERY_SECONDS))).toBe("superseded");
    expect(await resolveApiKey(table.store, secret, later(LAST_USED_EVERY_SECONDS))).toBeUndefined();
  });
});
