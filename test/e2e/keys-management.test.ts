import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { ApiClient, uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";

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

/** A loopback receiver that records every webhook delivery's body. */
async function webhookReceiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hooks`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

describe("key changes are audited", () => {
  it("create, rotate and revoke each land in the activity feed and at the webhooks, by the acting key, with no secret", async () => {
    const projectId = uniqueProject("audit");
    const admin = new ApiClient(rt, projectId);
    const hook = await webhookReceiver();
    try {
      const endpoint = await admin.post("/webhooks", { url: hook.url, events: ["key.*"], description: "audit" });
      expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
      const keyAdmin = await admin.post("/keys", { scopes: ["read", "write", "admin"], description: "ops" });
      const actingKey: string = keyAdmin.body.key.keyId;
      const ops = new ApiClient(rt, projectId, keyAdmin.body.secret);
      const created = await ops.post("/keys", { scopes: ["read"], description: "reader" });
      const rotated = await ops.post(`/keys/${created.body.key.keyId}/rotate`);
      expect((await ops.delete(`/keys/${rotated.body.key.keyId}`)).status).toBe(200);
      const secrets = [keyAdmin.body.secret, created.body.secret, rotated.body.secret] as string[];

      const audited = await eventually(async () => {
        const items = (await admin.get("/activity?limit=100")).body.items as any[];
        const keyEvents = items.filter((e) => e.type.startsWith("key.") && e.actor?.id === actingKey);
        return keyEvents.length === 4 ? keyEvents : undefined;
      });
      expect(audited.map((e) => [e.type, e.resource])).toEqual([
        ["key.created", `apiKey:${created.body.key.keyId}`],
        ["key.created", `apiKey:${rotated.body.key.keyId}`],
        ["key.rotated", `apiKey:${created.body.key.keyId}`],
        ["key.revoked", `apiKey:${rotated.body.key.keyId}`],
      ]);
      expect(audited[2].data).toMatchObject({ replacedBy: rotated.body.key.keyId });
      // The webhook endpoint got the same events (and the admin key's own creation, by the dev key).
      await eventually(async () => (hook.bodies.filter((b) => b.includes('"key.')).length >= 5 ? true : undefined));
      const everything = JSON.stringify(audited) + hook.bodies.join("\n");
      for (const secret of secrets) expect(everything).not.toContain(secret.slice(3));
      expect(everything).not.toMatch(/[0-9a-f]{64}/);
    } finally {
      await hook.close();
    }
  });

  it("a key's use shows as lastUsedAt in the list", async () => {
    const projectId = uniqueProject("used");
    const admin = new ApiClient(rt, projectId);
    const created = await admin.post("/keys", { scopes: ["read"] });
    const before = (await admin.get("/keys")).body.items[0];
    expect(before.lastUsedAt).toBeUndefined();
    expect((await new ApiClient(rt, projectId, created.body.secret).get("/gatherings")).status).toBe(200);
    const after = (await admin.get("/keys")).body.items[0];
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.key.createdAt));
  });
});

describe("tenant keys at /v1/keys", () => {
  it("a tenant admin creates, lists, rotates and revokes keys of any project and tenant-wide ones", async () => {
    const tenant = new ApiClient(rt, "unused"); // the dev key: tenant-wide, every scope
    const projectId = uniqueProject("tenant");
    const forProject = await tenant.post("/v1/keys", { projectScope: projectId, scopes: ["read"], description: "p" });
    expect(forProject.status, JSON.stringify(forProject.body)).toBe(201);
    expect(forProject.body.key).toMatchObject({ projectScope: projectId, scopes: ["read"] });
    const wide = await tenant.post("/v1/keys", { projectScope: "*", scopes: ["read", "admin"], description: "w" });
    expect(wide.status).toBe(201);
    // The project key works in its project only; the project's admins see it in their list.
    expect((await new ApiClient(rt, projectId, forProject.body.secret).get("/gatherings")).status).toBe(200);
    expect((await new ApiClient(rt, projectId).get("/keys")).body.items.map((k: any) => k.keyId)).toEqual([
      forProject.body.key.keyId,
    ]);
    const ofProject = await tenant.get(`/v1/keys?projectScope=${projectId}`);
    expect(ofProject.body.items.map((k: any) => k.keyId)).toEqual([forProject.body.key.keyId]);
    const tenantWide = await tenant.get("/v1/keys?projectScope=*&limit=100");
    expect(tenantWide.body.items.map((k: any) => k.keyId)).toContain(wide.body.key.keyId);
    expect(tenantWide.body.items.every((k: any) => k.projectScope === "*")).toBe(true);
    // A tenant-wide admin key (not the dev key) manages them too.
    const wideAdmin = new ApiClient(rt, "unused", wide.body.secret);
    const rotated = await wideAdmin.post(`/v1/keys/${forProject.body.key.keyId}/rotate`);
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect((await wideAdmin.delete(`/v1/keys/${rotated.body.key.keyId}`)).body.revokedAt).toEqual(expect.any(String));
    expect((await wideAdmin.delete("/v1/keys/key_00000000")).status).toBe(404);
  });

  it("a project key, a key without admin and a scope the caller lacks are refused (403) and create nothing", async () => {
    const tenant = new ApiClient(rt, "unused");
    const projectId = uniqueProject("tenant");
    const projectAdmin = await new ApiClient(rt, projectId).post("/keys", { scopes: ["read", "write", "admin"] });
    const refused = await new ApiClient(rt, projectId, projectAdmin.body.secret).post("/v1/keys", {
      projectScope: projectId,
      scopes: ["read"],
    });
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/tenant-wide/);
    const reader = await tenant.post("/v1/keys", { projectScope: "*", scopes: ["read"] });
    const noAdmin = await new ApiClient(rt, "unused", reader.body.secret).get("/v1/keys");
    expect(noAdmin.body).toMatchObject({ status: 403, missingScope: "admin" });
    const narrow = await tenant.post("/v1/keys", { projectScope: "*", scopes: ["read", "admin"] });
    const escalate = await new ApiClient(rt, "unused", narrow.body.secret).post("/v1/keys", {
      projectScope: projectId,
      scopes: ["write"],
    });
    expect(escalate.body).toMatchObject({ status: 403, missingScope: "write" });
    for (const body of [{ scopes: ["read"] }, { projectScope: "no spaces", scopes: ["read"] }, { projectScope: "*" }]) {
      expect((await tenant.post("/v1/keys", body)).status).toBe(400);
    }
    expect((await tenant.get(`/v1/keys?projectScope=${projectId}`)).body.items.map((k: any) => k.keyId)).toEqual([
      projectAdmin.body.key.keyId,
    ]);
  });
});
