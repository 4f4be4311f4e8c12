import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveApiKey, storeApiKey } from "../../shared/domain/auth/api-keys.js";
import { createKey, listKeys, revokeKey, rotateKey } from "../../shared/domain/auth/key-management.js";
import { NotFoundError } from "../../shared/kernel/errors.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const now = new Date("2026-11-28T12:00:00.000Z");
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

describe("key management on the store", () => {
  it("creates a key whose secret resolves with its scopes, and lists it without secret or hash", async () => {
    const { secret, key } = await createKey(
      table.store,
      { tenantId: "km1", projectScope: "p1", scopes: ["read"], description: "dashboard" },
      now,
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
      await createKey(table.store, { tenantId: "km2", projectScope: project, description: project }, now);
    }
    const first = await listKeys(table.store, "km2", { limit: 2 });
    expect(first.items).toHaveLength(2);
    const rest = await listKeys(table.store, "km2", { limit: 2, cursor: first.nextCursor! });
    expect([...first.items, ...rest.items].map((k) => k.projectScope).sort()).toEqual(["a", "a", "b"]);
    const onlyA = await listKeys(table.store, "km2", { projectScope: "a" });
    expect(onlyA.items.map((k) => k.projectScope)).toEqual(["a", "a"]);
  });

  it("a revoked key no longer resolves; another tenant's or project's admin cannot revoke it", async () => {
    const { secret, key } = await createKey(table.store, { tenantId: "km3", projectScope: "p", description: "" }, now);
    await expect(revokeKey(table.store, { tenantId: "other", keyId: key.keyId }, now)).rejects.toThrow(NotFoundError);
    await expect(revokeKey(table.store, { tenantId: "km3", keyId: key.keyId, projectScope: "q" }, now)).rejects.toThrow(
      NotFoundError,
    );
    expect(await resolveApiKey(table.store, secret, now)).toBeDefined();
    const revoked = await revokeKey(table.store, { tenantId: "km3", keyId: key.keyId }, now);
    expect(revoked.revokedAt).toBe(now.toISOString());
    expect(await resolveApiKey(table.store, secret, now)).toBeUndefined();
  });

  it("rotation gives a new secret; the old one works through the grace period, then not", async () => {
    const { secret: old, key } = await createKey(
      table.store,
      { tenantId: "km4", projectScope: "*", scopes: ["read", "admin"], description: "ops" },
      now,
    );
    const rotated = await rotateKey(table.store, { tenantId: "km4", keyId: key.keyId }, now, 3600);
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
});
