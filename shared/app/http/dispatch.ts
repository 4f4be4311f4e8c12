import type * as z from "../../kernel/zod.js";
import { systemClock, type Clock } from "../../kernel/clock.js";
import {
  ForbiddenError,
  NotFoundError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from "../../kernel/errors.js";
import type { Credential, Principal } from "../../kernel/tenancy.js";
import { hasScope } from "../../domain/auth/scopes.js";
import { RateLimiter, rateLimitFromEnv } from "../../domain/auth/rate-limit.js";
import type { Store, WriteOp } from "../../store/store.js";
import { signingKey } from "../../domain/auth/signing-key.js";
import type { CommandOptions, Outcome } from "../../domain/gatherings/service.js";
import { openCursor, sealCursor } from "./cursor.js";
import { fingerprint, idempotently, validateIdempotencyKey, type IdempotencyScope } from "./idempotency.js";
import { scopeOf, tenantScopeOf, type ApiRequest, type ApiResponse, type RequestScope } from "./request.js";
import {
  requiredScope,
  routeOf,
  type OperationId,
  type PathParamsOf,
  type RouteDefinition,
  type RouteOf,
} from "./routes.js";
import { parsePathParams, parseWith } from "./validation.js";

/**
 * The one way a request reaches an operation: parsed by the schemas its route declares (routes.ts), in the
 * project its key may act in, with `If-Match` and `Idempotency-Key` applied as the route's `mutation` says.
 * An operation only calls the domain and shapes the answer.
 */

type QueryOf<R> = R extends { query: infer Q extends z.ZodMiniType } ? z.output<Q> : undefined;

/** What an operation receives: path, query and body parsed by its route's schemas, and its scope. */
export type Input<R> = R extends { path: infer Path extends string }
  ? {
      params: { [Name in PathParamsOf<Path>]: string };
      query: QueryOf<R>;
      body: R extends { body: infer B extends z.ZodMiniType } ? z.output<B> : undefined;
      /**
       * Every route under /v1/projects/{projectId} acts in one project; a key for another project is a 404.
       * A tenant-level route (`tenant: true`) acts in the whole tenant (projectId `*`).
       */
      scope: "projectId" extends PathParamsOf<Path>
        ? RequestScope
        : R extends { tenant: true }
          ? RequestScope
          : undefined;
      /** `If-Match` on a route that honours it (`ifMatch: true`). */
      ifMatch?: number;
      /** The API's base URL as the caller reached it, when the transport knows it. */
      baseUrl?: string;
    }
  : never;

/** Answers a request. On a `mutation: "once"` route, an Idempotency-Key replays its first answer. */
export type Handler<R, D> = (input: Input<R>, deps: D, once?: OnceCommit) => Promise<ApiResponse>;

/**
 * Given to a `mutation: "once"` handler when the request has an Idempotency-Key: a handler that creates
 * something commits `extraOps(response)` with its effect and calls `committed()`, so two concurrent retries
 * can never both create (the loser's commit fails and it answers as the winner did).
 */
export interface OnceCommit {
  extraOps(response: ApiResponse): WriteOp[];
  committed(): void;
}

/** A gathering command (`mutation: "aggregate"`): If-Match is its `ifMatch`, idempotency commits with it. */
export interface Commit<R, D> {
  commit(input: Input<R>, deps: D, options: CommandOptions): Promise<Outcome>;
  /** Shapes the outcome; must not fail (with an Idempotency-Key it runs inside the commit). */
  respond(outcome: Outcome): ApiResponse;
}

/** The filters of a listing: its query without the page. */
export type FiltersOf<R> = Omit<NonNullable<QueryOf<R>>, "limit" | "cursor">;

/** A listing (a route whose query has a `cursor`): one page from the store; cursors are sealed around it. */
export interface List<R, D> {
  list(
    input: Input<R> & { filters: FiltersOf<R> },
    deps: D,
    page: { limit?: number; cursor?: string },
  ): Promise<{ items: unknown[]; nextCursor?: string }>;
}

export type Operation<R, D> = R extends { mutation: "aggregate" }
  ? Commit<R, D>
  : "cursor" extends keyof QueryOf<R>
    ? List<R, D>
    : Handler<R, D>;

/** One operation per operation id, each typed by its route. */
export type Operations<Id extends OperationId, D> = { [K in Id]: Operation<RouteOf<K>, D> };

export interface DispatchDeps {
  store: Store;
  clock: Clock;
}

/** `If-Match: "7"` (or 7, W/"7") → 7; `*` or absent → undefined. */
function ifMatchOf(request: ApiRequest): number | undefined {
  const raw = request.headers["if-match"]?.trim();
  if (raw === undefined || raw === "*") return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw);
  if (!match) {
    throw new ValidationError('If-Match must be the resource\'s version, e.g. "7"', [
      { path: "If-Match", message: 'must be the version (ETag) you read, e.g. "7"' },
    ]);
  }
  return Number(match[1]);
}

