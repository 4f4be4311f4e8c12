import { listActivity } from "../../consumers/activity.js";
import type { Gathering } from "../../domain/gatherings/model.js";
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
  type GatheringDeps,
  type Outcome,
} from "../../domain/gatherings/service.js";
import { openApiDocument } from "./openapi.js";
import { assertJoinableByToken, assertParticipantMember, createParticipantToken } from "./participant-access.js";
import type { ApiOperationId, RouteOf } from "./routes.js";
import {
  createSession,
  deleteSession,
  endSession,
  getSession,
  listSessions,
  reportBot,
  startSession,
  updateSession,
} from "../../domain/sessions/service.js";
import { debugAudioLink, listMessages, postMessage } from "../../domain/sessions/messages.js";
import { listPlugins, updatePlugin } from "../../domain/plugins/settings.js";
import { listMessageAnnotations, listSessionAnnotations } from "../../domain/plugins/annotations.js";
import { getSessionActions, regenerateSummary, runAction } from "../../domain/plugins/actions.js";
import { listAttendance, reportAttendance } from "../../domain/sessions/attendance.js";
import { getSettings, updateSettings } from "../../domain/sessions/settings.js";
import type { DebugAudioStore } from "../../domain/sessions/audio.js";
import type { Session } from "../../domain/sessions/model.js";
import { confirmRsvp, viewRsvp } from "./rsvp-pages.js";
import {
  getInvitation,
  listInvitations,
  respondToInvitation,
  sendInvitations,
  type InvitationOutcome,
} from "../../domain/gatherings/invitations.js";
import { getParticipant, putParticipant } from "../../domain/participants/service.js";
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
import { createKey, listKeys, revokeKey, rotateKey, type KeyTarget } from "../../domain/auth/key-management.js";
import { requireScopesHeld } from "../../domain/auth/scopes.js";
import { dispatch, type Commit, type Operations } from "./dispatch.js";
import type { KeyScope } from "../../kernel/tenancy.js";
import type { ApiRequest, ApiResponse, RequestScope } from "./request.js";

/**
 * The HTTP API, independent of any transport: the Lambda entry (functions/http-api.ts) turns an
 * API Gateway event into an ApiRequest and the result back. The route table (routes.ts) declares each
 * operation's path, query and body schemas and whether it is a mutation; `dispatch` parses, scopes and
 * applies If-Match/Idempotency-Key; each operation below only calls the domain and shapes the answer.
 */

export interface ApiDeps extends GatheringDeps {
  webhooks: { queue: DeliveryQueue; config: WebhookConfig };
  audio: DebugAudioStore;
}

const sessionEtag = (s: Session) => ({ ETag: `"${s.version}"` });
const sessionResponse = (session: Session, status = 200): ApiResponse => ({
  status,
  body: session,
  headers: sessionEtag(session),
});
const BOT_START_SENT = "Bot start command sent";
const BOT_STOP_SENT = "Bot stop command sent";

const etag = (g: Gathering) => ({ ETag: `"${g.version}"` });

/** A key created by `scope`'s key: it may only hand out scopes it holds itself. */
async function createKeyAs(
  deps: ApiDeps,
  scope: RequestScope,
  body: { projectScope: string; scopes: KeyScope[]; description: string; expiresAt?: string | undefined },
): Promise<ApiResponse> {
  requireScopesHeld(scope.scopes, body.scopes);
  const created = await createKey(
    deps,
    {
      tenantId: scope.tenantId,
      projectScope: body.projectScope,
      scopes: body.scopes,
      description: body.description,
      ...(body.expiresAt !== undefined && { expiresAt: body.expiresAt }),
    },
    scope.actor,
  );
  return { status: 201, body: created };
}

/** A rotation by `scope`'s key, which must hold every scope of the key it rotates. */
async function rotateKeyAs(deps: ApiDeps, scope: RequestScope, target: KeyTarget): Promise<ApiResponse> {
  const { secret, key } = await rotateKey(deps, target, scope.actor, undefined, (rotated) =>
    requireScopesHeld(scope.scopes, rotated.scopes === "all" ? undefined : rotated.scopes),
  );
  return ok({ secret, key });
}

const gatheringResponse = (o: Outcome): ApiResponse => ({ status: 200, body: o.gathering, headers: etag(o.gathering) });

