import type { MiddlewareObj } from "@middy/core";
import { domainLogger, measured, stack, toolsFor } from "./kit.js";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import {
  PayloadTooLargeError,
  retryAfterHeader,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from "../../kernel/errors.js";
import type { ApiRequest, ApiResponse } from "../../app/http/request.js";
import type { Principal } from "../../kernel/tenancy.js";
import { participantFromContext } from "../../domain/auth/participant-tokens.js";
import { parseScopes } from "../../domain/auth/scopes.js";
import { PROBLEM_CONTENT_TYPE } from "../../app/http/gateway-responses.js";
import { parseJsonBody } from "../../app/http/json-body.js";
import { allowedOriginsFromEnv, corsHeaders, type CorsRequest } from "../../app/http/cors.js";
import { toProblem } from "../../app/http/problem.js";
import { ROUTES, type OperationId, type RouteDefinition } from "../../app/http/routes.js";
import type { Logger } from "../../kernel/logger.js";
import { baseUrlOf } from "./base-url.js";

// Lives apart so a function that needs only this (functions/docs.ts) does not bundle the HTTP adapter.
export { baseUrlOf };

/** API Gateway REST (v1 proxy) events ↔ transport-neutral ApiRequest/ApiResponse. */
export const MAX_BODY_BYTES = 256 * 1024;

const routeByKey = new Map<string, RouteDefinition>(
  (ROUTES as readonly RouteDefinition[]).map((r) => [`${r.method} ${r.path}`, r]),
);

function lowerCaseHeaders(headers: APIGatewayProxyEvent["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

function parseBody(event: APIGatewayProxyEvent, headers: Record<string, string>, route: RouteDefinition): unknown {
  if (event.body === null || event.body === undefined || event.body === "") return undefined;
  const raw = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  const limit = route.maxBodyBytes ?? MAX_BODY_BYTES;
  if (Buffer.byteLength(raw) > limit) {
    throw new PayloadTooLargeError(`The request body exceeds ${limit} bytes`);
  }
  const contentType = headers["content-type"] ?? "";
  if (!/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new UnsupportedMediaTypeError("Send the request body as application/json");
  }
  return parseJsonBody(raw);
}

function principalOf(event: APIGatewayProxyEvent): Principal | undefined {
  const ctx = event.requestContext.authorizer as Record<string, unknown> | null | undefined;
  if (!ctx || typeof ctx.tenantId !== "string" || typeof ctx.projectScope !== "string") return undefined;
  if (ctx.credential === "participant") {
    return {
      tenantId: ctx.tenantId,
      projectScope: ctx.projectScope,
      keyId: String(ctx.keyId ?? ctx.principalId),
      credential: "participant",
      ...participantFromContext(ctx),
    };
  }
  const credential = ctx.credential === "bot" ? "bot" : "api";
  return {
    tenantId: ctx.tenantId,
    projectScope: ctx.projectScope,
    keyId: String(ctx.keyId ?? ctx.principalId),
    credential,
    ...(credential === "bot" && { actorType: "bot" as const }),
    ...(typeof ctx.scopes === "string" && ctx.scopes !== "*" && { scopes: parseScopes(ctx.scopes) }),
  };
}

export function toApiRequest(event: APIGatewayProxyEvent): ApiRequest {
  // HEAD is GET without the body (the platform drops the body of a HEAD response).
  const route = routeByKey.get(`${event.httpMethod === "HEAD" ? "GET" : event.httpMethod} ${event.resource}`);
  if (!route) throw new Error(`no operation for ${event.httpMethod} ${event.resource}`);
  const operationId = route.operationId as OperationId;
  const headers = lowerCaseHeaders(event.headers);
  const principal = principalOf(event);
  return {
    operationId,
    params: Object.fromEntries(Object.entries(event.pathParameters ?? {}).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >,
    query: Object.fromEntries(
      Object.entries(event.queryStringParameters ?? {}).filter(([, v]) => v !== undefined),
    ) as Record<string, string>,
    headers,
    // Routes without a body schema ignore a body (e.g. an HTML form posting to the RSVP page).
    body: route.body ? parseBody(event, headers, route) : undefined,
    ...(principal && { principal }),
    baseUrl: baseUrlOf(event, headers),
    requestId: event.requestContext.requestId,
  };
}

export function toProxyResult(response: ApiResponse): APIGatewayProxyResult {
  // Pages (e.g. the RSVP confirmation) are sent as they are; everything else is JSON.
  if (typeof response.body === "string" && response.headers?.["Content-Type"]?.startsWith("text/html")) {
    return { statusCode: response.status, headers: response.headers, body: response.body };
  }
  return {
    statusCode: response.status,
    headers: {
      ...(response.body !== undefined && { "Content-Type": "application/json" }),
      ...response.headers,
    },
    body: response.body === undefined ? "" : JSON.stringify(response.body),
  };
}

/** middy's early timeout (`timeoutEarlyResponse`): a TimeoutError whose cause names @middy/core. */
function ranOutOfTime(error: unknown): boolean {
  const e = error as { name?: unknown; cause?: { package?: unknown } } | null;
  return e?.name === "TimeoutError" && e.cause?.package === "@middy/core";
}

/** Every error leaves as problem+json; a 5xx is logged with its cause, a 4xx is not an error. */
export function problemResponses(logger: Logger): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    name: "problemResponses",
    onError: (request) => {
      // A handler that ran out of its function's time (middy aborts it just before Lambda would) was slowed
      // down, not wrong: 503 with Retry-After, so the caller retries (a change with its Idempotency-Key once).
      if (ranOutOfTime(request.error)) {
        const cause = request.error;
        request.error = Object.assign(new ServiceUnavailableError("The request ran out of time; retry shortly", 1), {
          cause,
        });
      }
      const problem = toProblem(request.error, request.event.path);
      const fields = { requestId: request.event.requestContext.requestId, status: problem.status, code: problem.code };
      if (problem.status >= 500) logger.error("request failed", { ...fields, error: request.error });
      else logger.info("request rejected", fields);
      request.response = {
        statusCode: problem.status,
        headers: { "Content-Type": PROBLEM_CONTENT_TYPE, ...retryAfterHeader(request.error) },
        body: JSON.stringify({ ...problem, requestId: request.event.requestContext.requestId }),
      };
    },
  };
}

/** The caller's origin and the project it may act in (whose own CORS origins then apply). */
export function corsRequestOf(event: APIGatewayProxyEvent): CorsRequest {
  const headers = lowerCaseHeaders(event.headers);
  const principal = principalOf(event);
  const projectId = event.pathParameters?.projectId;
  const inProject =
    principal && projectId && (principal.projectScope === "*" || principal.projectScope === projectId)
      ? { tenantId: principal.tenantId, projectId }
      : undefined;
  return { origin: headers.origin, project: inProject };
}

/** Adds the CORS headers of a response (cors.ts) to whatever the function answered, errors included. */
export function corsResponses(
  allowed: (request: CorsRequest) => Promise<readonly string[]>,
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const add = async (request: { event: APIGatewayProxyEvent; response?: APIGatewayProxyResult | null }) => {
    if (!request.response) return;
    const cors = corsRequestOf(request.event);
    if (!cors.origin) return;
    const headers = corsHeaders(cors.origin, await allowed(cors).catch(() => []));
    request.response = { ...request.response, headers: { ...request.response.headers, ...headers } };
  };
  return { name: "corsResponses", after: add, onError: add };
}

/** An API Gateway proxy function: problems shaped as problem+json; a 500 logs its stack. */
export function onHttp(
  name: string,
  fn: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>,
  options: { corsOrigins?: (request: CorsRequest) => Promise<readonly string[]> } = {},
) {
  const tools = toolsFor(name);
  const corsOrigins = options.corsOrigins ?? (async () => allowedOriginsFromEnv());
  return stack<APIGatewayProxyEvent, APIGatewayProxyResult>(tools)
    .use(corsResponses(corsOrigins))
    .use(problemResponses(domainLogger(tools.logger)))
    .handler((event) => {
      tools.logger.appendKeys({ apiRequestId: event.requestContext?.requestId });
      // problemResponses logs a 500 with its stack; a client's 4xx is an answer, not a failure.
      return measured(
        tools,
        () => fn(event),
        () => false,
      );
    });
}