/**
 * Everything a request must get right before any work, in this order: path parameters, query, body,
 * If-Match (aggregate mutations), Idempotency-Key (mutations), then the scope. Shared by the API and the
 * SSE preamble.
 */
export function parseRequest<Id extends OperationId>(
  request: ApiRequest & { operationId: Id },
): { input: Input<RouteOf<Id>>; ifMatch?: number; idempotencyKey?: string } {
  const route = routeOf(request.operationId);
  // A participant token is checked before any parsing: a route it may not use is a 403 whatever the body.
  if (request.principal?.credential === "participant") checkParticipantRoute(route, request);
  const params = parsePathParams(request.operationId, request.params);
  const query = route.query && parseWith(route.query, request.query, "query");
  const body = route.body && parseWith(route.body, route.optionalBody ? (request.body ?? {}) : request.body, "body");
  const ifMatch = route.mutation === "aggregate" || route.ifMatch ? ifMatchOf(request) : undefined;
  const idempotencyKey = route.mutation ? request.headers["idempotency-key"] : undefined;
  if (idempotencyKey !== undefined) validateIdempotencyKey(idempotencyKey);
  const scope = route.path.includes("{projectId}")
    ? scopeOf(request)
    : "tenant" in route && route.tenant
      ? tenantScopeOf(request)
      : undefined;
  // After the scope: a key of another project sees a 404 whatever its kind.
  if (request.principal && request.principal.credential !== "participant") {
    checkCredential(route, request.principal.credential ?? "api");
    checkScope(route, request.principal);
  }
  if (request.principal) checkRate(request.principal);
  if (route.participant === "join" && scope?.participant) {
    const own = (body as { participantId?: unknown } | undefined)?.participantId;
    if (own !== scope.participant.participantId) {
      throw new ForbiddenError("A participant token may only join as its own participant");
    }
  }
  const input = {
    params,
    query,
    body,
    scope,
    ...(ifMatch !== undefined && { ifMatch }),
    ...(request.baseUrl !== undefined && { baseUrl: request.baseUrl }),
  } as Input<RouteOf<Id>>;
  return { input, ...(ifMatch !== undefined && { ifMatch }), ...(idempotencyKey !== undefined && { idempotencyKey }) };
}

/** A bot key may only use the bot API, and only a bot key may: the other answers 403. */
function checkCredential(route: RouteDefinition, credential: Credential): void {
  const wanted = route.credential ?? "api";
  if (credential === wanted || wanted === "any") return;
  throw new ForbiddenError(
    wanted === "bot"
      ? "This is the bot API: it takes a bot key (a project key cannot report as the bot)"
      : "A bot key may only use the bot API (POST …/sessions/{sessionId}/bot, /attendance, /messages)",
  );
}

/**
 * What a participant token may reach, from the route's `participant` policy: its project (another is a
 * 404), not after it expires (the authorizer's answer is cached beyond that), only a route with a policy,
 * only its own member record, only the gatherings it lists. Membership is the handler's check.
 */
function checkParticipantRoute(route: RouteDefinition, request: ApiRequest): void {
  const principal = request.principal!;
  if (!route.path.includes("{projectId}")) throw new ForbiddenError("A participant token may not use this route");
  scopeOf(request);
  if (!principal.expiresAt || Date.parse(principal.expiresAt) <= systemClock.now().getTime()) {
    throw new UnauthorizedError("The participant token has expired; ask the game server for a new one");
  }
  if (!route.participant) {
    throw new ForbiddenError(
      "A participant token may only join by code, ready, unready, leave, and read or watch its gatherings",
    );
  }
  const participantId = request.params.participantId;
  if (participantId !== undefined && participantId !== principal.participantId) {
    throw new ForbiddenError("A participant token may only act as its own participant");
  }
  const gatheringId = request.params.gatheringId;
  if (gatheringId !== undefined && principal.gatherings && !principal.gatherings.includes(gatheringId)) {
    throw new NotFoundError(`gathering ${gatheringId} not found`);
  }
}

