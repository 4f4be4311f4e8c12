/**
 * Responses the gateway itself produces (before any handler runs), as problem+json. API Gateway gets
 * them as GatewayResponses; the local server sends the same bodies in the same situations.
 */
export interface GatewayResponseDefinition {
  /** Omitted: keep the status the gateway chose (the problem body then has no `status`). */
  status?: number;
  code: string;
  title: string;
  detail: string;
  /** Sent as a `Retry-After` header (seconds). */
  retryAfterSeconds?: number;
}

export const GATEWAY_RESPONSES = {
  /** No Authorization header, or the authorizer said Unauthorized. */
  UNAUTHORIZED: {
    status: 401,
    code: "unauthorized",
    title: "Missing or invalid API key",
    detail: "Send 'Authorization: Bearer <api key>'.",
  },
  /** The authorizer denied the key. */
  ACCESS_DENIED: {
    status: 401,
    code: "unauthorized",
    title: "Missing or invalid API key",
    detail: "The API key is not valid.",
  },
  /** The authorizer failed (it did not reject the key): e.g. the key store was unreachable. */
  AUTHORIZER_FAILURE: {
    status: 503,
    code: "service_unavailable",
    title: "Service unavailable",
    detail: "The API key could not be checked right now; retry shortly.",
    retryAfterSeconds: 1,
  },
  /** API Gateway's answer for a path or method that has no route. */
  MISSING_AUTHENTICATION_TOKEN: {
    status: 404,
    code: "route_not_found",
    title: "No such route",
    detail: "No route matches this method and path; see /v1/openapi.json.",
  },
  THROTTLED: {
    status: 429,
    code: "throttled",
    title: "Too many requests",
    detail: "Slow down and retry with backoff.",
  },
  REQUEST_TOO_LARGE: {
    status: 413,
    code: "payload_too_large",
    title: "Payload too large",
    detail: "The request body exceeds the limit.",
  },
  /** Any other 4xx the gateway produces itself (e.g. unsupported media type, bad request body). */
  DEFAULT_4XX: {
    code: "bad_request",
    title: "Bad request",
    detail: "The gateway rejected the request.",
  },
  DEFAULT_5XX: {
    status: 502,
    code: "gateway_error",
    title: "Gateway error",
    detail: "The gateway could not complete the request; retry.",
  },
} as const satisfies Record<string, GatewayResponseDefinition>;

export type GatewayResponseType = keyof typeof GATEWAY_RESPONSES;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
/** Problem `type` URIs are URNs: stable identifiers that do not pretend to be a resolvable page. */
export const PROBLEM_TYPE_BASE = "urn:cortex:problem:";

/** The headers of a gateway response besides its body's Content-Type. */
export function gatewayResponseHeaders(type: GatewayResponseType): Record<string, string> {
  const r: GatewayResponseDefinition = GATEWAY_RESPONSES[type];
  return r.retryAfterSeconds === undefined ? {} : { "Retry-After": String(r.retryAfterSeconds) };
}

export function gatewayProblemBody(type: GatewayResponseType): Record<string, unknown> {
  const r: GatewayResponseDefinition = GATEWAY_RESPONSES[type];
  return {
    type: PROBLEM_TYPE_BASE + r.code,
    title: r.title,
    ...(r.status !== undefined && { status: r.status }),
    code: r.code,
    detail: r.detail,
  };
}
