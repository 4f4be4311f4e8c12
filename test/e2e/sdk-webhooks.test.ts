import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateWebhookSecret, isValidWebhook, webhookHeaders } from "../../shared/consumers/webhooks/signature.js";
import { CortexClient, CortexError, verifyWebhook, WebhookVerificationError } from "../../sdk/src/index.js";
import { uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";

/**
 * The SDK's webhook side: `verifyWebhook` (WebCrypto) against signatures made by the backend's own
 * signer, and the endpoint API end to end, with real deliveries verified by the SDK.
 */
const now = new Date("2026-11-21T12:00:00Z");
const seconds = Math.floor(now.getTime() / 1000);
const payload = JSON.stringify({ id: "evt_1", type: "gathering.created", version: 1, data: { name: "Ünïcødé ✓" } });

async function rejection(promise: Promise<unknown>): Promise<WebhookVerificationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookVerificationError);
  return error as WebhookVerificationError;
}

describe("verifyWebhook", () => {
  it("accepts what the backend signs and resolves with the parsed event, headers as object, Headers or any case", async () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders({ msgId: "evt_1", timestamp: seconds, payload, secrets: [secret] });
    expect(await verifyWebhook(secret, headers, payload, { now })).toEqual(JSON.parse(payload));
    expect(await verifyWebhook(secret, new Headers(headers), payload, { now })).toMatchObject({ id: "evt_1" });
    const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]));
    expect(await verifyWebhook(secret, upper, new TextEncoder().encode(payload), { now })).toMatchObject({
      type: "gathering.created",
    });
  });

  it("accepts either secret while a rotation signs with both", async () => {
    const [old, current] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = webhookHeaders({ msgId: "evt_2", timestamp: seconds, payload, secrets: [current, old] });
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    await expect(verifyWebhook(old, headers, payload, { now })).resolves.toBeTruthy();
    await expect(verifyWebhook(current, headers, payload, { now })).resolves.toBeTruthy();
  });

  it("rejects a changed body, id or timestamp, another secret, stale or future timestamps and missing headers", async () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders({ msgId: "evt_3", timestamp: seconds, payload, secrets: [secret] });
    const reason = async (...args: Parameters<typeof verifyWebhook>) =>
      (await rejection(verifyWebhook(...args))).reason;
    expect(await reason(secret, headers, payload.replace("1", "2"), { now })).toBe("no_matching_signature");
    expect(await reason(secret, { ...headers, "webhook-id": "evt_4" }, payload, { now })).toBe("no_matching_signature");
    expect(await reason(generateWebhookSecret(), headers, payload, { now })).toBe("no_matching_signature");
    const later = new Date(now.getTime() + 301_000);
    expect(await reason(secret, headers, payload, { now: later })).toBe("timestamp_too_old");
    const earlier = new Date(now.getTime() - 301_000);
    expect(await reason(secret, headers, payload, { now: earlier })).toBe("timestamp_too_new");
    expect(await reason(secret, { ...headers, "webhook-timestamp": String(seconds + 1) }, payload, { now })).toBe(
      "no_matching_signature",
    );
    expect(await reason(secret, { ...headers, "webhook-timestamp": "soon" }, payload, { now })).toBe(
      "invalid_timestamp",
    );
    expect(await reason(secret, { "webhook-id": "evt_3" }, payload, { now })).toBe("missing_headers");
    expect(await reason("whsec_not base64!", headers, payload, { now })).toBe("invalid_secret");
    const junk = { ...headers, "webhook-signature": "v2,abc v1 v1,@@@" };
    expect(await reason(secret, junk, payload, { now })).toBe("no_matching_signature");
  });

  it("agrees with the backend's own verifier on random deliveries, tampered or not", async () => {
    for (let i = 0; i < 50; i++) {
      const secret = generateWebhookSecret();
      const body = JSON.stringify({ n: i, text: "x".repeat(i) });
      const headers = webhookHeaders({ msgId: `evt_${i}`, timestamp: seconds, payload: body, secrets: [secret] });
      const sent = i % 3 === 0 ? body.replace("x", "y") : body;
      const ours = await verifyWebhook(secret, headers, sent, { now }).then(
        () => true,
        () => false,
      );
      expect(ours).toBe(isValidWebhook(secret, headers, sent, { now }));
    }
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

describe("webhook endpoints through the SDK", () => {
  const rt = sharedRuntime();
  let server: Server;
  let url: string;
  const received: Received[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  const headersOf = (r: Received) => r.headers as Record<string, string>;

  it("create, list, get, update, deliveries verified with verifyWebhook, attempts, replay, rotate and delete", async () => {
    const project = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey }).project(uniqueProject("whk"));
    const endpoint = await project.webhooks.create({ url, events: ["gathering.member.*"], description: "sdk" });
    expect(endpoint).toMatchObject({ url, events: ["gathering.member.*"], enabled: true, description: "sdk" });
    expect(endpoint.secret).toMatch(/^whsec_/);
    const { secret: _secret, ...shown } = endpoint;
    expect(await project.webhooks.get(endpoint.id)).toEqual(shown);
    expect((await project.webhooks.list().toArray()).map((w) => w.id)).toEqual([endpoint.id]);
    expect(await project.webhooks.update(endpoint.id, { description: "renamed" })).toMatchObject({
      description: "renamed",
    });

    const lobby = await project.gatherings.create({ name: "Hooked", type: "lobby" });
    await lobby.addMember({ participantId: "p1" });
    const first = await eventually(async () => received.find((r) => r.body.includes(lobby.id)));
    const event = await verifyWebhook(endpoint.secret, headersOf(first), first.body);
    expect(event).toMatchObject({ type: "gathering.member.joined", data: { member: { participantId: "p1" } } });
    expect(headersOf(first)["webhook-id"]).toBe(event.id);

    const attempts = await eventually(async () => {
      const list = await project.webhooks.attempts(endpoint.id).toArray();
      return list.length > 0 ? list : undefined;
    });
    expect(attempts[0]).toMatchObject({
      webhookId: endpoint.id,
      eventId: event.id,
      ok: true,
      status: 200,
      replay: false,
    });
    expect((await project.webhooks.eventAttempts(event.id).toArray()).map((a) => a.eventId)).toEqual([event.id]);

    const before = received.length;
    await project.webhooks.replay(endpoint.id, event.id);
    const replayed = await eventually(async () => received.slice(before).find((r) => r.body.includes(event.id)));
    expect(await verifyWebhook(endpoint.secret, headersOf(replayed), replayed.body)).toMatchObject({ id: event.id });

    const rotated = await project.webhooks.rotateSecret(endpoint.id, { graceSeconds: 3600 });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    const count = received.length;
    await lobby.ready("p1");
    const afterRotation = await eventually(async () =>
      received.slice(count).find((r) => r.body.includes("gathering.member.ready")),
    );
    // Both secrets sign during the grace period.
    await expect(verifyWebhook(rotated.secret, headersOf(afterRotation), afterRotation.body)).resolves.toBeTruthy();
    await expect(verifyWebhook(endpoint.secret, headersOf(afterRotation), afterRotation.body)).resolves.toBeTruthy();

    await project.webhooks.delete(endpoint.id);
    const gone = await project.webhooks.get(endpoint.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(CortexError);
    expect(gone).toMatchObject({ status: 404 });
  });
});
