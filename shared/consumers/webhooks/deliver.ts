import type { ClientRequest, IncomingMessage } from "node:http";
import { http, https } from "../../kernel/node-builtins.js";
import { performance } from "node:perf_hooks";
import { guardedLookup, validateWebhookUrl, type UrlPolicy } from "./url-guard.js";

/**
 * One delivery attempt: a single POST, no redirects followed, 2xx = delivered. Uses node:http(s) rather
 * than fetch because only they take a custom `lookup`, which is where private addresses are refused.
 * Never throws: every failure comes back as `error`, for the attempt log and the retry schedule.
 */

export const WEBHOOK_USER_AGENT = "cortex-webhooks/1";
export const DEFAULT_DELIVERY_TIMEOUT_MS = 15_000;
const SNIPPET_BYTES = 1024;

export interface DeliveryRequest extends UrlPolicy {
  url: string;
  body: string;
  /** Usually `webhookHeaders(…)`; `user-agent` and `content-length` are set here. */
  headers: Record<string, string>;
  /** Bounds the whole attempt: lookup, connect, TLS, request and response headers. */
  timeoutMs?: number;
}

export interface DeliveryResult {
  /** A 2xx arrived within the timeout. */
  ok: boolean;
  status?: number;
  durationMs: number;
  /** Why the attempt failed, fit to show the endpoint owner. */
  error?: string;
  /** The first 1 KB of the response body, as UTF-8. */
  responseSnippet?: string;
  /** 410 Gone: the owner asks us to stop; the caller should disable the endpoint rather than retry. */
  gone: boolean;
}

export function deliverWebhook({
  url,
  body,
  headers,
  timeoutMs = DEFAULT_DELIVERY_TIMEOUT_MS,
  allowPrivate,
  allowHttp,
}: DeliveryRequest): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);

  const issues = validateWebhookUrl(url, { allowPrivate, allowHttp });
  if (issues.length > 0) {
    const error = `refused: the URL ${issues.map((issue) => issue.message).join(", ")}`;
    return Promise.resolve({ ok: false, durationMs: elapsed(), error, gone: false });
  }

  return new Promise((resolve) => {
    let req: ClientRequest | undefined;
    let response: { status: number; chunks: Buffer[]; bytes: number } | undefined;
    let settled = false;

    const settle = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req?.destroy();
      if (!response) return resolve({ ok: false, durationMs: elapsed(), error: error ?? "no response", gone: false });
      const { status } = response;
      const ok = status >= 200 && status < 300;
      resolve({
        ok,
        status,
        durationMs: elapsed(),
        ...(ok ? {} : { error: statusError(status) }),
        responseSnippet: Buffer.concat(response.chunks).subarray(0, SNIPPET_BYTES).toString("utf8"),
        gone: status === 410,
      });
    };

    // Once the status line is in, the outcome is decided; a deadline while reading the body only cuts the snippet.
    const deadline = setTimeout(() => settle(`timed out after ${timeoutMs} ms`), timeoutMs);

    const onResponse = (res: IncomingMessage) => {
      response = { status: res.statusCode ?? 0, chunks: [], bytes: 0 };
      const current = response;
      res.on("data", (chunk: Buffer) => {
        current.chunks.push(chunk);
        current.bytes += chunk.length;
        // Stop reading at the snippet size: a receiver streaming a huge body must not cost us the download.
        if (current.bytes >= SNIPPET_BYTES) settle();
      });
      res.on("end", () => settle());
      res.on("close", () => settle());
    };

    try {
      const target = new URL(url);
      const send = target.protocol === "https:" ? https.request : http.request;
      req = send(target, {
        method: "POST",
        headers: { ...headers, "user-agent": WEBHOOK_USER_AGENT, "content-length": String(Buffer.byteLength(body)) },
        lookup: guardedLookup(allowPrivate),
        // A fresh connection per attempt: nothing pooled outlives it, and every connect goes through the lookup.
        agent: false,
      });
      req.on("response", onResponse);
      req.on("error", (error) => settle(networkError(error)));
      req.end(body);
    } catch (error) {
      // Synchronous failures (e.g. a header value Node refuses) are returned like network errors.
      settle(error instanceof Error ? error.message : String(error));
    }
  });
}

function statusError(status: number): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: redirects are not followed`;
  if (status === 410) return "HTTP 410: the endpoint is gone";
  return `HTTP ${status}`;
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "DNS lookup failed temporarily",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

type CodedError = Error & { code?: string };

function networkError(error: CodedError): string {
  // Happy Eyeballs reports one AggregateError (often with an empty message) for all the addresses it tried.
  const cause: CodedError = error instanceof AggregateError && !error.message ? (error.errors[0] ?? error) : error;
  const known = cause.code ? NETWORK_ERRORS[cause.code] : undefined;
  return known ? `${known} (${cause.code})` : cause.message || String(cause.code ?? "network error");
}
