import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";

/**
 * A counting pass-through in front of DynamoDB Local (`CORTEX_LOCAL_COUNT_DYNAMODB=true`): every request
 * the functions and the live hub send is counted by its operation (`X-Amz-Target`), and
 * `GET /local/dynamodb/requests` (dev key) answers the counts — how tests and the bench see what reaches
 * the database, e.g. that idle watchers cost no reads.
 */
export interface RequestCounter {
  endpoint: string;
  counts(): Record<string, number>;
  /** Serves `GET /local/dynamodb/requests`; true when it answered. */
  route(req: IncomingMessage, res: ServerResponse, apiKey: string): boolean;
  stop(): Promise<void>;
}

export async function startRequestCounter(upstream: string): Promise<RequestCounter> {
  const target = new URL(upstream);
  const counts: Record<string, number> = {};
  const server = createServer((req, res) => {
    const operation = String(req.headers["x-amz-target"] ?? "unknown").replace(/^DynamoDB_\d+\./, "");
    counts[operation] = (counts[operation] ?? 0) + 1;
    const forward = request(
      {
        host: target.hostname,
        port: Number(target.port),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on("error", () => {
      if (!res.headersSent) res.writeHead(503, { "Content-Type": "application/x-amz-json-1.0" });
      res.end(JSON.stringify({ __type: "ServiceUnavailable", message: "DynamoDB Local is unavailable" }));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    route(req, res, apiKey) {
      if (req.method !== "GET" || new URL(req.url ?? "/", "http://localhost").pathname !== "/local/dynamodb/requests") {
        return false;
      }
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        res.writeHead(401, { "Content-Type": "application/problem+json" });
        res.end(JSON.stringify({ title: "Unauthorized", status: 401, detail: "the dev API key is required" }));
        return true;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ counts }));
      return true;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
