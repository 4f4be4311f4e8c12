import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Server as NetServer } from "node:net";
import type {
  Context,
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
} from "aws-lambda";
import {
  gatewayProblemBody,
  gatewayResponseHeaders,
  GATEWAY_RESPONSES,
  PROBLEM_CONTENT_TYPE,
  type GatewayResponseType,
} from "../../shared/app/http/gateway-responses.js";
import { findRoute, matchPath, ROUTES } from "../../shared/app/http/routes.js";
import { allowedOriginsFromEnv, corsHeaders, preflightHeaders } from "../../shared/app/http/cors.js";
import type { LambdaHandler } from "../lambda.js";
import { functionConfig, invokeLambda, lambdaContext } from "../lambda.js";
import { API_STAGE_NAME, AUTHORIZER_CACHE_SECONDS } from "../../shared/kernel/config.js";
import { LocalResponseStream } from "../lambda-streaming.js";

/**
 * The local API Gateway: a node:http server on 127.0.0.1 that matches requests against the shared route
 * table, runs the same TOKEN authorizer (with API Gateway's 300 s result cache), builds REST-API-shaped
 * proxy events for the same API handler, and answers with the same gateway responses.
 */
export interface LocalApiOptions {
  /** The port to bind, or a socket already listening (see `reservePort`) to serve on. */
  port: number | NetServer;
  host?: string;
  apiHandler: LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;
  authorizer: LambdaHandler<APIGatewayTokenAuthorizerEvent, APIGatewayAuthorizerResult>;
  /** The streaming (SSE) function, for routes with `handler: "sse"`. */
  sseHandler: (event: APIGatewayProxyEvent, stream: LocalResponseStream, context: Context) => Promise<void>;
  /**
   * Serves the SSE routes on the HTTP response itself (the in-process fan-out, `shared/app/live/server.ts`)
   * instead of through `sseHandler`.
   */
  liveHandler?: (event: APIGatewayProxyEvent, res: ServerResponse) => Promise<void>;
  /** Extra non-API routes (e.g. the demo page); return true when handled. */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
  stage?: string;
  /** How long an authorizer answer is reused per credential, as API Gateway does. @default AUTHORIZER_CACHE_SECONDS */
  authorizerCacheSeconds?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
  /** One log line per request when it ends: method, path, status, milliseconds, request id. */
  logRequests?: boolean;
}

/** API Gateway's hard limit on a request payload. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const API_ID = "local";

function sendGatewayResponse(
  res: ServerResponse,
  type: Exclude<GatewayResponseType, "DEFAULT_4XX">,
  requestId: string,
): void {
  res.writeHead(GATEWAY_RESPONSES[type].status, {
    "Content-Type": PROBLEM_CONTENT_TYPE,
    "x-amzn-RequestId": requestId,
    ...gatewayResponseHeaders(type),
    // Like the stage's gateway responses: the deployment's origins (a project's own need the handler).
    ...corsHeaders(res.req?.headers.origin, allowedOriginsFromEnv()),
  });
  res.end(JSON.stringify(gatewayProblemBody(type)));
}

/**
 * The request log line. The path as requested, except a public route's parameters (the RSVP link's token is
 * a credential): those show as the route's template. No query string (cursors, keys in demo links).
 */
const requestIds = new WeakMap<ServerResponse, string>();

function logWhenDone(req: IncomingMessage, res: ServerResponse, log: NonNullable<LocalApiOptions["log"]>): void {
  const started = performance.now();
  res.once("close", () => {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const match = findRoute(method, path);
    const shown = match?.route.public && Object.keys(match.params).length > 0 ? match.route.path : path;
    const requestId = requestIds.get(res) ?? "-";
    const status = res.headersSent ? res.statusCode : "aborted";
    log(`${method} ${shown} ${status} ${Math.round(performance.now() - started)} ms ${String(requestId)}`);
  });
}

