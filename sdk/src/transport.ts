import { CortexConnectionError, CortexError, errorFromResponse } from "./errors.js";

/**
 * HTTP to the API over `fetch` (Node ≥ 20 and browsers alike): auth, JSON, problem+json errors, and
 * retries. A call is retried on 429, 5xx and network failures only when repeating it cannot apply it
 * twice: GET, PUT and DELETE, and POSTs, which always carry an `Idempotency-Key` (generated per call and
 * reused by its own retries, so the server applies the call once and replays its answer).
 */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: FetchLike | undefined;
  /** Retries after the first attempt (default 3). */
  maxRetries?: number | undefined;
  /** Per-attempt timeout in milliseconds (default 30 000). */
  timeoutMs?: number | undefined;
  /** Base of the exponential backoff in milliseconds (default 250). */
  retryBaseMs?: number | undefined;
}

export interface CallOptions {
  /** Cancels the call (and its retries). */
  signal?: AbortSignal | undefined;
  /** Sent as `If-Match`: the call fails with 412 unless the gathering is still at this version. */
  ifMatch?: number | undefined;
  /** Overrides the generated `Idempotency-Key` of a POST (reuse one to retry a call across restarts). */
  idempotencyKey?: string | undefined;
}

export interface RequestSpec extends CallOptions {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined> | undefined;
  body?: unknown;
}

export interface ApiResult<T> {
  status: number;
  headers: Headers;
  body: T;
}

const RETRY_CAP_MS = 8_000;
const RETRY_AFTER_CAP_MS = 30_000;

/** A random UUID v4 from getRandomValues (randomUUID is missing in insecure browser contexts). */
export function randomId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** "Equal jitter" exponential backoff: at least half the step, so retries never stampede at 0 ms. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number): number {
  const step = Math.min(capMs, baseMs * 2 ** attempt);
  return step / 2 + Math.random() * (step / 2);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, RETRY_AFTER_CAP_MS) : undefined;
}

const isRetriableStatus = (status: number) => status === 429 || status >= 500;

export class Transport {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #fetch: FetchLike;
  readonly #maxRetries: number;
  readonly #timeoutMs: number;
  readonly #retryBaseMs: number;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.#apiKey = options.apiKey;
    // Looked up per call, not captured: a fetch replaced after construction (tests, polyfills) is honoured,
    // and calling it off `globalThis` avoids "Illegal invocation" in browsers.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#maxRetries = options.maxRetries ?? 3;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retryBaseMs = options.retryBaseMs ?? 250;
  }

  url(path: string, query?: RequestSpec["query"]): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(key, String(value));
    const qs = search.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ""}`;
  }

  async request<T>(spec: RequestSpec): Promise<ApiResult<T>> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: "application/json",
    };
    if (spec.body !== undefined) headers["Content-Type"] = "application/json";
    if (spec.ifMatch !== undefined) headers["If-Match"] = `"${spec.ifMatch}"`;
    if (spec.method === "POST") headers["Idempotency-Key"] = spec.idempotencyKey ?? randomId();
    const body = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const { response, value } = await this.#send(
      {
        label: `${spec.method} ${spec.path}`,
        url: this.url(spec.path, spec.query),
        init: { method: spec.method, headers, ...(body !== undefined && { body }) },
        retriable: spec.method !== "PATCH",
        signal: spec.signal,
      },
      async (ok) => {
        const text = await ok.text();
        return (text === "" ? undefined : parseJson(text)) as T;
      },
    );
    return { status: response.status, headers: response.headers, body: value };
  }

  /**
   * GETs the bytes at a URL outside the API (a presigned download link), with the same timeout and
   * retries, and without the Authorization header (a presigned URL rejects a second credential). A
   * root-relative URL is resolved against the API's base URL.
   */
  async download(url: string, options: { signal?: AbortSignal | undefined } = {}): Promise<ArrayBuffer> {
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(url) ? url : new URL(url, `${this.baseUrl}/`).toString();
    const { value } = await this.#send(
      {
        label: `GET ${absolute.split("?")[0]}`,
        url: absolute,
        init: { method: "GET", headers: {} },
        retriable: true,
        signal: options.signal,
      },
      (ok) => ok.arrayBuffer(),
    );
    return value;
  }

  /** One call with its retries: timeouts, problem+json errors, Retry-After and backoff. */
  async #send<T>(
    call: { label: string; url: string; init: RequestInit; retriable: boolean; signal: AbortSignal | undefined },
    read: (response: Response) => Promise<T>,
  ): Promise<{ response: Response; value: T }> {
    for (let attempt = 0; ; attempt++) {
      const canRetry = call.retriable && attempt < this.#maxRetries;
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), this.#timeoutMs);
      const onAbort = () => timeout.abort();
      call.signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const response = await this.#fetch(call.url, { ...call.init, signal: timeout.signal });
        if (response.ok) return { response, value: await read(response) };
        const text = await response.text();
        const error = errorFromResponse(
          response.status,
          response.statusText,
          text === "" ? undefined : parseJson(text),
          response.headers.get("x-amzn-requestid") ?? undefined,
        );
        // A 429 was refused before any work (rate limit or throttle), so even a PATCH may be sent again.
        const mayRetry = canRetry || (response.status === 429 && attempt < this.#maxRetries);
        if (!mayRetry || !isRetriableStatus(response.status)) throw error;
        await sleep(
          retryAfterMs(response.headers) ?? backoffDelay(attempt, this.#retryBaseMs, RETRY_CAP_MS),
          call.signal,
        );
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason;
        if (error instanceof CortexError) throw error;
        const failure = timeout.signal.aborted
          ? new CortexConnectionError("timeout", `no answer from ${call.label} within ${this.#timeoutMs} ms`)
          : new CortexConnectionError("network_error", `${call.label}: ${describe(error)}`, error);
        if (!canRetry) throw failure;
        await sleep(backoffDelay(attempt, this.#retryBaseMs, RETRY_CAP_MS), call.signal);
      } finally {
        clearTimeout(timer);
        call.signal?.removeEventListener("abort", onAbort);
      }
    }
  }

  /**
   * Opens a server-sent-event stream (one attempt; the live layer reconnects). Resolves once the
   * response headers are in; a non-2xx answer is thrown as a CortexError.
   */
  async openStream(path: string, options: { query?: RequestSpec["query"]; lastEventId?: number; signal: AbortSignal }) {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.#apiKey}`,
      Accept: "text/event-stream",
      "Cache-Control": "no-cache",
    };
    if (options.lastEventId !== undefined) headers["Last-Event-ID"] = String(options.lastEventId);
    let response: Response;
    try {
      response = await this.#fetch(this.url(path, options.query), {
        method: "GET",
        headers,
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal.aborted) throw error;
      throw new CortexConnectionError("network_error", `GET ${path}: ${describe(error)}`, error);
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      throw errorFromResponse(
        response.status,
        response.statusText,
        text ? parseJson(text) : undefined,
        response.headers.get("x-amzn-requestid") ?? undefined,
      );
    }
    if (!response.body) throw new CortexConnectionError("network_error", `GET ${path}: the response has no body`);
    return response;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
