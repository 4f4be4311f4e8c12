import { enc, type ProjectContext } from "./context.js";
import { WebhookVerificationError } from "./errors.js";
import { PageIterator } from "./pagination.js";
import type { CallOptions } from "./transport.js";
import type {
  CreateWebhookInput,
  DeliveryAttempt,
  EventEnvelope,
  Page,
  PageQuery,
  UpdateWebhookInput,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
} from "./types.js";

/** A project's webhook endpoints (Standard Webhooks): registration, secrets, delivery attempts, replay. */
export class Webhooks {
  readonly #ctx: ProjectContext;

  /** @internal */
  constructor(ctx: ProjectContext) {
    this.#ctx = ctx;
  }

  #path(suffix = ""): string {
    return `${this.#ctx.base}/webhooks${suffix}`;
  }

  #pages<T>(path: string, query: PageQuery): PageIterator<T> {
    return new PageIterator(async (cursor) => {
      const { body } = await this.#ctx.transport.request<Page<T>>({
        method: "GET",
        path,
        query: { limit: query.limit, cursor },
      });
      return body;
    }, query.cursor);
  }

  /** Registers an endpoint. The answer holds its `secret` — shown once: store it now. */
  async create(input: CreateWebhookInput, options: CallOptions = {}): Promise<WebhookEndpointWithSecret> {
    const request = { method: "POST" as const, path: this.#path(), body: input, ...options };
    return (await this.#ctx.transport.request<WebhookEndpointWithSecret>(request)).body;
  }

  /** The endpoints, page by page (`for await` yields each one). */
  list(query: PageQuery = {}): PageIterator<WebhookEndpoint> {
    return this.#pages(this.#path(), query);
  }

  async get(webhookId: string, options: CallOptions = {}): Promise<WebhookEndpoint> {
    const request = { method: "GET" as const, path: this.#path(`/${enc(webhookId)}`), ...options };
    return (await this.#ctx.transport.request<WebhookEndpoint>(request)).body;
  }

  /** Changes an endpoint's URL, filters, description or enabled state. */
  async update(webhookId: string, patch: UpdateWebhookInput, options: CallOptions = {}): Promise<WebhookEndpoint> {
    const request = { method: "PATCH" as const, path: this.#path(`/${enc(webhookId)}`), body: patch, ...options };
    return (await this.#ctx.transport.request<WebhookEndpoint>(request)).body;
  }

  async delete(webhookId: string, options: CallOptions = {}): Promise<void> {
    await this.#ctx.transport.request<void>({ method: "DELETE", path: this.#path(`/${enc(webhookId)}`), ...options });
  }

  /** Issues a new secret; the old one keeps signing for `graceSeconds` (default: the API's, 24 h). */
  async rotateSecret(
    webhookId: string,
    input: { graceSeconds?: number } = {},
    options: CallOptions = {},
  ): Promise<WebhookEndpointWithSecret> {
    const path = this.#path(`/${enc(webhookId)}/rotate-secret`);
    const request = { method: "POST" as const, path, body: input, ...options };
    return (await this.#ctx.transport.request<WebhookEndpointWithSecret>(request)).body;
  }

  /** Every delivery attempt to an endpoint, newest first. */
  attempts(webhookId: string, query: PageQuery = {}): PageIterator<DeliveryAttempt> {
    return this.#pages(this.#path(`/${enc(webhookId)}/attempts`), query);
  }

  /** Every delivery attempt of one event, to any endpoint, newest first. */
  eventAttempts(eventId: string, query: PageQuery = {}): PageIterator<DeliveryAttempt> {
    return this.#pages(`${this.#ctx.base}/events/${enc(eventId)}/attempts`, query);
  }

  /** Delivers one event to this endpoint again, now (queued: the API answers 202). */
  async replay(webhookId: string, eventId: string, options: CallOptions = {}): Promise<void> {
    const path = this.#path(`/${enc(webhookId)}/replay`);
    await this.#ctx.transport.request<void>({ method: "POST", path, body: { eventId }, ...options });
  }
}

// ── Verifying deliveries ─────────────────────────────────────────────────────────────────────────────────

export type WebhookHeaders =
  Headers | Record<string, string | string[] | undefined> | { get(name: string): string | null | undefined };

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way (default 300 s). */
  toleranceSeconds?: number;
  now?: Date;
}

const SECRET_PREFIX = "whsec_";
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(name: string): string | null | undefined }).get(name) ?? undefined;
  }
  const entry = Object.entries(headers as Record<string, string | string[] | undefined>).find(
    ([key]) => key.toLowerCase() === name,
  )?.[1];
  return Array.isArray(entry) ? entry.join(" ") : entry;
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function toBytes(body: string | Uint8Array | ArrayBuffer): Uint8Array {
  if (typeof body === "string") return new TextEncoder().encode(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

/**
 * Verifies a webhook delivery (Standard Webhooks 1.0) with WebCrypto, so it runs in Node ≥ 20, browsers
 * and edge runtimes: the headers are present, `webhook-timestamp` is within the tolerance (either way,
 * so a captured request cannot be replayed later), and one `v1,` signature in `webhook-signature` is
 * the HMAC-SHA256 of `${id}.${timestamp}.${body}` under the secret. Pass the raw body, exactly as
 * received. Resolves with the parsed event; rejects with a `WebhookVerificationError` naming the reason.
 */
export async function verifyWebhook<T = EventEnvelope>(
  secret: string,
  headers: WebhookHeaders,
  body: string | Uint8Array | ArrayBuffer,
  options: VerifyWebhookOptions = {},
): Promise<T> {
  const tolerance = options.toleranceSeconds ?? 300;
  const msgId = header(headers, "webhook-id");
  const timestampHeader = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!msgId || !timestampHeader || !signatures) {
    throw new WebhookVerificationError("missing_headers", "missing webhook-id, webhook-timestamp or webhook-signature");
  }
  if (!/^\d{1,15}$/.test(timestampHeader)) {
    throw new WebhookVerificationError("invalid_timestamp", "webhook-timestamp is not Unix seconds");
  }
  const timestamp = Number(timestampHeader);
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (now - timestamp > tolerance)
    throw new WebhookVerificationError("timestamp_too_old", "webhook-timestamp is too old");
  if (timestamp - now > tolerance) {
    throw new WebhookVerificationError("timestamp_too_new", "webhook-timestamp is too far in the future");
  }
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded === "" || !BASE64.test(encoded)) {
    throw new WebhookVerificationError("invalid_secret", `the secret must be "${SECRET_PREFIX}" followed by base64`);
  }
  const key = await globalThis.crypto.subtle.importKey(
    "raw",
    base64Bytes(encoded),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const payload = toBytes(body);
  const prefix = new TextEncoder().encode(`${msgId}.${timestamp}.`);
  const signed = new Uint8Array(prefix.length + payload.length);
  signed.set(prefix);
  signed.set(payload, prefix.length);
  for (const entry of signatures.split(" ")) {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || signature === undefined || !BASE64.test(signature)) continue;
    // subtle.verify compares in constant time.
    if (await globalThis.crypto.subtle.verify("HMAC", key, base64Bytes(signature), signed)) {
      try {
        return JSON.parse(new TextDecoder().decode(payload)) as T;
      } catch {
        throw new WebhookVerificationError("invalid_payload", "the signed body is not JSON");
      }
    }
  }
  throw new WebhookVerificationError("no_matching_signature", "no webhook-signature matches");
}
