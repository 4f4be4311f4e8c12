import type { ApiRequest, ApiResponse } from "./request.js";
import { listActivity } from "../../consumers/activity.js";
import { DomainError, NotFoundError, ValidationError } from "../../kernel/errors.js";
import type { Actor } from "../../kernel/envelope.js";
import {
  ParticipantIdSchema,
  AddMemberBodySchema,
  CreateGatheringBodySchema,
  JoinByCodeBodySchema,
  StartGatheringBodySchema,
  TransferOwnershipBodySchema,
  UpdateGatheringBodySchema,
  type Gathering,
} from "../../domain/gatherings/model.js";
import {
  addMember,
  cancelGathering,
  changeMemberStatus,
  createGathering,
  endGathering,
  getGathering,
  getMember,
  joinByCode,
  listGatherings,
  listMembers,
  regenerateJoinCode,
  removeMember,
  startGathering,
  transferOwnership,
  updateGathering,
  type CommandOptions,
  type GatheringDeps,
  type Outcome,
} from "../../domain/gatherings/service.js";
import type { WriteOp } from "../../store/store.js";
import { fingerprint, idempotently, validateIdempotencyKey } from "./idempotency.js";
import { openApiDocument } from "./openapi.js";
import {
  ListGatheringsQuerySchema,
  ListInvitationsQuerySchema,
  ListMembersQuerySchema,
  PageQuerySchema,
  type ApiOperationId,
} from "./routes.js";
import { getSession } from "../../domain/sessions/service.js";
import { signingKey } from "../../domain/auth/signing-key.js";
import { SendInvitationsBodySchema } from "../../domain/gatherings/invitation-model.js";
import { rsvpConfirmPage, rsvpDonePage, rsvpInvalidPage, verifyRsvpToken } from "../../domain/mail/rsvp.js";
import {
  getInvitation,
  listInvitations,
  respondToInvitation,
  sendInvitations,
  type InvitationOutcome,
} from "../../domain/gatherings/invitations.js";
import { PutParticipantBodySchema } from "../../domain/participants/model.js";
import { getParticipant, putParticipant } from "../../domain/participants/service.js";
import {
  CreateWebhookBodySchema,
  ReplayBodySchema,
  RotateSecretBodySchema,
  UpdateWebhookBodySchema,
} from "../../consumers/webhooks/model.js";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listAttempts,
  listWebhooks,
  replayEvent,
  rotateWebhookSecret,
  updateWebhook,
  type DeliveryQueue,
  type WebhookConfig,
} from "../../consumers/webhooks/service.js";
import { openCursor, sealCursor } from "./cursor.js";
import { parsePathParams, parseWith } from "./validation.js";

/**
 * The HTTP API, independent of any transport: the Lambda entry (functions/http-api.ts) turns an
 * API Gateway event into an ApiRequest and the result back. Each operation: parse → domain → shape.
 */

export interface ApiDeps extends GatheringDeps {
  webhooks: { queue: DeliveryQueue; config: WebhookConfig };
}

type Operation = (request: ApiRequest, deps: ApiDeps) => Promise<ApiResponse>;

/** The tenant/project scope of a request. A key for another project sees nothing: 404, not 403. */
function scopeOf(request: ApiRequest): { tenantId: string; projectId: string; actor: Actor } {
  const principal = request.principal;
  const projectId = request.params.projectId;
  if (!principal || !projectId) throw new Error("scoped operation without principal or projectId");
  if (principal.projectScope !== "*" && principal.projectScope !== projectId) {
    throw new NotFoundError(`project ${projectId} not found`);
  }
  return {
    tenantId: principal.tenantId,
    projectId,
    actor: { type: principal.actorType ?? "apiKey", id: principal.keyId },
  };
}

