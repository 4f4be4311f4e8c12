import { describe, expect, it } from "vitest";
import { ApiClient, uniqueProject } from "../support/http.js";
import { sharedRuntime } from "../support/runtime.js";

/** Key management over HTTP against the local runtime: scopes, listing without secrets, rotation. */
const rt = sharedRuntime();

describe("project keys over HTTP", () => {
  it("an admin creates a read key: it reads, a write is 403 naming `write`, and listing never shows a secret", async () => {
    const projectId = uniqueProject("keys");
    const admin = new ApiClient(rt, projectId);
    const created = await admin.post("/keys", { scopes: ["read"], description: "dashboard" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^ck_/);
    expect(created.body.key).toMatchObject({ projectScope: projectId, scopes: ["read"], description: "dashboard" });

    const reader = new ApiClient(rt, projectId, secret);
    expect((await reader.get("/gatherings")).status).toBe(200);
    const write = await reader.post("/gatherings", { name: "x", type: "lobby" });
    expect(write.status).toBe(403);
    expect(write.headers.get("content-type")).toMatch(/problem\+json/);
    expect(write.body).toMatchObject({ code: "forbidden", missingScope: "write" });
    const manage = await reader.get("/keys");
    expect(manage.body).toMatchObject({ missingScope: "admin" });

    const listed = await admin.get("/keys");
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((k: { keyId: string }) => k.keyId)).toEqual([created.body.key.keyId]);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(7));
  });

  it("rotation answers a new working secret; revocation marks the key revoked; unknown keys are 404", async () => {
    const projectId = uniqueProject("keys");
    const admin = new ApiClient(rt, projectId);
    const created = await admin.post("/keys", { scopes: ["read", "write"] });
    const keyId: string = created.body.key.keyId;
    const rotated = await admin.post(`/keys/${keyId}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect((await new ApiClient(rt, projectId, rotated.body.secret).get("/gatherings")).status).toBe(200);

    const revoked = await admin.delete(`/keys/${keyId}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    expect((await admin.delete("/keys/key_00000000")).status).toBe(404);
    expect((await admin.delete("/keys/not%20a%20key")).status).toBe(400);
  });

  it("another project's admin cannot see or revoke this project's keys", async () => {
    const mine = uniqueProject("keys");
    const created = await new ApiClient(rt, mine).post("/keys", { scopes: ["read"] });
    const other = new ApiClient(rt, uniqueProject("keys"));
    expect((await other.get("/keys")).body.items).toEqual([]);
    expect((await other.delete(`/keys/${created.body.key.keyId}`)).status).toBe(404);
  });

  it("bad bodies are 400 and create nothing", async () => {
    const projectId = uniqueProject("keys");
    const admin = new ApiClient(rt, projectId);
    for (const body of [{ scopes: [] }, { scopes: ["root"] }, { scopes: ["read"], secret: "mine" }, {}]) {
      expect((await admin.post("/keys", body)).status).toBe(400);
    }
    expect((await admin.get("/keys")).body.items).toEqual([]);
  });
});
