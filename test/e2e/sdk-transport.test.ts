import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CortexClient, CortexConnectionError, CortexError, ValidationFailedError } from "../../sdk/src/index.js";

/**
 * The SDK's HTTP layer against a tiny local server that answers what each test scripts: retries of
 * idempotent calls (with one Idempotency-Key per call), no retry of PATCH or of 4xx, Retry-After, and
 * the typed errors.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let baseUrl: string;
let script: Handler[] = [];
let seen: Array<{ method: string; url: string; headers: IncomingMessage["headers"]; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const handler = script[Math.min(seen.length - 1, script.length - 1)]!;
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  script = [];
  seen = [];
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, {
      "Content-Type": status >= 400 ? "application/problem+json" : "application/json",
      ...headers,
    });
    res.end(JSON.stringify(body));
  };
const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  json(status, { type: `urn:cortex:problem:${code}`, title: code.replace(/_/g, " "), status, code, ...extra });
const gathering = (id: string) => ({ id, name: "L", type: "lobby", status: "open", version: 1 });
const dropConnection: Handler = (req) => req.socket.destroy();

const project = (options: { maxRetries?: number; timeoutMs?: number } = {}) =>
  new CortexClient({ baseUrl, apiKey: "test-key", retryBaseMs: 5, ...options }).project("proj");

describe("retries", () => {
  it("retries a POST that got 503 and sends the same Idempotency-Key both times", async () => {
    script = [problem(503, "unavailable"), json(201, gathering("gth_1"))];
    const lobby = await project().gatherings.create({ name: "L", type: "lobby" });
    expect(lobby.id).toBe("gth_1");
    expect(seen).toHaveLength(2);
    const keys = seen.map((r) => r.headers["idempotency-key"]);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(seen.map((r) => r.body)).toEqual([JSON.stringify({ name: "L", type: "lobby" }), seen[0]!.body]);
    expect(seen[0]!.headers.authorization).toBe("Bearer test-key");
  });

  it("gives every POST call its own key, and uses the caller's key when given", async () => {
    script = [json(201, gathering("gth_1"))];
    const p = project();
    await p.gatherings.create({ name: "L", type: "lobby" });
    await p.gatherings.create({ name: "L", type: "lobby" });
    await p.gatherings.create({ name: "L", type: "lobby" }, { idempotencyKey: "mine-1" });
    const keys = seen.map((r) => r.headers["idempotency-key"]);
    expect(new Set(keys).size).toBe(3);
    expect(keys[2]).toBe("mine-1");
  });

  it("retries a GET after a dropped connection and after 429 (honouring Retry-After)", async () => {
    const throttled = json(
      429,
      { type: "t", title: "Too many requests", status: 429, code: "throttled" },
      { "Retry-After": "1" },
    );
    script = [dropConnection, throttled, json(200, gathering("gth_2"))];
    const started = Date.now();
    const lobby = await project().gatherings.get("gth_2");
    expect(lobby.id).toBe("gth_2");
    expect(seen.map((r) => r.method)).toEqual(["GET", "GET", "GET"]);
    expect(seen[0]!.headers["idempotency-key"]).toBeUndefined();
    // Retry-After: 1 was waited out before the last try (a lower bound: a slow machine only adds to it).
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("does not retry a PATCH (not idempotent), nor a 4xx, and gives up after maxRetries", async () => {
    script = [json(200, gathering("gth_3"))];
    const lobby = await project({ maxRetries: 2 }).gatherings.get("gth_3");
    seen = [];
    script = [problem(503, "unavailable")];
    await expect(lobby.update({ name: "x" })).rejects.toMatchObject({ status: 503 });
    expect(seen.map((r) => r.method)).toEqual(["PATCH"]);

    seen = [];
    script = [problem(409, "invalid_transition")];
    await expect(lobby.start()).rejects.toMatchObject({ status: 409, code: "invalid_transition" });
    expect(seen).toHaveLength(1);

    seen = [];
    script = [problem(503, "unavailable")];
    await expect(lobby.refresh()).rejects.toMatchObject({ status: 503, code: "unavailable" });
    expect(seen).toHaveLength(3);
  });
});

describe("errors", () => {
  it("throws a CortexError with status, code, the problem and the request id", async () => {
    script = [
      json(
        400,
        {
          type: "urn:cortex:problem:validation_failed",
          title: "Request validation failed",
          status: 400,
          code: "validation_failed",
          detail: "The body is not valid",
          errors: [{ path: "name", message: "Required" }],
        },
        { "x-amzn-RequestId": "req-123" },
      ),
    ];
    const error = await project()
      .gatherings.create({ name: "", type: "lobby" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CortexError);
    expect(error).toBeInstanceOf(ValidationFailedError);
    expect(error).toMatchObject({
      name: "ValidationFailedError",
      status: 400,
      code: "validation_failed",
      message: "Request validation failed: The body is not valid",
      requestId: "req-123",
      errors: [{ path: "name", message: "Required" }],
      problem: { type: "urn:cortex:problem:validation_failed", status: 400, detail: "The body is not valid" },
    });
  });

  it("makes a CortexError of a non-problem error body too", async () => {
    script = [
      (_req, res) => {
        res.writeHead(502, "Bad Gateway", { "Content-Type": "text/html" });
        res.end("<h1>upstream</h1>");
      },
    ];
    const error = (await project({ maxRetries: 0 })
      .gatherings.get("g")
      .catch((e: unknown) => e)) as CortexError;
    expect(error).toMatchObject({
      status: 502,
      code: "http_502",
      problem: { title: "Bad Gateway", detail: "<h1>upstream</h1>" },
    });
  });

  it("reports an unreachable API and a silent one as CortexConnectionError (status 0)", async () => {
    const closed = new CortexClient({ baseUrl: "http://127.0.0.1:9", apiKey: "k", maxRetries: 1, retryBaseMs: 1 });
    const unreachable = await closed
      .project("p")
      .gatherings.get("g")
      .catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(CortexConnectionError);
    expect(unreachable).toMatchObject({ status: 0, code: "network_error" });

    script = [() => undefined]; // never answers
    const silent = await project({ maxRetries: 0, timeoutMs: 200 })
      .gatherings.get("g")
      .catch((e: unknown) => e);
    expect(silent).toBeInstanceOf(CortexError);
    expect(silent).toMatchObject({ status: 0, code: "timeout" });
  });

  it("refuses to build a client without an API key (e.g. an unset environment variable)", () => {
    expect(() => new CortexClient({ baseUrl, apiKey: undefined })).toThrow(/apiKey/);
  });
});
