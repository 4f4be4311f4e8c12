/**
 * CORS for browser clients on another origin (a game's page holding a participant token).
 *
 * Which origins: the deployment's list (CDK context `corsAllowedOrigins`, env `CORS_ALLOWED_ORIGINS`,
 * comma-separated; `*` for any) and, for real responses, the project's own list (project setting
 * `allowedOrigins`). `Access-Control-Allow-Origin` echoes the request's origin only when it is allowed;
 * `*` is answered as `*` and never with `Access-Control-Allow-Credentials`. A preflight (OPTIONS) carries
 * no key, so it can only use the deployment's list: on AWS API Gateway answers it (a mock integration),
 * locally the local server does, from the same function here.
 */
export const CORS_ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "Idempotency-Key",
  "If-Match",
  "Last-Event-ID",
  // The SDK's event streams ask for no cached copy (`Cache-Control: no-cache`).
  "Cache-Control",
];
/** What the SDK (and a page) reads of a response. */
export const CORS_EXPOSE_HEADERS = ["ETag", "Location", "Retry-After", "x-amzn-RequestId"];
export const CORS_ALLOW_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
/** How long a browser may reuse a preflight answer. */
export const CORS_MAX_AGE_SECONDS = 600;

const ORIGIN = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;

/** `CORS_ALLOWED_ORIGINS` (or a context value) → the list; throws on an entry that is not an origin. */
export function parseAllowedOrigins(raw: string | undefined): string[] {
  const origins = (raw ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (origin !== "*" && !ORIGIN.test(origin)) {
      throw new Error(`"${origin}" is not an origin (scheme://host[:port], no path) or *`);
    }
  }
  return origins;
}

/** Whether an origin is a well-formed browser origin (what a project setting may list). */
export function isOrigin(value: string): boolean {
  return ORIGIN.test(value);
}

/**
 * The CORS headers of an actual response to a request from `origin`: none when it is not allowed (the
 * browser then withholds the response from the page).
 */
export function corsHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  if (!origin) return {};
  const expose = { "Access-Control-Expose-Headers": CORS_EXPOSE_HEADERS.join(", ") };
  if (allowed.includes(origin)) {
    return { "Access-Control-Allow-Origin": origin, Vary: "Origin", ...expose };
  }
  if (allowed.includes("*")) return { "Access-Control-Allow-Origin": "*", ...expose };
  return {};
}

/** The answer to a preflight: 204 with the allowance, or 204 without it (the browser refuses the call). */
export function preflightHeaders(origin: string | undefined, allowed: readonly string[]): Record<string, string> {
  const base = corsHeaders(origin, allowed);
  if (!base["Access-Control-Allow-Origin"]) return { Vary: "Origin" };
  return {
    ...base,
    "Access-Control-Allow-Methods": CORS_ALLOW_METHODS.join(", "),
    "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS.join(", "),
    "Access-Control-Max-Age": String(CORS_MAX_AGE_SECONDS),
  };
}

/** The deployment's list, as the functions see it (read once per container). */
let deploymentOrigins: string[] | undefined;
export function allowedOriginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  deploymentOrigins ??= parseAllowedOrigins(env.CORS_ALLOWED_ORIGINS);
  return deploymentOrigins;
}

/** What an actual response needs to know of its request to add its CORS headers. */
export interface CorsRequest {
  origin: string | undefined;
  /** The tenant and project the caller may act in (a project's own origins apply), if any. */
  project?: { tenantId: string; projectId: string } | undefined;
}

/**
 * The origins allowed for a response: the deployment's list, and when the origin is not on it, the
 * project's `allowedOrigins` setting (one read; only for a request that carries an origin the deployment
 * does not allow).
 */
export async function allowedOriginsFor(
  request: CorsRequest,
  deployment: readonly string[],
  projectOrigins: (project: { tenantId: string; projectId: string }) => Promise<readonly string[]>,
): Promise<readonly string[]> {
  if (!request.origin || deployment.includes(request.origin) || deployment.includes("*")) return deployment;
  if (!request.project) return deployment;
  return [...deployment, ...(await projectOrigins(request.project))];
}

/** The functions' resolver: the deployment's list, then the project's `allowedOrigins` setting. */
export function originsWithProjectSettings(
  readProjectOrigins: (project: { tenantId: string; projectId: string }) => Promise<readonly string[] | undefined>,
): (request: CorsRequest) => Promise<readonly string[]> {
  return (request) =>
    allowedOriginsFor(request, allowedOriginsFromEnv(), async (project) => (await readProjectOrigins(project)) ?? []);
}