/** `If-Match: "7"` (or 7, W/"7") → 7; `*` or absent → undefined. */
function ifMatchOf(request: ApiRequest): number | undefined {
  const raw = request.headers["if-match"]?.trim();
  if (raw === undefined || raw === "*") return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw);
  if (!match) {
    throw new ValidationError('If-Match must be the gathering version, e.g. "7"', [
      { path: "If-Match", message: 'must be the gathering version, e.g. "7"' },
    ]);
  }
  return Number(match[1]);
}

const etag = (g: Gathering) => ({ ETag: `"${g.version}"` });

const gatheringResponse =
  (status: number) =>
  (o: Outcome): ApiResponse => ({
    status,
    body: o.gathering,
    headers: etag(o.gathering),
  });

const memberResponse =
  (status: (o: Outcome) => number) =>
  (o: Outcome): ApiResponse => ({
    status: status(o),
    body: { gathering: o.gathering, member: o.member },
    headers: etag(o.gathering),
  });

/**
 * A state-changing operation: honours If-Match and Idempotency-Key, and shapes the outcome. The
 * idempotency record is handed to the command so it commits with the effect.
 */
async function mutate(
  request: ApiRequest,
  deps: ApiDeps,
  run: (options: CommandOptions) => Promise<Outcome>,
  respond: (outcome: Outcome) => ApiResponse,
): Promise<ApiResponse> {
  const ifMatch = ifMatchOf(request);
  const key = request.headers["idempotency-key"];
  if (key === undefined) return respond(await run(ifMatch === undefined ? {} : { ifMatch }));
  validateIdempotencyKey(key);
  const scope = scopeOf(request);
  return idempotently(
    {
      store: deps.store,
      tenantId: scope.tenantId,
      projectId: scope.projectId,
      key,
      fingerprint: fingerprint(request.operationId, request.params, request.body),
      nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
    },
    async (record: (response: ApiResponse) => WriteOp[]) => {
      const outcome = await run({
        ...(ifMatch !== undefined && { ifMatch }),
        extraOps: (o) => record(respond(o)),
      });
      return { response: respond(outcome), committed: outcome.changed };
    },
  );
}

/**
 * A list operation: the cursor a client sends is opened (authenticated, and bound to this listing — the
 * operation, the caller's tenant, the path and the filters) before the store sees it, and the next page's
 * cursor is sealed the same way (shared/app/http/cursor.ts). Scope is checked first, so a foreign project is
 * still a 404.
 */
async function paged(
  request: ApiRequest,
  deps: ApiDeps,
  page: { limit?: number | undefined; cursor?: string | undefined },
  filters: Record<string, unknown>,
  list: (page: { limit?: number; cursor?: string }) => Promise<{ items: unknown[]; nextCursor?: string }>,
): Promise<ApiResponse> {
  scopeOf(request);
  const key = await signingKey(deps.store, "cursor");
  const sorted = (record: Record<string, unknown>) =>
    Object.entries(record)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
  const binding = [request.operationId, request.principal?.tenantId ?? null, sorted(request.params), sorted(filters)];
  const result = await list({
    ...(page.limit !== undefined && { limit: page.limit }),
    ...(page.cursor !== undefined && { cursor: openCursor(key, binding, page.cursor) }),
  });
  const body =
    result.nextCursor === undefined ? result : { ...result, nextCursor: sealCursor(key, binding, result.nextCursor) };
  return { status: 200, body };
}

const memberActions = ["join", "ready", "unready", "leave"] as const;

