import { Agent, request, type IncomingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";

/**
 * A lean HTTP client for the local API over keep-alive sockets. It is deliberately thin (node:http, no
 * fetch machinery), so what the bench attributes to the API is the API's cost, not the client's.
 */
export interface HttpResult<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
  /** From the call to the last byte of the response (JSON parsing excluded). */
  ms: number;
  /** Date.now() when the response was complete (cross-process timestamps use the wall clock). */
  at: number;
}

export class BenchHttp {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    private readonly apiKey: string,
    maxSockets = 64,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  request<T = unknown>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.apiKey}`,
            ...(payload !== undefined && {
              "Content-Type": "application/json",
              "Content-Length": Buffer.byteLength(payload),
            }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () => {
            const ms = performance.now() - started;
            const at = Date.now();
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            if (/json/.test(res.headers["content-type"] ?? "") && text) {
              try {
                parsed = JSON.parse(text);
              } catch {
                // leave the raw text: the caller reports an unexpected response
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed as T, ms, at });
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out after 30 s`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Throws with the response when the status is not the expected one (the caller counts it as an error). */
export function expectStatus<T>(result: HttpResult<T>, status: number, what: string): HttpResult<T> {
  if (result.status !== status) {
    throw new UnexpectedResponse(`${what}: expected ${status}, got ${result.status} ${JSON.stringify(result.body)}`);
  }
  return result;
}

export class UnexpectedResponse extends Error {
  override name = "UnexpectedResponse";
}
