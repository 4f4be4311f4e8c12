import { createHash, createHmac } from "node:crypto";

/**
 * AWS Signature Version 4 for the JSON and REST-JSON services the functions call (not S3: S3 signs its path
 * differently and keeps the AWS SDK, shared/adapters/aws/s3-debug-audio.ts).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * Checked against the AWS SDK's own signer (@smithy/signature-v4) in test/unit/aws-client.test.ts.
 */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignableRequest {
  method: string;
  /** The path as sent on the wire (each segment already percent-encoded). */
  path: string;
  query?: Record<string, string>;
  /** Lower-case names. `host` must be present. */
  headers: Record<string, string>;
  body: string;
}

/** Headers the signature never covers (the SDK's list): proxies and the runtime may change them. */
const UNSIGNABLE = new Set([
  "authorization",
  "cache-control",
  "connection",
  "expect",
  "from",
  "keep-alive",
  "max-forwards",
  "pragma",
  "referer",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id",
]);

/** RFC 3986 percent-encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQuery(query: Record<string, string> | undefined): string {
  return Object.entries(query ?? {})
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

const sha256 = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

/** `20260701T090000Z` */
export function amzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

/**
 * Adds `x-amz-date`, `x-amz-security-token` (temporary credentials) and `authorization` to `request.headers`.
 * Non-S3 services sign the path URI-encoded once more (so `%3A` on the wire is `%253A` in the canonical form).
 */
export function signRequest(
  request: SignableRequest,
  credentials: AwsCredentials,
  scope: { region: string; service: string },
  now: Date,
): void {
  const stamp = amzDate(now);
  const day = stamp.slice(0, 8);
  request.headers["x-amz-date"] = stamp;
  if (credentials.sessionToken) request.headers["x-amz-security-token"] = credentials.sessionToken;
  const lower = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const names = Object.keys(lower)
    .filter((n) => !UNSIGNABLE.has(n))
    .sort();
  const canonicalHeaders = names.map((n) => `${n}:${String(lower[n]).trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalPath = request.path
    .split("/")
    .map((segment) => rfc3986(segment))
    .join("/");
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalPath || "/",
    canonicalQuery(request.query),
    canonicalHeaders,
    signedHeaders,
    sha256(request.body),
  ].join("\n");
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", stamp, credentialScope, sha256(canonicalRequest)].join("\n");
  const key = hmac(
    hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), scope.region), scope.service),
    "aws4_request",
  );
  const signature = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  request.headers["authorization"] =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
}