const OPERATIONS: Record<ApiOperationId, Operation> = {
  async getOpenApi() {
    return { status: 200, body: openApiDocument() };
  },

  async listGatherings(request, deps) {
    const { limit, cursor, ...filters } = parseWith(ListGatheringsQuerySchema, request.query, "query");
    return paged(request, deps, { limit, cursor }, filters, (page) =>
      listGatherings(deps, scopeOf(request), filters, page),
    );
  },

  async createGathering(request, deps) {
    const input = parseWith(CreateGatheringBodySchema, request.body, "body");
    return mutate(
      request,
      deps,
      async (options) => ({ gathering: await createGathering(deps, scopeOf(request), input, options), changed: true }),
      (o) => ({
        status: 201,
        body: o.gathering,
        headers: {
          // Encoded: shaping a response must not be able to fail once the commit happened.
          Location: `/v1/projects/${encodeURIComponent(o.gathering.projectId)}/gatherings/${encodeURIComponent(o.gathering.id)}`,
          ...etag(o.gathering),
        },
      }),
    );
  },

  async joinByCode(request, deps) {
    const input = parseWith(JoinByCodeBodySchema, request.body, "body");
    return mutate(
      request,
      deps,
      (options) => joinByCode(deps, scopeOf(request), input, options),
      memberResponse(() => 200),
    );
  },

  async getGathering(request, deps) {
    const gathering = await getGathering(deps, scopeOf(request), request.params.gatheringId!);
    return { status: 200, body: gathering, headers: etag(gathering) };
  },

  async updateGathering(request, deps) {
    const input = parseWith(UpdateGatheringBodySchema, request.body, "body");
    return mutate(
      request,
      deps,
      (options) => updateGathering(deps, scopeOf(request), request.params.gatheringId!, input, options),
      gatheringResponse(200),
    );
  },

  async startGathering(request, deps) {
    const input = parseWith(StartGatheringBodySchema, request.body ?? {}, "body");
    return mutate(
      request,
      deps,
      (options) => startGathering(deps, scopeOf(request), request.params.gatheringId!, input, options),
      gatheringResponse(200),
    );
  },

  async endGathering(request, deps) {
    return mutate(
      request,
      deps,
      (options) => endGathering(deps, scopeOf(request), request.params.gatheringId!, options),
      gatheringResponse(200),
    );
  },

  async cancelGathering(request, deps) {
    return mutate(
      request,
      deps,
      (options) => cancelGathering(deps, scopeOf(request), request.params.gatheringId!, options),
      gatheringResponse(200),
    );
  },

  async regenerateJoinCode(request, deps) {
    return mutate(
      request,
      deps,
      (options) => regenerateJoinCode(deps, scopeOf(request), request.params.gatheringId!, options),
      gatheringResponse(200),
    );
  },

  async listMembers(request, deps) {
    const { limit, cursor, status } = parseWith(ListMembersQuerySchema, request.query, "query");
    return paged(request, deps, { limit, cursor }, { status }, (page) =>
      listMembers(deps, scopeOf(request), request.params.gatheringId!, status ? { status } : {}, page),
    );
  },

  async addMember(request, deps) {
    const input = parseWith(AddMemberBodySchema, request.body, "body");
    return mutate(
      request,
      deps,
      (options) => addMember(deps, scopeOf(request), request.params.gatheringId!, input, options),
      memberResponse((o) => (o.changed ? 201 : 200)),
    );
  },

  async getMember(request, deps) {
    const member = await getMember(deps, scopeOf(request), request.params.gatheringId!, request.params.participantId!);
    return { status: 200, body: member };
  },

  async removeMember(request, deps) {
    return mutate(
      request,
      deps,
      (options) =>
        removeMember(deps, scopeOf(request), request.params.gatheringId!, request.params.participantId!, options),
      memberResponse(() => 200),
    );
  },

  ...(Object.fromEntries(
    memberActions.map((action) => [
      `${action}Member`,
      (request: ApiRequest, deps: ApiDeps) =>
        mutate(
          request,
          deps,
          (options) =>
            changeMemberStatus(
              deps,
              scopeOf(request),
              request.params.gatheringId!,
              request.params.participantId!,
              action,
              options,
            ),
          memberResponse(() => 200),
        ),
    ]),
  ) as Record<`${(typeof memberActions)[number]}Member`, Operation>),

  async transferOwnership(request, deps) {
    const input = parseWith(TransferOwnershipBodySchema, request.body, "body");
    return mutate(
      request,
      deps,
      (options) => transferOwnership(deps, scopeOf(request), request.params.gatheringId!, input.participantId, options),
      memberResponse(() => 200),
    );
  },

  async sendInvitations(request, deps) {
    const input = parseWith(SendInvitationsBodySchema, request.body, "body");
    return mutate(
      request,
      deps,
      (options) => sendInvitations(deps, scopeOf(request), request.params.gatheringId!, input, options),
      (o) => ({ status: 201, body: { invitations: (o as InvitationOutcome).invitations }, headers: etag(o.gathering) }),
    );
  },

  async listInvitations(request, deps) {
    const { limit, cursor, status } = parseWith(ListInvitationsQuerySchema, request.query, "query");
    return paged(request, deps, { limit, cursor }, { status }, (page) =>
      listInvitations(deps, scopeOf(request), request.params.gatheringId!, status ? { status } : {}, page),
    );
  },

  async getInvitation(request, deps) {
    const invitation = await getInvitation(
      deps,
      scopeOf(request),
      request.params.gatheringId!,
      request.params.invitationId!,
    );
    return { status: 200, body: invitation };
  },

  ...(Object.fromEntries(
    (["accept", "decline"] as const).map((action) => [
      `${action}Invitation`,
      (request: ApiRequest, deps: ApiDeps) =>
        mutate(
          request,
          deps,
          (options) =>
            respondToInvitation(
              deps,
              scopeOf(request),
              request.params.gatheringId!,
              request.params.invitationId!,
              action === "accept" ? "accepted" : "declined",
              options,
            ),
          (o) => ({ status: 200, body: (o as InvitationOutcome).invitations[0], headers: etag(o.gathering) }),
        ),
    ]),
  ) as Record<"acceptInvitation" | "declineInvitation", Operation>),

  async viewRsvp(request, deps) {
    const verified = verifyRsvpToken(await signingKey(deps.store, "rsvp"), request.params.token!, deps.clock.now());
    if (!verified.ok) return html(400, rsvpInvalidPage(rsvpReason(verified.reason)));
    const { claim } = verified;
    const gathering = await getGathering(deps, claim, claim.gatheringId).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!gathering) return html(404, rsvpInvalidPage("The gathering no longer exists."));
    return html(200, rsvpConfirmPage(gathering.name, claim.action, request.params.token!));
  },

  async confirmRsvp(request, deps) {
    const verified = verifyRsvpToken(await signingKey(deps.store, "rsvp"), request.params.token!, deps.clock.now());
    if (!verified.ok) return html(400, rsvpInvalidPage(rsvpReason(verified.reason)));
    const { claim } = verified;
    const status = claim.action === "accept" ? "accepted" : "declined";
    try {
      const gathering = await getGathering(deps, claim, claim.gatheringId);
      await respondToInvitation(
        deps,
        {
          tenantId: claim.tenantId,
          projectId: claim.projectId,
          actor: { type: "participant", id: claim.invitationId },
        },
        claim.gatheringId,
        claim.invitationId,
        status,
      );
      return html(200, rsvpDonePage(gathering.name, status));
    } catch (error) {
      if (error instanceof DomainError && error.status < 500) return html(error.status, rsvpInvalidPage(error.message));
      throw error;
    }
  },

  async putParticipant(request, deps) {
    const input = parseWith(PutParticipantBodySchema, request.body, "body");
    const participantId = parseWith(ParticipantIdSchema, request.params.participantId, "path");
    return {
      status: 200,
      body: await putParticipant(deps.store, scopeOf(request), participantId, input, deps.clock.now()),
    };
  },

  async getParticipant(request, deps) {
    return { status: 200, body: await getParticipant(deps.store, scopeOf(request), request.params.participantId!) };
  },

  async createWebhook(request, deps) {
    const input = parseWith(CreateWebhookBodySchema, request.body, "body");
    return once(request, deps, async () => ({
      status: 201,
      body: await createWebhook({ ...deps, config: deps.webhooks.config }, scopeOf(request), input),
    }));
  },

  async listWebhooks(request, deps) {
    const query = parseWith(PageQuerySchema, request.query, "query");
    return paged(request, deps, query, {}, (page) => listWebhooks(deps.store, scopeOf(request), page));
  },

  async getWebhook(request, deps) {
    return { status: 200, body: await getWebhook(deps.store, scopeOf(request), request.params.webhookId!) };
  },

  async updateWebhook(request, deps) {
    const input = parseWith(UpdateWebhookBodySchema, request.body, "body");
    const endpoint = await updateWebhook(
      { ...deps, config: deps.webhooks.config },
      scopeOf(request),
      request.params.webhookId!,
      input,
    );
    return { status: 200, body: endpoint };
  },

  async deleteWebhook(request, deps) {
    await deleteWebhook(deps.store, scopeOf(request), request.params.webhookId!);
    return { status: 204 };
  },

  async rotateWebhookSecret(request, deps) {
    const input = parseWith(RotateSecretBodySchema, request.body ?? {}, "body");
    return once(request, deps, async () => ({
      status: 200,
      body: await rotateWebhookSecret(
        { ...deps, config: deps.webhooks.config },
        scopeOf(request),
        request.params.webhookId!,
        input.graceSeconds,
      ),
    }));
  },

  async listWebhookAttempts(request, deps) {
    const query = parseWith(PageQuerySchema, request.query, "query");
    return paged(request, deps, query, {}, (page) =>
      listAttempts(deps.store, scopeOf(request), { webhookId: request.params.webhookId! }, page),
    );
  },

  async listEventAttempts(request, deps) {
    const query = parseWith(PageQuerySchema, request.query, "query");
    return paged(request, deps, query, {}, (page) =>
      listAttempts(deps.store, scopeOf(request), { eventId: request.params.eventId! }, page),
    );
  },

  async replayWebhookEvent(request, deps) {
    const input = parseWith(ReplayBodySchema, request.body, "body");
    return once(request, deps, async () => {
      await replayEvent({ ...deps, ...deps.webhooks }, scopeOf(request), request.params.webhookId!, input.eventId);
      return { status: 202, body: { queued: true, eventId: input.eventId } };
    });
  },

  async getSession(request, deps) {
    return { status: 200, body: await getSession(deps.store, scopeOf(request), request.params.sessionId!) };
  },

  async listActivity(request, deps) {
    const scope = scopeOf(request);
    const query = parseWith(PageQuerySchema, request.query, "query");
    return paged(request, deps, query, {}, (page) => listActivity(deps.store, scope, page));
  },
};