/** A key lacking the route's scope (routes.ts `requiredScope`) gets a 403 that names the scope. */
export function checkScope(route: RouteDefinition, principal: Principal): void {
  const wanted = requiredScope(route, principal.credential === "bot" ? "bot" : "api");
  if (hasScope(principal.scopes, wanted)) return;
  throw new ForbiddenError(`This key lacks the "${wanted}" scope that ${route.method} ${route.path} needs`, {
    missingScope: wanted,
  });
}

/** Per key (`rateKey`: the key id), the instance's token bucket; an empty bucket is a 429 with Retry-After. */
const limiter = new RateLimiter(rateLimitFromEnv());

function checkRate(principal: Principal): void {
  const retryAfter = limiter.take(principal.keyId);
  if (retryAfter !== undefined) {
    throw new TooManyRequestsError(`This key is over its rate limit; retry after ${retryAfter} s`, retryAfter);
  }
}

type AnyInput = {
  params: Record<string, string>;
  query: unknown;
  body: unknown;
  scope: RequestScope | undefined;
  ifMatch?: number;
  baseUrl?: string;
};
type AnyOperation<D> =
  | ((input: AnyInput, deps: D, once?: OnceCommit) => Promise<ApiResponse>)
  | { commit(input: AnyInput, deps: D, options: CommandOptions): Promise<Outcome>; respond(o: Outcome): ApiResponse }
  | {
      list(
        input: AnyInput & { filters: Record<string, unknown> },
        deps: D,
        page: { limit?: number; cursor?: string },
      ): Promise<{ items: unknown[]; nextCursor?: string }>;
    };

export async function dispatch<Id extends OperationId, D extends DispatchDeps>(
  operations: Operations<Id, D>,
  request: ApiRequest,
  deps: D,
): Promise<ApiResponse> {
  const operation = (operations as Record<string, AnyOperation<D> | undefined>)[request.operationId];
  if (!operation) throw new Error(`${request.operationId} is not served by the API function`);
  const parsed = parseRequest(request);
  const input = parsed.input as AnyInput;
  const once =
    parsed.idempotencyKey === undefined ? undefined : idempotencyScope(request, input, parsed.idempotencyKey, deps);
  if (typeof operation === "function") {
    if (!once) return operation(input, deps);
    return idempotently(once, async (record) => {
      let committed = false;
      const response = await operation(input, deps, { extraOps: record, committed: () => (committed = true) });
      return { response, committed };
    });
  }
  if ("list" in operation) return paged(request, input, deps, operation.list);
  const options = parsed.ifMatch === undefined ? {} : { ifMatch: parsed.ifMatch };
  if (!once) return operation.respond(await operation.commit(input, deps, options));
  // The idempotency record is handed to the command so it commits with the effect.
  return idempotently(once, async (record) => {
    const outcome = await operation.commit(input, deps, { ...options, extraOps: (o) => record(operation.respond(o)) });
    return { response: operation.respond(outcome), committed: outcome.changed };
  });
}

function idempotencyScope(request: ApiRequest, input: AnyInput, key: string, deps: DispatchDeps): IdempotencyScope {
  if (!input.scope) throw new Error(`${request.operationId}: a mutation outside a project cannot be idempotent`);
  return {
    store: deps.store,
    tenantId: input.scope.tenantId,
    projectId: input.scope.projectId,
    key,
    fingerprint: fingerprint(request.operationId, request.params, request.body),
    nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
  };
}

/**
 * A listing: the cursor a client sends is opened (authenticated, and bound to this listing — the operation,
 * the caller's tenant, the path and the filters) before the store sees it, and the next page's cursor is
 * sealed the same way (shared/app/http/cursor.ts).
 */
async function paged<D extends DispatchDeps>(
  request: ApiRequest,
  input: AnyInput,
  deps: D,
  list: Extract<AnyOperation<D>, { list: unknown }>["list"],
): Promise<ApiResponse> {
  const { limit, cursor, ...filters } = input.query as { limit?: number; cursor?: string };
  const key = await signingKey(deps.store, "cursor");
  const sorted = (record: Record<string, unknown>) =>
    Object.entries(record)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
  const binding = [request.operationId, request.principal?.tenantId ?? null, sorted(request.params), sorted(filters)];
  const result = await list({ ...input, filters }, deps, {
    ...(limit !== undefined && { limit }),
    ...(cursor !== undefined && { cursor: openCursor(key, binding, cursor) }),
  });
  const body =
    result.nextCursor === undefined ? result : { ...result, nextCursor: sealCursor(key, binding, result.nextCursor) };
  return { status: 200, body };
}
