import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { advanceClock, systemClock } from "../shared/kernel/clock.js";
import type { ScheduleWrites } from "./scheduler/server.js";

/**
 * The local runtime's own routes on the API server (never on AWS, where CloudWatch alarms on the
 * dead-letter queues and the documented redrives take their place):
 *
 * - `GET /health` — 200 when every part is up and nothing is dead-lettered; 503 otherwise, naming the
 *   consumer that failed, how many dead letters wait, and whether DynamoDB Local is down.
 * - `POST /local/redrive` (with the dev API key) — delivers every dead letter again; `npm run redrive`.
 * - `GET /local/clock` — the runtime's time; `POST /local/clock {"advanceSeconds": N}` (dev API key) moves
 *   it forward, so tests and demos need not wait for a schedule or an expiry in real time.
 * - `GET /local/scheduler/writes?prefix=P` (dev API key) — the local scheduler's writes per schedule name
 *   starting with P: `{ writes: { [name]: { create, update, delete, refused } }, total }` (`total` adds up the
 *   writes that succeeded), so a test can hold schedule writes to a bound (session idle deadlines are
 *   re-armed per idle window, not per message).
 */
export interface ConsumerHealth {
  /** The rule (or queue) whose target failed. */
  rule: string;
  /** The function behind it. */
  function: string;
  deadLetters: number;
  lastError?: string;
  lastFailedAt?: string;
}

export interface HealthReport {
  status: "ok" | "unhealthy";
  dynamodb: { up: boolean; restarts: number };
  consumers: ConsumerHealth[];
  /** Stream batches the publisher gave up on (`stream-failures.jsonl`). */
  streamFailures: number;
  /** Stream batches the message sequencer gave up on (`stream-failures-sequencer.jsonl`). */
  sequencerFailures: number;
  problems: string[];
}

export interface RedriveReport {
  events: number;
  webhookDeliveries: number;
  /** Dead letters moved back to each consumer queue (webhook deliveries, plugins), by queue. */
  queued?: Record<string, number>;
}

export interface ScheduleWritesReport {
  writes: Record<string, ScheduleWrites>;
  /** Every write that succeeded (create + update + delete; not the refused requests). */
  total: number;
}

export interface AdminOptions {
  health: () => Promise<HealthReport>;
  redrive: (filter: { rule?: string }) => Promise<RedriveReport>;
  /** Writes per schedule name starting with the prefix. */
  scheduleWrites: (namePrefix: string) => Record<string, ScheduleWrites>;
  apiKey: string;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers });
  res.end(JSON.stringify(body, null, 2) + "\n");
}

function sameKey(header: string | undefined, apiKey: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1] ?? "");
  const expected = Buffer.from(apiKey);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function adminRoutes(options: AdminOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/health") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendJson(res, 405, { error: "GET /health" }, { Allow: "GET, HEAD" });
        return true;
      }
      const report = await options.health();
      sendJson(res, report.status === "ok" ? 200 : 503, report);
      return true;
    }
    if (url.pathname === "/local/clock") {
      if (req.method === "GET") {
        sendJson(res, 200, { now: systemClock.now().toISOString() });
        return true;
      }
      if (req.method !== "POST") {
        sendJson(res, 405, { error: "GET or POST /local/clock" }, { Allow: "GET, POST" });
        return true;
      }
      if (!sameKey(req.headers.authorization, options.apiKey)) {
        sendJson(res, 401, { error: "send the dev API key: Authorization: Bearer <key>" });
        return true;
      }
      let seconds: unknown;
      try {
        seconds = (JSON.parse((await readBody(req)) || "{}") as { advanceSeconds?: unknown }).advanceSeconds;
      } catch {
        seconds = undefined;
      }
      if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0 || seconds > 366 * 86_400) {
        sendJson(res, 400, { error: 'send {"advanceSeconds": N}, 0 ≤ N ≤ a year' });
        return true;
      }
      sendJson(res, 200, { now: advanceClock(seconds * 1000).toISOString() });
      return true;
    }
    if (url.pathname === "/local/scheduler/writes") {
      if (req.method !== "GET") {
        sendJson(res, 405, { error: "GET /local/scheduler/writes?prefix=<schedule name prefix>" }, { Allow: "GET" });
        return true;
      }
      if (!sameKey(req.headers.authorization, options.apiKey)) {
        sendJson(res, 401, { error: "send the dev API key: Authorization: Bearer <key>" });
        return true;
      }
      const writes = options.scheduleWrites(url.searchParams.get("prefix") ?? "");
      const total = Object.values(writes).reduce((n, w) => n + w.create + w.update + w.delete, 0);
      sendJson(res, 200, { writes, total } satisfies ScheduleWritesReport);
      return true;
    }
    if (url.pathname === "/local/redrive") {
      if (req.method !== "POST") {
        sendJson(res, 405, { error: "POST /local/redrive" }, { Allow: "POST" });
        return true;
      }
      if (!sameKey(req.headers.authorization, options.apiKey)) {
        sendJson(res, 401, { error: "send the dev API key: Authorization: Bearer <key>" });
        return true;
      }
      const rule = url.searchParams.get("rule");
      sendJson(res, 200, await options.redrive(rule ? { rule } : {}));
      return true;
    }
    return false;
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = "";
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 10_000) throw new Error("request body too large");
  }
  return body;
}