function html(status: number, page: string): ApiResponse {
  return { status, body: page, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } };
}

function rsvpReason(reason: "malformed" | "bad_signature" | "expired"): string {
  return reason === "expired" ? "This link has expired." : "This link is broken or was altered.";
}

/**
 * A POST whose effect is not an aggregate commit (webhook management): with an Idempotency-Key the
 * first response is recorded after the effect and replayed to retries.
 */
async function once(request: ApiRequest, deps: ApiDeps, run: () => Promise<ApiResponse>): Promise<ApiResponse> {
  const key = request.headers["idempotency-key"];
  if (key === undefined) return run();
  validateIdempotencyKey(key);
  const scope = scopeOf(request);
  return idempotently(
    {
      store: deps.store,
      tenantId: scope.tenantId,
      projectId: scope.projectId,
      key,
      fingerprint: fingerprint(request.operationId, request.params, request.body),
      nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
    },
    async () => ({ response: await run(), committed: false }),
  );
}

export async function handleApiRequest(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const operation = OPERATIONS[request.operationId as ApiOperationId];
  if (!operation) throw new Error(`${request.operationId} is not served by the API function`);
  parsePathParams(request.operationId, request.params);
  return operation(request, deps);
}

/** The request's scope, for other transports (the SSE function) that share the API's rules. */
export { scopeOf };
