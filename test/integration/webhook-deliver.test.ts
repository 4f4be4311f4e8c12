/**
 * One webhook delivery attempt against a real node:http receiver on 127.0.0.1. The receiver's behaviour
 * is chosen per test; it records every connection and request so "refused" can be shown to send nothing.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse, type Server } from "node:http";
import { lookup } from "node:dns/promises";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deliverWebhook, WEBHOOK_USER_AGENT } from "../../shared/consumers/webhooks/deliver.js";
import { generateWebhookSecret, webhookHeaders } from "../../shared/consumers/webhooks/signature.js";
import { isPrivateAddress } from "../../shared/consumers/webhooks/url-guard.js";

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
let connections = 0;
let received: Received[] = [];
let respond: (res: ServerResponse, req: Received) => void = (res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(request);
      respond(res, request);
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

beforeEach(() => {
  // Drop the hung connection of the timeout test so it cannot leak into the next one.
  server.closeAllConnections();
  connections = 0;
  received = [];
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const local = { allowPrivate: true, allowHttp: true };
const secret = generateWebhookSecret();
const body = JSON.stringify({
  id: "evt_01J0000000000000000000000",
  type: "gathering.created",
  version: 1,
  projectId: "prj_1",
  tenantId: "ten_1",
  resource: "gathering:gth_1",
  occurredAt: "2030-01-01T00:00:00.000Z",
  data: { gathering: { name: "Café ☕" } },
});
const signed = () =>
  webhookHeaders({
    msgId: "evt_01J0000000000000000000000",
    timestamp: Math.floor(Date.now() / 1000),
    payload: body,
    secrets: [secret],
  });

// A name that passes the URL check yet points somewhere private: the machine's own name, on most machines.
const machine = hostname();
const machineAddresses = await lookup(machine, { all: true }).catch(() => []);
const machineIsLoopback = machineAddresses.length > 0 && machineAddresses.every((a) => a.address.startsWith("127."));

describe("delivering a webhook", () => {
  it("POSTs the signed body, which the receiver verifies with the reference standardwebhooks package", async () => {
    respond = (res) => res.writeHead(200, { "content-type": "text/plain" }).end("thanks");
    const result = await deliverWebhook({ url: `${base}/hooks?src=test`, body, headers: signed(), ...local });

    expect(result).toMatchObject({ ok: true, status: 200, responseSnippet: "thanks", gone: false });
    expect(result.error).toBeUndefined();
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/hooks?src=test");
    expect(request.body).toBe(body);
    expect(request.headers["user-agent"]).toBe(WEBHOOK_USER_AGENT);
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    const verified = new Webhook(secret).verify(request.body, request.headers as Record<string, string>);
    expect(verified).toEqual(JSON.parse(body));
  });

  it("counts any 2xx as delivered", async () => {
    respond = (res) => res.writeHead(204).end();
    expect(await deliverWebhook({ url: base, body, headers: signed(), ...local })).toMatchObject({
      ok: true,
      status: 204,
      responseSnippet: "",
    });
  });

  it("reports a 500 as a failed attempt with the status and the start of the response", async () => {
    respond = (res) => res.writeHead(500).end("database on fire");
    const result = await deliverWebhook({ url: base, body, headers: signed(), ...local });
    expect(result).toMatchObject({
      ok: false,
      status: 500,
      error: "HTTP 500",
      responseSnippet: "database on fire",
      gone: false,
    });
  });

  it("reports 410 Gone so the caller can disable the endpoint", async () => {
    respond = (res) => res.writeHead(410).end();
    const result = await deliverWebhook({ url: base, body, headers: signed(), ...local });
    expect(result).toMatchObject({ ok: false, status: 410, gone: true });
  });

  it("keeps only the first 1 KB of a long response", async () => {
    respond = (res) => res.writeHead(400).end("x".repeat(5000));
    const result = await deliverWebhook({ url: base, body, headers: signed(), ...local });
    expect(result).toMatchObject({ ok: false, status: 400 });
    expect(result.responseSnippet).toBe("x".repeat(1024));
  });

  it("does not follow a redirect, and counts it as a failed attempt", async () => {
    respond = (res, req) => {
      if (req.url === "/moved") res.writeHead(302, { location: `${base}/elsewhere` }).end();
      else res.writeHead(200).end();
    };
    const result = await deliverWebhook({ url: `${base}/moved`, body, headers: signed(), ...local });
    expect(result).toMatchObject({ ok: false, status: 302, gone: false });
    expect(result.error).toMatch(/redirect/);
    expect(received.map((request) => request.url)).toEqual(["/moved"]);
  });

  it("gives up on a receiver that never answers once the timeout passes", async () => {
    respond = () => {}; // holds the request open
    const result = await deliverWebhook({ url: base, body, headers: signed(), timeoutMs: 300, ...local });
    expect(result).toMatchObject({ ok: false, error: "timed out after 300 ms", gone: false });
    expect(result.status).toBeUndefined();
    expect(received).toHaveLength(1);
  });

  it("returns a refused connection instead of throwing", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const result = await deliverWebhook({ url: `http://127.0.0.1:${port}/`, body, headers: signed(), ...local });
    expect(result).toMatchObject({ ok: false, error: "connection refused (ECONNREFUSED)", gone: false });
    expect(result.status).toBeUndefined();
  });

  it("refuses a private target unless allowed, before anything reaches the receiver", async () => {
    respond = (res) => res.writeHead(200).end();
    for (const url of [base, base.replace("127.0.0.1", "localhost")]) {
      const result = await deliverWebhook({ url, body, headers: signed(), allowPrivate: false, allowHttp: true });
      expect(result, url).toMatchObject({ ok: false, gone: false });
      expect(result.error, url).toMatch(/^refused: .*private/);
      expect(result.status).toBeUndefined();
    }
    expect(connections).toBe(0);
    expect(received).toEqual([]);
  });

  it("reaches a receiver by name when private targets are allowed", async () => {
    respond = (res) => res.writeHead(200).end("by name");
    const url = base.replace("127.0.0.1", "localhost");
    expect(await deliverWebhook({ url, body, headers: signed(), ...local })).toMatchObject({ ok: true, status: 200 });
  });

  // The URL check cannot see where an ordinary name points; the lookup at connect time must refuse it.
  it.runIf(machineAddresses.some((a) => isPrivateAddress(a.address)))(
    "refuses at connect time a name that passes the URL check but resolves to a private address",
    async () => {
      const url = base.replace("127.0.0.1", machine);
      const result = await deliverWebhook({ url, body, headers: signed(), allowPrivate: false, allowHttp: true });
      expect(result).toMatchObject({ ok: false, gone: false });
      expect(result.error).toBe(
        `${machine} resolves to a private, loopback or reserved address; webhooks go to public addresses only`,
      );
      expect(connections).toBe(0);
      // The same name does reach the receiver when private targets are allowed, so the refusal was the guard's.
      if (machineIsLoopback) {
        respond = (res) => res.writeHead(200).end();
        expect(await deliverWebhook({ url, body, headers: signed(), ...local })).toMatchObject({ ok: true });
      }
    },
  );

  it("refuses plain http unless allowed", async () => {
    const result = await deliverWebhook({ url: base, body, headers: signed(), allowPrivate: true, allowHttp: false });
    expect(result).toMatchObject({ ok: false, error: "refused: the URL must use https" });
    expect(connections).toBe(0);
  });
});
