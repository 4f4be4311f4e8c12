import type { Actor } from "../../kernel/envelope.js";
import { ForbiddenError, NotFoundError } from "../../kernel/errors.js";
import type { KeyScope, Principal, Scope } from "../../kernel/tenancy.js";
import type { OperationId } from "./routes.js";

/**
 * A request and a response of the HTTP API, independent of any transport: the Lambda adapter, the local
 * server and the in-process fetch translate to and from these.
 */
export interface ApiRequest {
  operationId: OperationId;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body: unknown;
  principal?: Principal;
  /** The API's base URL as the caller reached it (e.g. the stage URL), where the transport knows it. */
  baseUrl?: string | undefined;
  requestId: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The project a request acts in, and who acts. */
export interface RequestScope extends Scope {
  actor: Actor;
  /** Set for a participant token: the handler checks membership (it reads the gathering anyway). */
  participant?: { participantId: string; gatherings?: string[] };
  /** The caller's key scopes (absent: a key that predates scopes, holding every one). */
  scopes?: readonly KeyScope[];
}

/**
 * The scope of a tenant-level route (`/v1/keys`): the whole tenant, so only a tenant-wide key (projectScope
 * `*`) may act there; a project key, a bot key or a participant token gets 403.
 */
export function tenantScopeOf(request: ApiRequest): RequestScope {
  const principal = request.principal;
  if (!principal) throw new Error("tenant operation without principal");
  if (principal.projectScope !== "*" || principal.credential === "participant" || principal.credential === "bot") {
    throw new ForbiddenError('Only a tenant-wide key (projectScope "*") may manage the tenant\'s keys here');
  }
  return keyScope(principal, "*");
}

/** The tenant/project scope of a request. A key for another project sees nothing: 404, not 403. */
export function scopeOf(request: ApiRequest): RequestScope {
  const principal = request.principal;
  const projectId = request.params.projectId;
  if (!principal || !projectId) throw new Error("scoped operation without principal or projectId");
  if (principal.projectScope !== "*" && principal.projectScope !== projectId) {
    throw new NotFoundError(`project ${projectId} not found`);
  }
  if (principal.credential === "participant" && principal.participantId) {
    const { participantId, gatherings } = principal;
    return {
      tenantId: principal.tenantId,
      projectId,
      actor: { type: "participant", id: participantId },
      participant: { participantId, ...(gatherings && { gatherings }) },
    };
  }
  return keyScope(principal, projectId);
}

/** A key's scope in `projectId` (`*`: the tenant): it acts as itself, with the scopes it holds. */
function keyScope(principal: Principal, projectId: string): RequestScope {
  return {
    tenantId: principal.tenantId,
    projectId,
    actor: { type: principal.actorType ?? "apiKey", id: principal.keyId },
    ...(principal.scopes && { scopes: principal.scopes }),
  };
}
