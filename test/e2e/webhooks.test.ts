import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiClient, uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime, startRuntime, type RunningRuntime } from "../support/runtime.js";

/** Standard Webhooks delivery through the local runtime (fan-out → local SQS → delivery worker) to a loopback receiver. */
const rt = sharedRuntime();
let strict: RunningRuntime;
beforeAll(async () => {
  // As on AWS: private and plain-http targets refused.
  strict = await startRuntime(["--in-memory"], { WEBHOOK_ALLOW_PRIVATE_TARGETS: "false", WEBHOOK_ALLOW_HTTP: "false" });
});
afterAll(async () => {
  strict.process.kill("SIGINT");
  await strict.exited;
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 that answers each delivery with the next status of a script (then 200). */
async function receiver(script: number[] = []): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(script.shift() ?? 200);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/hooks`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const headersOf = (r: Received) => ({
  "webhook-id": String(r.headers["webhook-id"]),
  "webhook-timestamp": String(r.headers["webhook-timestamp"]),
  "webhook-signature": String(r.headers["webhook-signature"]),
});

describe("webhook delivery", () => {
  it("a receiver answering 500 twice then 200 sees three verified attempts with one webhook-id, all logged", async () => {
    const api = new ApiClient(rt, uniqueProject("whk"));
    const hook = await receiver([500, 500]);
    try {
      const created = await api.post("/webhooks", { url: hook.url, events: ["gathering.created"], description: "ci" });
      expect(created.status).toBe(201);
      expect(created.body.secret).toMatch(/^whsec_/);
      const verifier = new Webhook(created.body.secret);
      const gathering = await api.create({ name: "Hooked", type: "lobby" });

      await eventually(async () => (hook.received.length >= 3 ? true : undefined));
      // A later event is the marker: once it has arrived, a repeat of the first would have had its chance.
      const marker = await api.create({ name: "Marker", type: "lobby" });
      await eventually(async () => (hook.received.some((r) => r.body.includes(marker.id)) ? true : undefined));
      const first = hook.received.filter((r) => !r.body.includes(marker.id));
      expect(first).toHaveLength(3);
      const ids = new Set(first.map((r) => r.headers["webhook-id"]));
      expect(ids.size).toBe(1);
      for (const r of first) {
        const payload = verifier.verify(r.body, headersOf(r)) as { type: string; resource: string; id: string };
        expect(payload).toMatchObject({ type: "gathering.created", resource: `gathering:${gathering.id}` });
        expect(r.headers["webhook-id"]).toBe(payload.id);
      }
      const attempts = await eventually(async () => {
        const page = (await api.get(`/webhooks/${created.body.id}/attempts`)).body.items as any[];
        const ofFirst = page.filter((a) => a.eventId === [...ids][0]);
        return ofFirst.length === 3 ? ofFirst : undefined;
      });
      expect(attempts.map((a) => [a.attempt, a.status, a.ok]).reverse()).toEqual([
        [1, 500, false],
        [2, 500, false],
        [3, 200, true],
      ]);
      const eventId = [...ids][0];
      expect((await api.get(`/events/${eventId}/attempts`)).body.items).toHaveLength(3);
    } finally {
      await hook.close();
    }
  });

  it("delivers only the events its filters match", async () => {
    const api = new ApiClient(rt, uniqueProject("whk"));
    const hook = await receiver();
    try {
      await api.post("/webhooks", { url: hook.url, events: ["gathering.member.*"] });
      const g = await api.create({ name: "L", type: "lobby" });
      await api.post(`/gatherings/${g.id}/members`, { participantId: "a" });
      await api.post(`/gatherings/${g.id}/members/a/ready`);
      // The last member event is the marker: everything the first steps produced was fanned out before it.
      await api.post(`/gatherings/${g.id}/members`, { participantId: "marker" });
      await eventually(async () => (hook.received.some((r) => r.body.includes('"marker"')) ? true : undefined));
      await eventually(async () => (hook.received.length >= 3 ? true : undefined));
      expect(hook.received.map((r) => JSON.parse(r.body).type).sort()).toEqual([
        "gathering.member.joined",
        "gathering.member.joined",
        "gathering.member.ready",
      ]);
    } finally {
      await hook.close();
    }
  });

  it("a 410 Gone disables the endpoint", async () => {
    const api = new ApiClient(rt, uniqueProject("whk"));
    const hook = await receiver([410]);
    try {
      const created = (await api.post("/webhooks", { url: hook.url })).body;
      await api.create({ name: "Gone", type: "lobby" });
      const endpoint = await eventually(async () => {
        const current = (await api.get(`/webhooks/${created.id}`)).body;
        return current.enabled === false ? current : undefined;
      });
      expect(endpoint.disabledReason).toMatch(/410/);
      // A second endpoint is the marker: the event that reaches it was fanned out to the first one too.
      const witness = await receiver();
      try {
        await api.post("/webhooks", { url: witness.url });
        const after = await api.create({ name: "After", type: "lobby" });
        await eventually(async () => (witness.received.some((r) => r.body.includes(after.id)) ? true : undefined));
        expect(hook.received).toHaveLength(1);
      } finally {
        await witness.close();
      }
    } finally {
      await hook.close();
    }
  });

  it("after a rotation both the old and the new secret verify deliveries during the grace period", async () => {
    const api = new ApiClient(rt, uniqueProject("whk"));
    const hook = await receiver();
    try {
      const created = (await api.post("/webhooks", { url: hook.url })).body;
      const rotated = await api.post(`/webhooks/${created.id}/rotate-secret`, { graceSeconds: 3600 });
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).not.toBe(created.secret);
      await api.create({ name: "Rotated", type: "lobby" });
      await eventually(async () => (hook.received.length >= 1 ? true : undefined));
      const [delivery] = hook.received;
      expect(String(delivery!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
      for (const secret of [created.secret, rotated.body.secret]) {
        expect(() => new Webhook(secret).verify(delivery!.body, headersOf(delivery!))).not.toThrow();
      }
      // No grace: the old secret stops signing at once.
      const hard = await api.post(`/webhooks/${created.id}/rotate-secret`, { graceSeconds: 0 });
      await api.create({ name: "Hard", type: "lobby" });
      await eventually(async () => (hook.received.length >= 2 ? true : undefined));
      const latest = hook.received[1]!;
      // Every earlier secret ends with a zero-grace rotation: only the newest signs.
      expect(String(latest.headers["webhook-signature"]).split(" ")).toHaveLength(1);
      expect(() => new Webhook(hard.body.secret).verify(latest.body, headersOf(latest))).not.toThrow();
      for (const old of [created.secret, rotated.body.secret]) {
        expect(() => new Webhook(old).verify(latest.body, headersOf(latest))).toThrow();
      }
    } finally {
      await hook.close();
    }
  });

  it("replays an event to an endpoint on demand, with the same webhook-id, logged as a replay", async () => {
    const api = new ApiClient(rt, uniqueProject("whk"));
    const hook = await receiver();
    try {
      const created = (await api.post("/webhooks", { url: hook.url, events: ["gathering.created"] })).body;
      await api.create({ name: "Replay me", type: "lobby" });
      await eventually(async () => (hook.received.length >= 1 ? true : undefined));
      const eventId = String(hook.received[0]!.headers["webhook-id"]);
      await eventually(async () => ((await api.get(`/activity`)).body.items.length > 0 ? true : undefined));
      const replay = await api.post(`/webhooks/${created.id}/replay`, { eventId });
      expect(replay.status).toBe(202);
      await eventually(async () => (hook.received.length >= 2 ? true : undefined));
      expect(hook.received[1]!.headers["webhook-id"]).toBe(eventId);
      const attempts = await eventually(async () => {
        const items = (await api.get(`/webhooks/${created.id}/attempts`)).body.items as any[];
        return items.length === 2 ? items : undefined;
      });
      expect(attempts.map((a) => a.replay).sort()).toEqual([false, true]);
      expect((await api.post(`/webhooks/${created.id}/replay`, { eventId: "evt_unknown" })).status).toBe(404);
    } finally {
      await hook.close();
    }
  });
});

describe("webhook endpoints API", () => {
  it("creates, lists, reads (never the secret), updates and deletes endpoints", async () => {
    const api = new ApiClient(rt, uniqueProject("whk"));
    const created = await api.post("/webhooks", { url: "http://127.0.0.1:9/x", events: ["*"], description: "d" });
    expect(created.body).toMatchObject({ enabled: true, events: ["*"], description: "d" });
    const read = await api.get(`/webhooks/${created.body.id}`);
    expect(read.body.secret).toBeUndefined();
    expect(read.body.secrets).toBeUndefined();
    expect((await api.get("/webhooks")).body.items.map((w: any) => w.id)).toEqual([created.body.id]);
    const updated = await api.patch(`/webhooks/${created.body.id}`, { enabled: false, events: ["gathering.*"] });
    expect(updated.body).toMatchObject({ enabled: false, events: ["gathering.*"] });
    expect((await api.delete(`/webhooks/${created.body.id}`)).status).toBe(204);
    expect((await api.get(`/webhooks/${created.body.id}`)).status).toBe(404);
    expect((await api.delete(`/webhooks/${created.body.id}`)).status).toBe(404);
  });

  it("rejects bad URLs and filters with 400 naming the field", async () => {
    const api = new ApiClient(rt, uniqueProject("whk"));
    const paths = async (body: unknown) => (await api.post("/webhooks", body)).body.errors?.map((e: any) => e.path);
    expect(await paths({ url: "ftp://example.com/x" })).toEqual(["url"]);
    expect(await paths({ url: "https://example.com/x", events: ["gathering.nope"] })).toEqual(["events.0"]);
    expect(await paths({ url: "https://example.com/x", events: ["gathering.*", "gathering.*"] })).toEqual(["events.1"]);
    expect((await api.get("/webhooks")).body.items).toEqual([]);
  });

  it("on AWS settings, refuses private and plain-http targets", async () => {
    const api = new ApiClient(strict, uniqueProject("whk"));
    for (const url of [
      "http://127.0.0.1:8080/x",
      "https://127.0.0.1/x",
      "https://localhost/x",
      "https://169.254.169.254/latest",
      "https://10.0.0.1/x",
    ]) {
      const response = await api.post("/webhooks", { url });
      expect(response.status, url).toBe(400);
      expect(response.body.errors[0].path).toBe("url");
    }
    expect((await api.post("/webhooks", { url: "https://example.com/hooks" })).status).toBe(201);
  });
});
