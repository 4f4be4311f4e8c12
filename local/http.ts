/** HTTP plumbing shared by the local AWS emulators that speak JSON (Scheduler, SQS). */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface JsonBodyOptions {
  maxBytes: number;
  /** The error to reject with once the body exceeds `maxBytes` (the request is then destroyed). */
  onTooLarge: () => Error;
  /** The error to reject with when the body is not valid JSON. */
  onInvalid: () => Error;
}

/** Reads a request body as JSON; an empty (or blank) body reads as `{}`. */
export function readJsonBody(req: IncomingMessage, options: JsonBodyOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes) {
        reject(options.onTooLarge());
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(options.onInvalid());
      }
    });
  });
}

/**
 * Answers with `body` as JSON and a fresh `x-amzn-requestid`, as AWS services do. The content type is
 * `application/json` unless `headers` names another.
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    "x-amzn-requestid": randomUUID(),
    ...headers,
  });
  res.end(payload);
}

/** Listens on 127.0.0.1 (`port` 0: an ephemeral one) and resolves with the port it got. */
export async function listenOnLoopback(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Closes `server` while `stopWork` winds down the emulator's background work. Keep-alive sockets that
 * were busy when it closed get their requests a moment to finish, then are dropped.
 */
export async function closeServer(server: Server, stopWork: () => Promise<void>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await stopWork();
  const force = setTimeout(() => server.closeAllConnections(), 1000);
  await closed;
  clearTimeout(force);
}
