import type { Principal } from "../../kernel/tenancy.js";
import { handleApiRequest, type ApiDeps } from "./api.js";
import { PROBLEM_CONTENT_TYPE } from "./gateway-responses.js";
import { parseJsonBody } from "./json-body.js";
import { toProblem } from "./problem.js";
import { retryAfterHeader } from "../../kernel/errors.js";
import { findRoute, type OperationId } from "./routes.js";

/**
 * A `fetch` that serves the API in-process, for a known principal: what a user function's SDK client
 * uses, so a function acts through the same operations, validation and idempotency as any client —
 * without a network hop or an API key to manage. Streaming (SSE) routes are not served here.
 */
export function inProcessFetch(deps: ApiDeps, principal: Principal) {
  return async (input: string, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input, "http://in-process.local");
    const method = (init.method ?? "GET").toUpperCase();
    const resolved = findRoute(method, url.pathname);
    // Streaming (SSE) routes are served by their own function, not here.
    const found = resolved?.route.handler === "api" ? resolved : undefined;
    const json = (status: number, body: unknown, type = "application/json", headers: Record<string, string> = {}) =>
      new Response(body === undefined ? null : JSON.stringify(body), {
        status,
        headers: { ...(body !== undefined && { "Content-Type": type }), ...headers },
      });
    if (!found)
      return json(404, { status: 404, code: "route_not_found", title: "No such route" }, PROBLEM_CONTENT_TYPE);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name.toLowerCase()] = value));
    try {
      const text = typeof init.body === "string" ? init.body : undefined;
      const response = await handleApiRequest(
        {
          operationId: found.route.operationId as OperationId,
          params: found.params,
          query: Object.fromEntries(url.searchParams),
          headers,
          body: text ? parseJsonBody(text) : undefined,
          principal,
          requestId: `in-process-${Date.now().toString(36)}`,
        },
        deps,
      );
      if (response.status === 204) return new Response(null, { status: 204, headers: response.headers ?? {} });
      return json(response.status, response.body, "application/json", response.headers);
    } catch (error) {
      const problem = toProblem(error, url.pathname);
      return json(problem.status, problem, PROBLEM_CONTENT_TYPE, retryAfterHeader(error));
    }
  };
}
