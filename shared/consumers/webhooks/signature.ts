import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Standard Webhooks 1.0 signing (https://www.standardwebhooks.com): the signed content is
 * `${msgId}.${timestamp}.${payload}`, the HMAC-SHA256 key is the base64 part of a `whsec_` secret, and
 * `webhook-signature` carries space-separated `v1,<base64>` entries so several secrets can sign at once.
 * Byte-for-byte compatible with the reference `standardwebhooks` package (the tests verify with it).
 */

export const SECRET_PREFIX = "whsec_";
/** The spec asks for 24–64 random bytes; 32 gives the full strength of HMAC-SHA256's 256-bit output. */
const SECRET_BYTES = 32;
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export type WebhookVerificationFailure =
  "missing_headers" | "invalid_timestamp" | "timestamp_too_old" | "timestamp_too_new" | "no_matching_signature";

/** A delivery that must not be trusted; `reason` says why without revealing the expected signature. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly reason: WebhookVerificationFailure,
    message: string,
  ) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString("base64");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The HMAC key of a secret. Node's base64 decoder skips junk silently, so a malformed secret is refused here. */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded === "" || !BASE64.test(encoded)) {
    throw new TypeError(`a webhook secret must be "${SECRET_PREFIX}" followed by standard base64`);
  }
  return Buffer.from(encoded, "base64");
}

function hmac(secret: string, msgId: string, timestamp: number, payload: string): Buffer {
  return createHmac("sha256", secretKey(secret)).update(`${msgId}.${timestamp}.${payload}`, "utf8").digest();
}

/** `v1,<base64 HMAC>`. `timestamp` is whole Unix seconds, exactly as sent in `webhook-timestamp`. */
export function signPayload(secret: string, msgId: string, timestamp: number, payload: string): string {
  // Catches the classic slip of passing Date.now() milliseconds: 10^11 seconds is the year 5138.
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp >= 1e11) {
    throw new RangeError(`the webhook timestamp must be whole Unix seconds, got ${timestamp}`);
  }
  return `v1,${hmac(secret, msgId, timestamp, payload).toString("base64")}`;
}

/** One signature per active secret: during a rotation the old and the new secret both sign. */
export function signatureHeader(secrets: readonly string[], msgId: string, timestamp: number, payload: string): string {
  if (secrets.length === 0) throw new RangeError("a webhook needs at least one active secret to sign with");
  return secrets.map((secret) => signPayload(secret, msgId, timestamp, payload)).join(" ");
}

// A type alias, not an interface, so it is assignable to Record<string, string>.
export type WebhookHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
  "content-type": "application/json";
};

export function webhookHeaders(input: {
  msgId: string;
  /** Unix seconds. */
  timestamp: number;
  payload: string;
  secrets: readonly string[];
}): WebhookHeaders {
  return {
    "webhook-id": input.msgId,
    "webhook-timestamp": String(input.timestamp),
    "webhook-signature": signatureHeader(input.secrets, input.msgId, input.timestamp, input.payload),
    "content-type": "application/json",
  };
}

export interface EndpointSecret {
  secret: string;
  /** ISO instant at which a rotated-out secret stops signing; absent for the current secret. */
  expiresAt?: string;
}

/** The secrets that still sign at `now`: the current one, plus rotated-out ones until their `expiresAt`. */
export function activeSecrets(secrets: readonly EndpointSecret[], now: Date): string[] {
  return secrets
    .filter(({ expiresAt }) => {
      if (expiresAt === undefined) return true;
      const expires = Date.parse(expiresAt);
      // Stored data is validated on write; a bad instant here is a bug, not a reason to sign with it forever.
      if (Number.isNaN(expires)) throw new RangeError(`webhook secret expiresAt is not an instant: "${expiresAt}"`);
      return expires > now.getTime();
    })
    .map(({ secret }) => secret);
}

export interface VerifyOptions {
  toleranceSeconds?: number;
  now?: Date;
}

/**
 * Verifies a delivery the way a receiver should: headers present, timestamp within the tolerance (either
 * way, so a captured request cannot be replayed later), and at least one `v1` signature equal — in
 * constant time — to ours. Returns true or throws a `WebhookVerificationError`; `isValidWebhook` is the
 * boolean form. Header names are matched case-insensitively; `payload` must be the raw body.
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  payload: string,
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, now = new Date() }: VerifyOptions = {},
): true {
  const header = (name: string) => {
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    return Array.isArray(entry) ? entry.join(" ") : entry;
  };
  const msgId = header("webhook-id");
  const timestampHeader = header("webhook-timestamp");
  const signatures = header("webhook-signature");
  if (!msgId || !timestampHeader || !signatures) {
    throw new WebhookVerificationError("missing_headers", "missing webhook-id, webhook-timestamp or webhook-signature");
  }
  if (!/^\d{1,15}$/.test(timestampHeader)) {
    throw new WebhookVerificationError("invalid_timestamp", "webhook-timestamp is not Unix seconds");
  }
  const timestamp = Number(timestampHeader);
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (nowSeconds - timestamp > toleranceSeconds) {
    throw new WebhookVerificationError("timestamp_too_old", "webhook-timestamp is too old");
  }
  if (timestamp - nowSeconds > toleranceSeconds) {
    throw new WebhookVerificationError("timestamp_too_new", "webhook-timestamp is too far in the future");
  }
  const expected = hmac(secret, msgId, timestamp, payload);
  const matched = signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || signature === undefined || !BASE64.test(signature)) return false;
    const given = Buffer.from(signature, "base64");
    // Lengths are public (every HMAC-SHA256 is 32 bytes); only the content comparison must be constant-time.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matched) throw new WebhookVerificationError("no_matching_signature", "no webhook-signature matches");
  return true;
}

/** `verifyWebhook` as a predicate, for callers that do not need the reason. */
export function isValidWebhook(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  payload: string,
  options: VerifyOptions = {},
): boolean {
  try {
    return verifyWebhook(secret, headers, payload, options);
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false;
    throw error;
  }
}
