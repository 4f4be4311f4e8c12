import type { z } from "zod";
import { listActivity } from "../activity/activity.js";
import { NotFoundError } from "../errors.js";
import type { Actor } from "../events/envelope.js";
import { CreateGatheringBodySchema } from "../gatherings/model.js";
import { createGathering, getGathering, type GatheringDeps } from "../gatherings/service.js";
import { openApiDocument } from "./openapi.js";
import { ROUTES, type OperationId, type RouteDefinition } from "./routes.js";
import { parseWith } from "./validation.js";

/**
 * The HTTP API, independent of any transport: the Lambda entry (functions/http-api.ts) turns an
 * API Gateway event into an ApiRequest and the result back. Each operation: parse → domain → shape.
 */
export interface Principal {
  tenantId: string;
  /** The project this key may use, or "*" for a tenant key. */
  projectScope: string;
  keyId: string;
}

export interface ApiRequest {
  operationId: OperationId;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
  principal?: Principal;
  requestId: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ApiDeps = GatheringDeps;

type Operation = (request: ApiRequest, deps: ApiDeps) => Promise<ApiResponse>;

const routeById = new Map<string, RouteDefinition>(ROUTES.map((r) => [r.operationId, r]));

function route(operationId: OperationId): RouteDefinition {
  return routeById.get(operationId)!;
}

function body<S extends z.ZodType>(request: ApiRequest, schema: S): z.output<S> {
  return parseWith(schema, request.body ?? {}, "body");
}

/** The tenant/project scope of a request. A key for another project sees nothing: 404, not 403. */
function scopeOf(request: ApiRequest): { tenantId: string; projectId: string; actor: Actor } {
  const principal = request.principal;
  const projectId = request.params.projectId;
  if (!principal || !projectId) throw new Error("scoped operation without principal or projectId");
  if (principal.projectScope !== "*" && principal.projectScope !== projectId) {
    throw new NotFoundError(`project ${projectId} not found`);
  }
  return { tenantId: principal.tenantId, projectId, actor: { type: "apiKey", id: principal.keyId } };
}

const OPERATIONS: Record<OperationId, Operation> = {
  async getOpenApi() {
    return { status: 200, body: openApiDocument() };
  },

  async createGathering(request, deps) {
    const input = body(request, CreateGatheringBodySchema);
    const gathering = await createGathering(deps, scopeOf(request), input);
    return {
      status: 201,
      body: gathering,
      headers: {
        Location: `/v1/projects/${gathering.projectId}/gatherings/${gathering.id}`,
        ETag: `"${gathering.version}"`,
      },
    };
  },

  async getGathering(request, deps) {
    const gathering = await getGathering(deps, scopeOf(request), request.params.gatheringId!);
    return { status: 200, body: gathering, headers: { ETag: `"${gathering.version}"` } };
  },

  async listActivity(request, deps) {
    const scope = scopeOf(request);
    const query = parseWith(route("listActivity").query!, request.query, "query");
    return { status: 200, body: await listActivity(deps.store, scope.projectId, query) };
  },
};

export function handleApiRequest(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  return OPERATIONS[request.operationId](request, deps);
}