const memberResponse =
  (status: (o: Outcome) => number = () => 200) =>
  (o: Outcome): ApiResponse => ({
    status: status(o),
    body: { gathering: o.gathering, member: o.member },
    headers: etag(o.gathering),
  });

const memberAction = (action: "join" | "ready" | "unready" | "leave"): Commit<RouteOf<"joinMember">, ApiDeps> => ({
  commit: ({ scope, params }, deps, options) =>
    changeMemberStatus(deps, scope, params.gatheringId, params.participantId, action, options),
  respond: memberResponse(),
});

const invitationAnswer = (action: "accept" | "decline"): Commit<RouteOf<"acceptInvitation">, ApiDeps> => ({
  commit: ({ scope, params }, deps, options) =>
    respondToInvitation(
      deps,
      scope,
      params.gatheringId,
      params.invitationId,
      action === "accept" ? "accepted" : "declined",
      options,
    ),
  respond: (o: InvitationOutcome) => ({ status: 200, body: o.invitations[0], headers: etag(o.gathering) }),
});

const ok = (body: unknown): ApiResponse => ({ status: 200, body });

const OPERATIONS: Operations<ApiOperationId, ApiDeps> = {
  getOpenApi: async ({ baseUrl }) => ok(openApiDocument(baseUrl)),
  listGatherings: { list: ({ scope, filters }, deps, page) => listGatherings(deps, scope, filters, page) },
  createGathering: {
    commit: async ({ scope, body }, deps, options) => ({
      gathering: await createGathering(deps, scope, body, options),
      changed: true,
    }),
    respond: (o) => ({
      status: 201,
      body: o.gathering,
      headers: {
        // Encoded: shaping a response must not be able to fail once the commit happened.
        Location: `/v1/projects/${encodeURIComponent(o.gathering.projectId)}/gatherings/${encodeURIComponent(o.gathering.id)}`,
        ...etag(o.gathering),
      },
    }),
  },
  joinByCode: {
    commit: async ({ scope, body }, deps, o) => {
      await assertJoinableByToken(deps.store, scope, body.joinCode);
      return joinByCode(deps, scope, body, o);
    },
    respond: memberResponse(),
  },
  getGathering: async ({ scope, params }, deps) => {
    await assertParticipantMember(deps.store, scope, params.gatheringId);
    const gathering = await getGathering(deps, scope, params.gatheringId);
    return { status: 200, body: gathering, headers: etag(gathering) };
  },
  updateGathering: {
    commit: ({ scope, params, body }, deps, o) => updateGathering(deps, scope, params.gatheringId, body, o),
    respond: gatheringResponse,
  },
  startGathering: {
    commit: ({ scope, params, body }, deps, o) => startGathering(deps, scope, params.gatheringId, body, o),
    respond: gatheringResponse,
  },
  endGathering: {
    commit: ({ scope, params }, deps, o) => endGathering(deps, scope, params.gatheringId, o),
    respond: gatheringResponse,
  },
  cancelGathering: {
    commit: ({ scope, params }, deps, o) => cancelGathering(deps, scope, params.gatheringId, o),
    respond: gatheringResponse,
  },
  regenerateJoinCode: {
    commit: ({ scope, params }, deps, o) => regenerateJoinCode(deps, scope, params.gatheringId, o),
    respond: gatheringResponse,
  },
  listMembers: {
    list: async ({ scope, params, filters }, deps, page) => {
      await assertParticipantMember(deps.store, scope, params.gatheringId);
      return listMembers(deps, scope, params.gatheringId, filters, page);
    },
  },
  addMember: {
    commit: ({ scope, params, body }, deps, o) => addMember(deps, scope, params.gatheringId, body, o),
    respond: memberResponse((o) => (o.changed ? 201 : 200)),
  },
  getMember: async ({ scope, params }, deps) =>
    ok(await getMember(deps, scope, params.gatheringId, params.participantId)),
  removeMember: {
    commit: ({ scope, params }, deps, o) => removeMember(deps, scope, params.gatheringId, params.participantId, o),
    respond: memberResponse(),
  },
  joinMember: memberAction("join"),
  readyMember: memberAction("ready"),
  unreadyMember: memberAction("unready"),
  leaveMember: memberAction("leave"),
  transferOwnership: {
    commit: ({ scope, params, body }, deps, o) =>
      transferOwnership(deps, scope, params.gatheringId, body.participantId, o),
    respond: memberResponse(),
  },
  sendInvitations: {
    commit: ({ scope, params, body }, deps, o) => sendInvitations(deps, scope, params.gatheringId, body, o),
    respond: (o: InvitationOutcome) => ({
      status: 201,
      body: { invitations: o.invitations },
      headers: etag(o.gathering),
    }),
  },
  listInvitations: {
    list: ({ scope, params, filters }, deps, page) => listInvitations(deps, scope, params.gatheringId, filters, page),
  },
  getInvitation: async ({ scope, params }, deps) =>
    ok(await getInvitation(deps, scope, params.gatheringId, params.invitationId)),
  acceptInvitation: invitationAnswer("accept"),
  declineInvitation: invitationAnswer("decline"),

  viewRsvp,
  confirmRsvp,
  putParticipant: async ({ scope, params, body }, deps) =>
    ok(await putParticipant(deps.store, scope, params.participantId, body, deps.clock.now())),
  getParticipant: async ({ scope, params }, deps) => ok(await getParticipant(deps.store, scope, params.participantId)),
  createParticipantToken: async ({ scope, body }, deps) => createParticipantToken(deps, scope, body),
  createWebhook: async ({ scope, body }, deps) => ({
    status: 201,
    body: await createWebhook({ ...deps, config: deps.webhooks.config }, scope, body),
  }),
  listWebhooks: { list: ({ scope }, deps, page) => listWebhooks(deps.store, scope, page) },
  // Keys of this project: a project admin manages only keys scoped to it (a tenant key's are at /v1/keys).
  listProjectKeys: {
    list: ({ scope }, deps, page) => listKeys(deps.store, scope.tenantId, { ...page, projectScope: scope.projectId }),
  },
  createProjectKey: async ({ scope, body }, deps) =>
    createKeyAs(deps, scope, { ...body, projectScope: scope.projectId }),
  revokeProjectKey: async ({ scope, params }, deps) =>
    ok(
      await revokeKey(
        deps,
        { tenantId: scope.tenantId, keyId: params.keyId, projectScope: scope.projectId },
        scope.actor,
      ),
    ),
  rotateProjectKey: async ({ scope, params }, deps) =>
    rotateKeyAs(deps, scope, { tenantId: scope.tenantId, keyId: params.keyId, projectScope: scope.projectId }),
  // The tenant's keys (a tenant-wide admin key: dispatch's tenantScopeOf): of any project, or tenant-wide.
  listKeys: {
    list: ({ scope, query }, deps, page) =>
      listKeys(deps.store, scope.tenantId, {
        ...page,
        ...(query.projectScope !== undefined && { projectScope: query.projectScope }),
      }),
  },
  createKey: async ({ scope, body }, deps) => createKeyAs(deps, scope, body),
  revokeKey: async ({ scope, params }, deps) =>
    ok(await revokeKey(deps, { tenantId: scope.tenantId, keyId: params.keyId }, scope.actor)),
  rotateKey: async ({ scope, params }, deps) =>
    rotateKeyAs(deps, scope, { tenantId: scope.tenantId, keyId: params.keyId }),
  getWebhook: async ({ scope, params }, deps) => ok(await getWebhook(deps.store, scope, params.webhookId)),
  updateWebhook: async ({ scope, params, body }, deps) =>
    ok(await updateWebhook({ ...deps, config: deps.webhooks.config }, scope, params.webhookId, body)),
  deleteWebhook: async ({ scope, params }, deps) => {
    await deleteWebhook(deps.store, scope, params.webhookId);
    return { status: 204 };
  },
  rotateWebhookSecret: async ({ scope, params, body }, deps) =>
    ok(
      await rotateWebhookSecret({ ...deps, config: deps.webhooks.config }, scope, params.webhookId, body.graceSeconds),
    ),
  listWebhookAttempts: {
    list: ({ scope, params }, deps, page) => listAttempts(deps.store, scope, { webhookId: params.webhookId }, page),
  },
  listEventAttempts: {
    list: ({ scope, params }, deps, page) => listAttempts(deps.store, scope, { eventId: params.eventId }, page),
  },
  replayWebhookEvent: async ({ scope, params, body }, deps) => {
    await replayEvent({ ...deps, ...deps.webhooks }, scope, params.webhookId, body.eventId);
    return { status: 202, body: { queued: true, eventId: body.eventId } };
  },
  listSessions: { list: ({ scope, filters }, deps, page) => listSessions(deps.store, scope, filters, page) },
  createSession: async ({ scope, body }, deps, once) => {
    const created = (session: Session): ApiResponse => {
      const location = `/v1/projects/${encodeURIComponent(session.projectId)}/sessions/${encodeURIComponent(session.id)}`;
      return { status: 201, body: session, headers: { Location: location, ...sessionEtag(session) } };
    };
    // With an Idempotency-Key, the record commits with the session: concurrent retries create one.
    const session = await createSession(deps, scope, body, once && { extraOps: (s) => once.extraOps(created(s)) });
    once?.committed();
    return created(session);
  },
  getSession: async ({ scope, params }, deps) => sessionResponse(await getSession(deps.store, scope, params.sessionId)),
  updateSession: async ({ scope, params, body, ifMatch }, deps) =>
    sessionResponse((await updateSession(deps, scope, params.sessionId, body, { ifMatch })).session),
  deleteSession: async ({ scope, params, ifMatch }, deps) => {
    await deleteSession(deps, scope, params.sessionId, { ifMatch });
    return { status: 204 };
  },
  // The seed's answers: the bot is commanded asynchronously (the bot command queue).
  startSession: async ({ scope, params }, deps) => {
    const { session } = await startSession(deps, scope, params.sessionId);
    return { status: 202, body: { message: BOT_START_SENT, session }, headers: sessionEtag(session) };
  },
  stopSession: async ({ scope, params }, deps) => {
    const { session } = await endSession(deps, scope, params.sessionId, "stopped");
    return { status: 202, body: { message: BOT_STOP_SENT, session }, headers: sessionEtag(session) };
  },
  listMessages: {
    list: ({ scope, params }, deps, page) => listMessages(deps.store, scope, params.sessionId, page),
  },
  getDebugAudio: async ({ scope, params, query }, deps) => {
    const link = await debugAudioLink(deps, scope, params.sessionId, params.messageId);
    if (query.redirect === false) return ok(link);
    return { status: 302, headers: { Location: link.url, "Cache-Control": "no-store" } };
  },
  listAttendance: {
    list: ({ scope, params }, deps, page) => listAttendance(deps.store, scope, params.sessionId, page),
  },
  reportBotState: async ({ scope, params, body }, deps) => {
    const { session } = await reportBot(deps, scope, params.sessionId, body);
    const { debugAudioEnabled } = await getSettings(deps.store, scope);
    return { status: 200, body: { session, debugAudio: debugAudioEnabled }, headers: sessionEtag(session) };
  },
  reportAttendance: async ({ scope, params, body }, deps) =>
    ok(await reportAttendance(deps, scope, params.sessionId, body)),
  postMessage: async ({ scope, params, body }, deps) => {
    const { message, created } = await postMessage(deps, scope, params.sessionId, body);
    return { status: created ? 201 : 200, body: message };
  },
  getProjectSettings: async ({ scope }, deps) => ok(await getSettings(deps.store, scope)),
  updateProjectSettings: async ({ scope, body }, deps) =>
    ok(await updateSettings(deps.store, scope, body, deps.clock.now().toISOString())),
  listActivity: { list: ({ scope }, deps, page) => listActivity(deps.store, scope, page) },
  listPlugins: async ({ scope }, deps) => ok({ items: await listPlugins(deps.store, scope) }),
  updatePlugin: async ({ scope, params, body }, deps) =>
    ok(await updatePlugin(deps.store, scope, params.pluginId, body, deps.clock.now().toISOString())),
  listSessionAnnotations: async ({ scope, params, query }, deps) =>
    ok({ items: await listSessionAnnotations(deps.store, scope, params.sessionId, query) }),
  listMessageAnnotations: {
    list: ({ scope, params, query }, deps, page) =>
      listMessageAnnotations(deps.store, scope, params.sessionId, {
        ...page,
        ...(query.messageId !== undefined && { messageId: query.messageId }),
      }),
  },
  getSessionActions: async ({ scope, params }, deps) =>
    ok(await getSessionActions(deps.store, scope, params.sessionId)),
  runSessionAction: async ({ scope, params }, deps) => ({
    status: 202,
    body: await runAction(deps, scope, params.sessionId, params.pluginId, params.actionId),
  }),
  regenerateSummary: async ({ scope, params }, deps) => ({
    status: 202,
    body: await regenerateSummary(deps, scope, params.sessionId),
  }),
};

export function handleApiRequest(request: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  return dispatch(OPERATIONS, request, deps);
}