export async function startLocalApi(
  options: LocalApiOptions,
): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const stage = options.stage ?? API_STAGE_NAME;
  const log = options.log ?? (() => undefined);
  const authorizerTtlMs = (options.authorizerCacheSeconds ?? AUTHORIZER_CACHE_SECONDS) * 1000;
  const authorizerCache = new Map<string, { result: APIGatewayAuthorizerResult; expires: number }>();

  async function authorize(
    token: string,
    methodArn: string,
  ): Promise<APIGatewayAuthorizerResult | "unauthorized" | "error"> {
    const cached = authorizerCache.get(token);
    if (cached && cached.expires > Date.now()) return cached.result;
    try {
      const result = await invokeLambda(
        options.authorizer,
        { type: "TOKEN", authorizationToken: token, methodArn },
        functionConfig("authorizer"),
      );
      authorizerCache.set(token, { result, expires: Date.now() + authorizerTtlMs });
      return result;
    } catch (error) {
      if ((error as Error).message === "Unauthorized") return "unauthorized";
      log("authorizer failed", { error: (error as Error).message });
      return "error";
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    requestIds.set(res, requestId);
    if (options.extra && (await options.extra(req, res))) return;
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    const corsConfigured = allowedOriginsFromEnv().length > 0;
    if (method === "OPTIONS" && corsConfigured && ROUTES.some((route) => matchPath(route.path, url.pathname))) {
      // A CORS preflight, answered as API Gateway's mock integration does: no key, the deployment's origins.
      // Without origins the stack has no OPTIONS methods, and neither does this server (route_not_found).
      res.writeHead(204, {
        "x-amzn-RequestId": requestId,
        ...preflightHeaders(req.headers.origin, allowedOriginsFromEnv()),
      });
      res.end();
      return;
    }
    const match = findRoute(method, url.pathname);
    if (!match) return sendGatewayResponse(res, "MISSING_AUTHENTICATION_TOKEN", requestId);

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_PAYLOAD_BYTES) return sendGatewayResponse(res, "REQUEST_TOO_LARGE", requestId);
      chunks.push(chunk as Buffer);
    }

    const methodArn = `arn:aws:execute-api:us-east-1:000000000000:${API_ID}/${stage}/${method}${url.pathname}`;
    let authorizerContext: Record<string, unknown> | undefined;
    if (!match.route.public) {
      const token = req.headers.authorization;
      if (!token) return sendGatewayResponse(res, "UNAUTHORIZED", requestId);
      const result = await authorize(token, methodArn);
      if (result === "unauthorized") return sendGatewayResponse(res, "UNAUTHORIZED", requestId);
      if (result === "error") return sendGatewayResponse(res, "AUTHORIZER_FAILURE", requestId);
      const allowed = result.policyDocument.Statement.some((s) => "Effect" in s && s.Effect === "Allow");
      if (!allowed) return sendGatewayResponse(res, "ACCESS_DENIED", requestId);
      authorizerContext = { ...result.context, principalId: result.principalId };
    }

    // API Gateway adds X-Forwarded-Proto; the local server speaks plain http.
    const headers: Record<string, string> = { "X-Forwarded-Proto": "http" };
    const multiValueHeaders: Record<string, string[]> = { "X-Forwarded-Proto": ["http"] };
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      const value = req.rawHeaders[i + 1]!;
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) {
      query[k] = v;
      (multiQuery[k] ??= []).push(v);
    }
    const body = chunks.length > 0 ? Buffer.concat(chunks).toString("utf8") : null;
    const event: APIGatewayProxyEvent = {
      resource: match.route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: Object.keys(query).length > 0 ? query : null,
      multiValueQueryStringParameters: Object.keys(multiQuery).length > 0 ? multiQuery : null,
      pathParameters: Object.keys(match.params).length > 0 ? match.params : null,
      stageVariables: null,
      body,
      isBase64Encoded: false,
      requestContext: {
        accountId: "000000000000",
        apiId: API_ID,
        authorizer: authorizerContext ?? null,
        httpMethod: method,
        identity: {
          sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        } as APIGatewayProxyEvent["requestContext"]["identity"],
        // Served at the root, as behind a custom domain without a base path: the API's URL has no stage.
        domainName: req.headers.host ?? `127.0.0.1:${(req.socket.localPort ?? 0).toString()}`,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: match.route.operationId,
        resourcePath: match.route.path,
        stage,
      },
    };
    if (match.route.handler === "sse" && options.liveHandler) {
      res.setHeader("x-amzn-RequestId", requestId);
      return options.liveHandler(event, res);
    }
    if (match.route.handler === "sse") {
      // Response streaming: the function writes the prelude and the body as it goes; it ends itself
      // before the 15-minute limit of API Gateway's streaming integration.
      const stream = new LocalResponseStream(res);
      res.setHeader("x-amzn-RequestId", requestId);
      await options.sseHandler(event, stream, lambdaContext(functionConfig("sse")));
      if (!stream.writableEnded && !stream.destroyed) stream.end();
      return;
    }
    let result: APIGatewayProxyResult;
    try {
      result = await invokeLambda(options.apiHandler, event, functionConfig("http-api"));
    } catch (error) {
      log("api handler failed", { requestId, error: (error as Error).message });
      return sendGatewayResponse(res, "DEFAULT_5XX", requestId);
    }
    const outHeaders: Record<string, string | string[]> = { "x-amzn-RequestId": requestId };
    for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) outHeaders[k] = v.map(String);
    res.writeHead(result.statusCode, outHeaders);
    res.end(result.isBase64Encoded ? Buffer.from(result.body, "base64") : result.body);
  }

  const server = createServer((req, res) => {
    if (options.logRequests) logWhenDone(req, res, log);
    handle(req, res).catch((error: unknown) => {
      log("local api error", { error: (error as Error).message });
      if (!res.headersSent) sendGatewayResponse(res, "DEFAULT_5XX", "local");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (typeof options.port === "number") server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
    else server.listen(options.port, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
