import * as z from "../../kernel/zod.js";
import { EventEnvelopeSchema } from "../../kernel/envelope.js";
import {
  ApiKeySchema,
  ApiKeyWithSecretSchema,
  CreateKeyBodySchema,
  CreateTenantKeyBodySchema,
  ListTenantKeysQuerySchema,
} from "../../domain/auth/model.js";
import type { KeyScope } from "../../kernel/tenancy.js";
import {
  AttendanceBodySchema,
  AttendeeSchema,
  BotCommandAnswerSchema,
  BotReportAnswerSchema,
  BotReportBodySchema,
  CreateSessionBodySchema,
  DebugAudioLinkSchema,
  MessageSchema,
  PostMessageBodySchema,
  ProjectSettingsSchema,
  SESSION_STATUSES,
  SessionSchema,
  UpdateSessionBodySchema,
  UpdateSettingsBodySchema,
} from "../../domain/sessions/model.js";
import {
  InvitationListSchema,
  InvitationSchema,
  INVITATION_STATUSES,
  SendInvitationsBodySchema,
} from "../../domain/gatherings/invitation-model.js";
import { ParticipantSchema, PutParticipantBodySchema } from "../../domain/participants/model.js";
import {
  ActionAcceptedSchema,
  ANNOTATION_TYPES,
  MessageAnnotationSchema,
  PluginInstanceSchema,
  PluginListSchema,
  SessionActionsSchema,
  SessionAnnotationSchema,
  UpdatePluginBodySchema,
} from "../../domain/plugins/model.js";
import {
  CreateWebhookBodySchema,
  DeliveryAttemptSchema,
  ReplayBodySchema,
  RotateSecretBodySchema,
  UpdateWebhookBodySchema,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from "../../consumers/webhooks/model.js";
import {
  AddMemberBodySchema,
  CreateGatheringBodySchema,
  GATHERING_STATUSES,
  GATHERING_TYPES,
  GatheringSchema,
  JoinByCodeBodySchema,
  JoinResultSchema,
  MEMBER_STATUSES,
  MemberSchema,
  ParticipantIdSchema,
  StartGatheringBodySchema,
  TransferOwnershipBodySchema,
  UpdateGatheringBodySchema,
} from "../../domain/gatherings/model.js";

/**
 * The HTTP API, defined once: the CDK stack creates one API Gateway method per route (all behind the
 * authorizer unless `public`), the local server matches requests against the same table, the API
 * handler dispatches on `operationId`, and the OpenAPI document is generated from it.
 */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteDefinition {
  operationId: string;
  method: HttpMethod;
  /** API Gateway resource path with {params}. */
  path: string;
  summary: string;
  /** Served by which function: the API, or the streaming SSE function (response streaming on AWS). */
  handler: "api" | "sse";
  public?: boolean;
  /** Honours `If-Match: <version>` (412 when stale). */
  ifMatch?: boolean;
  /**
   * A state change, and how it honours `If-Match` and `Idempotency-Key`: "aggregate" is a gathering command
   * (the idempotency record commits with its effect); "once" is any other effect (its first response is
   * recorded after it and replayed to retries). Other routes ignore both headers.
   */
  mutation?: "aggregate" | "once";
  body?: z.ZodMiniType;
  /** The body may be omitted (e.g. start with no options). */
  optionalBody?: boolean;
  /** A larger body limit than the API's default 256 KiB (e.g. a message with its debug audio). */
  maxBodyBytes?: number;
  /**
   * Which credential may call it: a project key (default), a bot key (`bot`: the bot API) or both (`any`:
   * a bot reads the session it serves); the other gets 403.
   */
  credential?: "bot" | "any";
  /**
   * What a participant token may do here (absent: nothing, 403). `join`: join by code as itself (the body's
   * participantId must be its own); `self`: act on its own member record (the path's participantId);
   * `member`: read or watch a gathering it is a member of. A token listing gatherings reaches only those.
   */
  participant?: "join" | "self" | "member";
  /**
   * The key scope the route needs, when it is not the one its method implies (see `requiredScope`): `admin`
   * for settings, plugins' configuration and webhook endpoints (which hold secrets).
   */
  scope?: "admin";
  /**
   * A tenant-level route (`/v1/keys`): only a tenant-wide key (projectScope `*`) may call it, and the
   * request's scope is the tenant (projectId `*`). A project key gets 403.
   */
  tenant?: boolean;
  query?: z.ZodMiniObject;
  responses: Record<number, { description: string; schema?: z.ZodMiniType }>;
}

export const ProblemSchema = z.withMeta(
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.number().check(z.int()),
    code: z.string(),
    detail: z.optional(z.string()),
    instance: z.optional(z.string()),
    requestId: z.optional(z.string()),
    errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  }),
  { id: "Problem" },
);

/**
 * Path parameters, declared once by name: every route's parameters are validated against these before
 * any work (`parsePathParams`), and the OpenAPI document shows the same rules.
 */
export const ProjectIdSchema = z.withDescription(
  z
    .string()
    .check(
      z.regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
        "must be 1–64 letters, digits, '.', '_' or '-', starting with a letter or digit",
      ),
    ),
  "Your project's id, e.g. `demo`: 1–64 letters, digits, `.`, `_`, `-`, starting with a letter or digit",
);

/** Ids this API issues (`gth_…`, `inv_…`, …). A well-formed id that does not exist is a 404. */
const ResourceIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an id this API returned (1–64 letters, digits, '_' or '-')"));

export const PATH_PARAMS = {
  projectId: ProjectIdSchema,
  gatheringId: z.withDescription(ResourceIdSchema, "Gathering id (gth_…)"),
  participantId: ParticipantIdSchema,
  invitationId: z.withDescription(ResourceIdSchema, "Invitation id (inv_…)"),
  sessionId: z.withDescription(ResourceIdSchema, "Session id (sess_…)"),
  messageId: z.withDescription(ResourceIdSchema, "Message id (the bot's id for the utterance, or msg_…)"),
  webhookId: z.withDescription(ResourceIdSchema, "Webhook endpoint id (whk_…)"),
  eventId: z.withDescription(ResourceIdSchema, "Event id (evt_…)"),
  keyId: z.withDescription(ResourceIdSchema, "API key id (key_…)"),
  pluginId: z.withDescription(
    z.string().check(z.regex(/^[a-z][a-z0-9_-]{0,63}$/, "must be a plugin id (e.g. profanity, summary)")),
    "Plugin id: profanity, sentiment, summary or action_items",
  ),
  actionId: z.withDescription(
    z
      .string()
      .check(z.regex(/^[a-z][a-z0-9_-]{0,63}$/, "must be an action id a plugin declares (e.g. generate-minutes)")),
    "An action the plugin declares (GET …/actions lists them)",
  ),
  token: z.withDescription(
    z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,1024}$/, "must be the token of an emailed link")),
    "The signed token of an emailed accept/decline link",
  ),
} as const satisfies Record<string, z.ZodMiniType<string>>;
export type PathParamName = keyof typeof PATH_PARAMS;

const page = {
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100))),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
};

export const PageQuerySchema = z.object(page);

export const CreateParticipantTokenBodySchema = z.withMeta(
  z.strictObject({
    participantId: ParticipantIdSchema,
    gatherings: z.withDescription(
      z.optional(
        z
          .array(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a gathering id (gth_…)")))
          .check(z.minLength(1), z.maxLength(20)),
      ),
      "Only these gatherings (at most 20); absent: any gathering the participant is a member of",
    ),
    ttlSeconds: z.withDescription(
      z._default(z.number().check(z.int(), z.minimum(60), z.maximum(86400)), 3600),
      "Lifetime in seconds, 60–86400 (default 3600); a token cannot be revoked, keep it short",
    ),
  }),
  { id: "CreateParticipantTokenRequest" },
);
export const ParticipantTokenSchema = z.withMeta(
  z.object({
    token: z.withDescription(z.string(), "Send as `Authorization: Bearer <token>`"),
    expiresAt: z.string(),
    participantId: z.string(),
    gatherings: z.optional(z.array(z.string())),
  }),
  { id: "ParticipantToken" },
);
export const ListGatheringsQuerySchema = z.object({
  ...page,
  type: z.optional(z.enum(GATHERING_TYPES)),
  status: z.optional(z.enum(GATHERING_STATUSES)),
  listed: z.optional(z.stringbool()),
});
export const EventStreamQuerySchema = z.object({
  after: z.withDescription(
    z.optional(z.coerce.number().check(z.int(), z.minimum(0))),
    "Stream events after this version (Last-Event-ID wins over it; neither: from now). A version beyond the " +
      "current one, or older than the replay window, is answered with `event: reset` (reload the snapshot).",
  ),
  types: z.withDescription(
    z.optional(z.string().check(z.maxLength(2000))),
    "Comma-separated event types; a trailing .* matches a family, e.g. gathering.member.*",
  ),
});
export const ListMembersQuerySchema = z.object({ ...page, status: z.optional(z.enum(MEMBER_STATUSES)) });

const pageOf = (id: string, item: z.ZodMiniType) =>
  z.withMeta(z.object({ items: z.array(item), nextCursor: z.optional(z.string()) }), { id });

export const ActivityPageSchema = pageOf("ActivityPage", EventEnvelopeSchema);
export const InvitationPageSchema = pageOf("InvitationPage", InvitationSchema);
export const WebhookPageSchema = pageOf("WebhookPage", WebhookEndpointSchema);
export const ApiKeyPageSchema = pageOf("ApiKeyPage", ApiKeySchema);
export const DeliveryAttemptPageSchema = pageOf("DeliveryAttemptPage", DeliveryAttemptSchema);
export const ListInvitationsQuerySchema = z.object({ ...page, status: z.optional(z.enum(INVITATION_STATUSES)) });
export const GatheringPageSchema = pageOf("GatheringPage", GatheringSchema);
export const MemberPageSchema = pageOf("MemberPage", MemberSchema);
export const SessionPageSchema = pageOf("SessionPage", SessionSchema);
export const MessagePageSchema = pageOf("MessagePage", MessageSchema);
export const AttendeePageSchema = pageOf("AttendeePage", AttendeeSchema);
export const ListSessionsQuerySchema = z.object({
  ...page,
  status: z.optional(z.enum(SESSION_STATUSES)),
  externalRoomId: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  gatheringId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});
/** A transcript is read whole by the SDK: larger pages than other listings. */
export const ListMessagesQuerySchema = z.object({
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000))),
  cursor: page.cursor,
});
export const MessageAnnotationPageSchema = pageOf("MessageAnnotationPage", MessageAnnotationSchema);
export const SessionAnnotationListSchema = z.withMeta(z.object({ items: z.array(SessionAnnotationSchema) }), {
  id: "SessionAnnotationList",
});
export const ListMessageAnnotationsQuerySchema = z.object({
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000))),
  cursor: page.cursor,
  messageId: z.withDescription(z.optional(PATH_PARAMS.messageId), "Only this message's annotations"),
});
export const ListSessionAnnotationsQuerySchema = z.object({
  type: z.withDescription(z.optional(z.enum(ANNOTATION_TYPES)), "Only annotations of this type"),
});
export const DebugAudioQuerySchema = z.object({
  redirect: z.withDescription(z.optional(z.stringbool()), "false: answer 200 with the URL as JSON instead of a 302"),
});
/** A message with a 3 MiB WAV in base64, and its text. */
const MESSAGE_MAX_BODY_BYTES = 5 * 1024 * 1024;

const problem = (description: string) => ({ description, schema: ProblemSchema });
const notFound = problem("Unknown resource (or not visible to this key)");
const badRequest = problem("Invalid request; `errors` names each offending field");
const conflict = problem("Not allowed in the current state (the `code` and message say why)");
const stale = problem("If-Match names a version that is no longer current");
const reused = problem("Idempotency-Key reused with a different request");
const forbidden = problem("This key's kind may not call this route (the bot API takes a bot key, nothing else does)");

const P = "/v1/projects/{projectId}";
const G = `${P}/gatherings` as const;
const ONE = `${G}/{gatheringId}` as const;
const MEMBER = `${ONE}/members/{participantId}` as const;
const S = `${P}/sessions` as const;
const SESSION = `${S}/{sessionId}` as const;

const gatheringMutation = {
  200: { description: "The gathering after the change", schema: GatheringSchema },
  400: badRequest,
  404: notFound,
  409: conflict,
  412: stale,
  422: reused,
};
const memberMutation = {
  200: { description: "The gathering and the member after the change", schema: JoinResultSchema },
  400: badRequest,
  404: notFound,
  409: conflict,
  412: stale,
  422: reused,
};

export const ROUTES = [
  {
    operationId: "getOpenApi",
    method: "GET",
    path: "/v1/openapi.json",
    summary: "The OpenAPI 3.1 document of this API",
    handler: "api",
    public: true,
    responses: { 200: { description: "OpenAPI document" } },
  },
  {
    operationId: "listGatherings",
    method: "GET",
    path: G,
    summary: "List gatherings, newest first (filters: type, status, listed)",
    handler: "api",
    query: ListGatheringsQuerySchema,
    responses: { 200: { description: "A page of gatherings", schema: GatheringPageSchema }, 400: badRequest },
  },
  {
    operationId: "createGathering",
    method: "POST",
    path: G,
    summary: "Create a gathering (lobby, appointment or open)",
    handler: "api",
    mutation: "aggregate",
    body: CreateGatheringBodySchema,
    responses: { 201: { description: "Created", schema: GatheringSchema }, 400: badRequest, 422: reused },
  },
  {
    operationId: "joinByCode",
    participant: "join",
    method: "POST",
    path: `${G}/join`,
    summary: "Join a gathering by its join code (case-, hyphen- and look-alike-tolerant)",
    handler: "api",
    mutation: "aggregate",
    body: JoinByCodeBodySchema,
    responses: {
      200: { description: "The gathering and the member", schema: JoinResultSchema },
      400: badRequest,
      404: problem("No gathering has this code (code: join_code_not_found)"),
      409: problem("The gathering is full, ended or cancelled (code: gathering_full, gathering_closed)"),
      422: reused,
    },
  },
  {
    operationId: "getGathering",
    participant: "member",
    method: "GET",
    path: ONE,
    summary: "Get a gathering",
    handler: "api",
    responses: { 200: { description: "The gathering", schema: GatheringSchema }, 404: notFound },
  },
  {
    operationId: "updateGathering",
    method: "PATCH",
    path: ONE,
    summary: "Change name, times, capacity, listing, auto-start or metadata",
    handler: "api",
    mutation: "aggregate",
    ifMatch: true,
    body: UpdateGatheringBodySchema,
    responses: gatheringMutation,
  },
  {
    operationId: "startGathering",
    method: "POST",
    path: `${ONE}/start`,
    summary: "Start the gathering, optionally creating its session",
    handler: "api",
    mutation: "aggregate",
    ifMatch: true,
    body: StartGatheringBodySchema,
    optionalBody: true,
    responses: gatheringMutation,
  },
  {
    operationId: "endGathering",
    method: "POST",
    path: `${ONE}/end`,
    summary: "End a started gathering (and its session)",
    handler: "api",
    mutation: "aggregate",
    ifMatch: true,
    responses: gatheringMutation,
  },
  {
    operationId: "cancelGathering",
    method: "POST",
    path: `${ONE}/cancel`,
    summary: "Cancel a gathering (and end its session)",
    handler: "api",
    mutation: "aggregate",
    ifMatch: true,
    responses: gatheringMutation,
  },
  {
    operationId: "regenerateJoinCode",
    method: "POST",
    path: `${ONE}/join-code`,
    summary: "Issue a new join code; the old one stops working",
    handler: "api",
    mutation: "aggregate",
    ifMatch: true,
    responses: gatheringMutation,
  },
  {
    operationId: "listMembers",
    participant: "member",
    method: "GET",
    path: `${ONE}/members`,
    summary: "List members (filter: status)",
    handler: "api",
    query: ListMembersQuerySchema,
    responses: { 200: { description: "A page of members", schema: MemberPageSchema }, 400: badRequest, 404: notFound },
  },
  {
    operationId: "addMember",
    method: "POST",
    path: `${ONE}/members`,
    summary: "Add a member (joined); re-adding a present member changes nothing",
    handler: "api",
    mutation: "aggregate",
    ifMatch: true,
    body: AddMemberBodySchema,
    responses: { ...memberMutation, 201: { description: "Added", schema: JoinResultSchema } },
  },
  {
    operationId: "getMember",
    participant: "self",
    method: "GET",
    path: MEMBER,
    summary: "Get a member",
    handler: "api",
    responses: { 200: { description: "The member", schema: MemberSchema }, 404: notFound },
  },
  {
    operationId: "removeMember",
    method: "DELETE",
    path: MEMBER,
    summary: "Remove a member; ownership passes on if it was the owner",
    handler: "api",
    mutation: "aggregate",
    ifMatch: true,
    responses: memberMutation,
  },
  ...(["join", "ready", "unready", "leave"] as const).map((action) => ({
    operationId: `${action}Member` as const,
    method: "POST" as const,
    path: `${MEMBER}/${action}` as const,
    summary: {
      join: "Join (from invited, or rejoin after leaving)",
      ready: "Mark ready",
      unready: "Take back ready",
      leave: "Leave; the longest-present member inherits ownership",
    }[action],
    handler: "api" as const,
    mutation: "aggregate" as const,
    ifMatch: true,
    // A participant token may ready, unready and leave as itself; joining by id is the game server's.
    ...(action !== "join" && { participant: "self" as const }),
    responses: memberMutation,
  })),
  {
    operationId: "transferOwnership",
    method: "POST",
    path: `${ONE}/owner`,
    summary: "Transfer ownership to a present member",
    handler: "api",
    mutation: "aggregate",
    ifMatch: true,
    body: TransferOwnershipBodySchema,
    responses: memberMutation,
  },
  {
    operationId: "streamGatheringEvents",
    participant: "member",
    method: "GET",
    path: `${ONE}/events`,
    summary: "Server-sent events: the gathering's events after a version (Last-Event-ID or ?after=), then live",
    handler: "sse",
    query: EventStreamQuerySchema,
    responses: {
      200: {
        description:
          "text/event-stream; `id:` is the version; `event: reset` (when the requested version is beyond the current " +
          "one or older than the replay window) means reload the snapshot; `event: end` means reconnect",
      },
      400: badRequest,
      404: notFound,
    },
  },
  {
    operationId: "listSessions",
    method: "GET",
    path: S,
    summary: "List sessions, newest first (filters: status, externalRoomId, gatheringId)",
    handler: "api",
    query: ListSessionsQuerySchema,
    responses: { 200: { description: "A page of sessions", schema: SessionPageSchema }, 400: badRequest },
  },
  {
    operationId: "createSession",
    method: "POST",
    path: S,
    summary: "Create a session for a voice room; with autoStart (default) the bot is commanded to join",
    handler: "api",
    mutation: "once",
    body: CreateSessionBodySchema,
    responses: { 201: { description: "The session", schema: SessionSchema }, 400: badRequest, 422: reused },
  },
  {
    operationId: "getSession",
    method: "GET",
    path: SESSION,
    summary: "Get a session (a bot key may read it too: its `bot.commandId` is the command to report on)",
    handler: "api",
    credential: "any",
    responses: { 200: { description: "The session", schema: SessionSchema }, 404: notFound },
  },
  {
    operationId: "updateSession",
    method: "PATCH",
    path: SESSION,
    summary: "Change a session's title or idleTimeout (If-Match: its version)",
    handler: "api",
    mutation: "once",
    ifMatch: true,
    body: UpdateSessionBodySchema,
    responses: {
      200: { description: "The session after the change", schema: SessionSchema },
      400: badRequest,
      404: notFound,
      409: conflict,
      412: stale,
      422: reused,
    },
  },
  {
    operationId: "deleteSession",
    method: "DELETE",
    path: SESSION,
    summary: "Delete a session with its transcript, attendance and debug audio (the bot is released)",
    handler: "api",
    mutation: "once",
    ifMatch: true,
    responses: { 204: { description: "Deleted" }, 404: notFound, 412: stale, 422: reused },
  },
  {
    operationId: "startSession",
    method: "POST",
    path: `${SESSION}/start`,
    summary: "Command the bot to join the room (idempotent while it is requested, joining or in the room)",
    handler: "api",
    mutation: "once",
    responses: {
      202: { description: '{ message: "Bot start command sent", session }', schema: BotCommandAnswerSchema },
      404: notFound,
      409: conflict,
      422: reused,
    },
  },
  {
    operationId: "stopSession",
    method: "POST",
    path: `${SESSION}/stop`,
    summary: "End the session and command the bot to leave (idempotent once ended)",
    handler: "api",
    mutation: "once",
    responses: {
      202: { description: '{ message: "Bot stop command sent", session }', schema: BotCommandAnswerSchema },
      404: notFound,
      422: reused,
    },
  },
  {
    operationId: "listMessages",
    method: "GET",
    path: `${SESSION}/messages`,
    summary: "The transcript in chronological order (timestamp, then id)",
    handler: "api",
    query: ListMessagesQuerySchema,
    responses: {
      200: { description: "A page of messages", schema: MessagePageSchema },
      400: badRequest,
      404: notFound,
    },
  },
  {
    operationId: "getDebugAudio",
    method: "GET",
    path: `${SESSION}/messages/{messageId}/debug-audio`,
    summary: "A message's debug WAV: 302 to a short-lived URL (or the URL as JSON with ?redirect=false)",
    handler: "api",
    query: DebugAudioQuerySchema,
    responses: {
      200: { description: "With ?redirect=false: the download URL", schema: DebugAudioLinkSchema },
      302: { description: "Location: a presigned download URL, valid for 5 minutes" },
      404: notFound,
      410: problem("The 24-hour retention window has passed"),
    },
  },
  {
    operationId: "listAttendance",
    method: "GET",
    path: `${SESSION}/attendance`,
    summary: "Who was in the room: peers with their intervals, linked to gathering members where known",
    handler: "api",
    query: PageQuerySchema,
    responses: {
      200: { description: "A page of attendees", schema: AttendeePageSchema },
      400: badRequest,
      404: notFound,
    },
  },
  {
    operationId: "reportBotState",
    method: "POST",
    path: `${SESSION}/bot`,
    summary: "Bot API: report the bot's state for a command (joining, in_room, leaving, left, failed)",
    handler: "api",
    credential: "bot",
    body: BotReportBodySchema,
    responses: {
      200: { description: "The session after the report, and the debug-audio setting", schema: BotReportAnswerSchema },
      400: badRequest,
      403: forbidden,
      404: notFound,
      409: conflict,
    },
  },
  {
    operationId: "reportAttendance",
    method: "POST",
    path: `${SESSION}/attendance`,
    summary: "Bot API: someone joined or left the room (adds a system message)",
    handler: "api",
    credential: "bot",
    body: AttendanceBodySchema,
    responses: {
      200: { description: "The attendee after the report", schema: AttendeeSchema },
      400: badRequest,
      403: forbidden,
      404: notFound,
      409: conflict,
    },
  },
  {
    operationId: "postMessage",
    method: "POST",
    path: `${SESSION}/messages`,
    summary: "Bot API: add a transcribed utterance (a retry with the same id is the same message)",
    handler: "api",
    credential: "bot",
    body: PostMessageBodySchema,
    maxBodyBytes: MESSAGE_MAX_BODY_BYTES,
    responses: {
      201: { description: "The message", schema: MessageSchema },
      200: { description: "The message, already posted with this id", schema: MessageSchema },
      400: badRequest,
      403: forbidden,
      404: notFound,
      409: conflict,
      413: problem("The body (with its debug audio) is too large"),
    },
  },
  {
    operationId: "getProjectSettings",
    method: "GET",
    path: `${P}/settings`,
    summary: "The project's settings",
    handler: "api",
    responses: { 200: { description: "The settings", schema: ProjectSettingsSchema } },
  },
  {
    operationId: "updateProjectSettings",
    scope: "admin",
    method: "PATCH",
    path: `${P}/settings`,
    summary: "Change the project's settings (debugAudioEnabled, summaryEmailEnabled)",
    handler: "api",
    mutation: "once",
    body: UpdateSettingsBodySchema,
    responses: { 200: { description: "The settings", schema: ProjectSettingsSchema }, 400: badRequest, 422: reused },
  },
  {
    operationId: "listPlugins",
    method: "GET",
    path: `${P}/plugins`,
    summary: "The plugins of this deployment, as this project has them (enabled, configuration, actions)",
    handler: "api",
    responses: { 200: { description: "Every plugin", schema: PluginListSchema } },
  },
  {
    operationId: "updatePlugin",
    scope: "admin",
    method: "PUT",
    path: `${P}/plugins/{pluginId}`,
    summary: "Enable, disable or configure this project's instance of a plugin",
    handler: "api",
    mutation: "once",
    body: UpdatePluginBodySchema,
    responses: {
      200: { description: "The plugin as the project now has it", schema: PluginInstanceSchema },
      400: badRequest,
      404: notFound,
      422: reused,
    },
  },
  {
    operationId: "listSessionAnnotations",
    method: "GET",
    path: `${SESSION}/annotations`,
    summary: "Session-level annotations (summaries, action items, the meeting's sentiment), oldest first",
    handler: "api",
    query: ListSessionAnnotationsQuerySchema,
    responses: {
      200: {
        description: "Every session annotation; the newest of each type is `current`",
        schema: SessionAnnotationListSchema,
      },
      400: badRequest,
      404: notFound,
    },
  },
  {
    operationId: "listMessageAnnotations",
    method: "GET",
    path: `${SESSION}/message-annotations`,
    summary: "The annotations of the session's messages (profanity, sentiment), by message id",
    handler: "api",
    query: ListMessageAnnotationsQuerySchema,
    responses: {
      200: { description: "A page of message annotations", schema: MessageAnnotationPageSchema },
      400: badRequest,
      404: notFound,
    },
  },
  {
    operationId: "getSessionActions",
    method: "GET",
    path: `${SESSION}/actions`,
    summary: "The plugin actions available for this session, by plugin (the project's enabled plugins)",
    handler: "api",
    responses: {
      200: { description: "{ sessionId, plugins: [{ id, name, actions }] }", schema: SessionActionsSchema },
      404: notFound,
    },
  },
  {
    operationId: "runSessionAction",
    method: "POST",
    path: `${SESSION}/actions/{pluginId}/{actionId}`,
    summary: "Run a plugin action (202: the plugin runs it; its annotation names the requestId)",
    handler: "api",
    mutation: "once",
    responses: {
      202: { description: "Accepted", schema: ActionAcceptedSchema },
      404: notFound,
      409: conflict,
      422: reused,
    },
  },
  {
    operationId: "regenerateSummary",
    method: "POST",
    path: `${SESSION}/summary/regenerate`,
    summary: "Summarize the session again (202); the new summary supersedes the previous one, which is kept",
    handler: "api",
    mutation: "once",
    responses: {
      202: { description: "Accepted", schema: ActionAcceptedSchema },
      404: notFound,
      409: conflict,
      422: reused,
    },
  },
  {
    operationId: "streamSessionEvents",
    method: "GET",
    path: `${SESSION}/events`,
    summary: "Server-sent events: the session's events after a version, then live",
    handler: "sse",
    query: EventStreamQuerySchema,
    responses: {
      200: {
        description:
          "text/event-stream; `id:` is the version; `event: reset` (when the requested version is beyond the current " +
          "one or older than the replay window) means reload the snapshot; `event: end` means reconnect",
      },
      400: badRequest,
      404: notFound,
    },
  },
  {
    operationId: "sendInvitations",
    method: "POST",
    path: `${ONE}/invitations`,
    summary: "Invite participants (by id) and/or people (by email); each invitation is emailed independently",
    handler: "api",
    mutation: "aggregate",
    body: SendInvitationsBodySchema,
    responses: {
      201: {
        description: "One invitation per recipient (existing ones are returned as they are)",
        schema: InvitationListSchema,
      },
      400: badRequest,
      404: notFound,
      409: conflict,
      422: reused,
    },
  },
  {
    operationId: "listInvitations",
    method: "GET",
    path: `${ONE}/invitations`,
    summary: "List invitations (filter: status)",
    handler: "api",
    query: ListInvitationsQuerySchema,
    responses: {
      200: { description: "A page of invitations", schema: InvitationPageSchema },
      400: badRequest,
      404: notFound,
    },
  },
  {
    operationId: "getInvitation",
    method: "GET",
    path: `${ONE}/invitations/{invitationId}`,
    summary: "Get an invitation",
    handler: "api",
    responses: { 200: { description: "The invitation", schema: InvitationSchema }, 404: notFound },
  },
  ...(["accept", "decline"] as const).map((action) => ({
    operationId: `${action}Invitation` as const,
    method: "POST" as const,
    path: `${ONE}/invitations/{invitationId}/${action}` as const,
    summary: action === "accept" ? "Accept an invitation" : "Decline an invitation",
    handler: "api" as const,
    mutation: "aggregate" as const,
    responses: {
      200: { description: "The invitation after the response", schema: InvitationSchema },
      404: notFound,
      409: conflict,
      422: reused,
    },
  })),
  {
    operationId: "viewRsvp",
    method: "GET",
    path: "/v1/rsvp/{token}",
    summary: "The page an emailed accept/decline link opens (confirms with a button; GET changes nothing)",
    handler: "api",
    public: true,
    responses: {
      200: { description: "text/html confirmation page" },
      400: { description: "text/html: invalid, altered or expired link" },
      404: { description: "text/html: the gathering no longer exists" },
    },
  },
  {
    operationId: "confirmRsvp",
    method: "POST",
    path: "/v1/rsvp/{token}",
    summary: "Confirms an emailed accept/decline link",
    handler: "api",
    public: true,
    responses: {
      200: { description: "text/html: done" },
      400: { description: "text/html: invalid, altered or expired link" },
      404: { description: "text/html: the gathering or invitation no longer exists" },
      409: {
        description: "text/html: the invitation can no longer be answered (e.g. the gathering ended or was cancelled)",
      },
    },
  },
  {
    operationId: "putParticipant",
    method: "PUT",
    path: `${P}/participants/{participantId}`,
    summary: "Create or replace a participant's directory entry (display name, email)",
    handler: "api",
    body: PutParticipantBodySchema,
    responses: { 200: { description: "The participant", schema: ParticipantSchema }, 400: badRequest },
  },
  {
    operationId: "getParticipant",
    method: "GET",
    path: `${P}/participants/{participantId}`,
    summary: "Get a participant's directory entry",
    handler: "api",
    responses: { 200: { description: "The participant", schema: ParticipantSchema }, 404: notFound },
  },
  {
    operationId: "createParticipantToken",
    method: "POST",
    path: `${P}/tokens`,
    summary:
      "Mint a short-lived participant token for a game client: it may only join by code, ready, unready, leave, " +
      "read and watch gatherings as this participant",
    handler: "api",
    body: CreateParticipantTokenBodySchema,
    responses: {
      201: { description: "The token (shown once; it cannot be revoked, it expires)", schema: ParticipantTokenSchema },
      400: badRequest,
    },
  },
  {
    operationId: "createWebhook",
    scope: "admin",
    method: "POST",
    path: `${P}/webhooks`,
    summary: "Register a webhook endpoint (Standard Webhooks); the response holds its secret, shown once",
    handler: "api",
    mutation: "once",
    body: CreateWebhookBodySchema,
    responses: {
      201: { description: "Created", schema: WebhookEndpointWithSecretSchema },
      400: badRequest,
      422: reused,
    },
  },
  {
    operationId: "listWebhooks",
    method: "GET",
    path: `${P}/webhooks`,
    summary: "List webhook endpoints",
    handler: "api",
    query: PageQuerySchema,
    responses: { 200: { description: "A page of endpoints", schema: WebhookPageSchema }, 400: badRequest },
  },
  {
    operationId: "getWebhook",
    method: "GET",
    path: `${P}/webhooks/{webhookId}`,
    summary: "Get a webhook endpoint",
    handler: "api",
    responses: { 200: { description: "The endpoint", schema: WebhookEndpointSchema }, 404: notFound },
  },
  {
    operationId: "updateWebhook",
    scope: "admin",
    method: "PATCH",
    path: `${P}/webhooks/{webhookId}`,
    summary: "Change an endpoint's URL, filters, description or enabled state",
    handler: "api",
    body: UpdateWebhookBodySchema,
    responses: { 200: { description: "The endpoint", schema: WebhookEndpointSchema }, 400: badRequest, 404: notFound },
  },
  {
    operationId: "deleteWebhook",
    scope: "admin",
    method: "DELETE",
    path: `${P}/webhooks/{webhookId}`,
    summary: "Delete a webhook endpoint",
    handler: "api",
    responses: { 204: { description: "Deleted" }, 404: notFound },
  },
  {
    operationId: "rotateWebhookSecret",
    scope: "admin",
    method: "POST",
    path: `${P}/webhooks/{webhookId}/rotate-secret`,
    summary: "Issue a new secret; the old one keeps signing for the grace period",
    handler: "api",
    mutation: "once",
    body: RotateSecretBodySchema,
    optionalBody: true,
    responses: {
      200: { description: "The endpoint with its new secret", schema: WebhookEndpointWithSecretSchema },
      404: notFound,
      422: reused,
    },
  },
  {
    operationId: "listWebhookAttempts",
    method: "GET",
    path: `${P}/webhooks/{webhookId}/attempts`,
    summary: "Every delivery attempt to an endpoint, newest first",
    handler: "api",
    query: PageQuerySchema,
    responses: { 200: { description: "A page of attempts", schema: DeliveryAttemptPageSchema }, 404: notFound },
  },
  {
    operationId: "listEventAttempts",
    method: "GET",
    path: `${P}/events/{eventId}/attempts`,
    summary: "Every delivery attempt of one event, to any endpoint, newest first",
    handler: "api",
    query: PageQuerySchema,
    responses: { 200: { description: "A page of attempts", schema: DeliveryAttemptPageSchema } },
  },
  {
    operationId: "replayWebhookEvent",
    method: "POST",
    path: `${P}/webhooks/{webhookId}/replay`,
    summary: "Deliver one event to this endpoint again, now",
    handler: "api",
    mutation: "once",
    body: ReplayBodySchema,
    responses: { 202: { description: "Queued for delivery" }, 400: badRequest, 404: notFound, 422: reused },
  },
  {
    operationId: "listActivity",
    method: "GET",
    path: `${P}/activity`,
    summary: "The project's activity log: every delivered domain event, oldest first",
    handler: "api",
    query: PageQuerySchema,
    responses: { 200: { description: "A page of events", schema: ActivityPageSchema }, 400: badRequest },
  },
  {
    operationId: "listProjectKeys",
    scope: "admin",
    method: "GET",
    path: `${P}/keys`,
    summary: "List this project's API keys (never their secrets)",
    handler: "api",
    query: PageQuerySchema,
    responses: { 200: { description: "A page of keys", schema: ApiKeyPageSchema }, 400: badRequest },
  },
  {
    operationId: "createProjectKey",
    scope: "admin",
    method: "POST",
    path: `${P}/keys`,
    summary: "Create an API key for this project; its secret is shown once",
    handler: "api",
    body: CreateKeyBodySchema,
    responses: { 201: { description: "The key and its secret", schema: ApiKeyWithSecretSchema }, 400: badRequest },
  },
  {
    operationId: "revokeProjectKey",
    scope: "admin",
    method: "DELETE",
    path: `${P}/keys/{keyId}`,
    summary: "Revoke a key (refused once the authorizer's cached answer expires)",
    handler: "api",
    responses: { 200: { description: "The revoked key", schema: ApiKeySchema }, 404: notFound },
  },
  {
    operationId: "rotateProjectKey",
    scope: "admin",
    method: "POST",
    path: `${P}/keys/{keyId}/rotate`,
    summary: "Issue a new secret; the old one keeps working for a day, then expires",
    handler: "api",
    responses: { 200: { description: "The new key and its secret", schema: ApiKeyWithSecretSchema }, 404: notFound },
  },
  {
    operationId: "listKeys",
    scope: "admin",
    tenant: true,
    method: "GET",
    path: "/v1/keys",
    summary: "List the tenant's API keys, of every project and tenant-wide (never their secrets)",
    handler: "api",
    query: z.extend(PageQuerySchema, ListTenantKeysQuerySchema.shape),
    responses: {
      200: { description: "A page of keys", schema: ApiKeyPageSchema },
      400: badRequest,
      403: problem("Not a tenant-wide admin key"),
    },
  },
  {
    operationId: "createKey",
    scope: "admin",
    tenant: true,
    method: "POST",
    path: "/v1/keys",
    summary: 'Create an API key for one project of the tenant or tenant-wide ("*"); its secret is shown once',
    handler: "api",
    body: CreateTenantKeyBodySchema,
    responses: {
      201: { description: "The key and its secret", schema: ApiKeyWithSecretSchema },
      400: badRequest,
      403: problem("Not a tenant-wide admin key, or a scope the caller does not hold"),
    },
  },
  {
    operationId: "revokeKey",
    scope: "admin",
    tenant: true,
    method: "DELETE",
    path: "/v1/keys/{keyId}",
    summary: "Revoke any key of the tenant (refused once the authorizer's cached answer expires)",
    handler: "api",
    responses: {
      200: { description: "The revoked key", schema: ApiKeySchema },
      403: problem("Not a tenant-wide admin key"),
      404: notFound,
    },
  },
  {
    operationId: "rotateKey",
    scope: "admin",
    tenant: true,
    method: "POST",
    path: "/v1/keys/{keyId}/rotate",
    summary: "Issue a new secret for any key of the tenant; the old one keeps working for a day, then expires",
    handler: "api",
    responses: {
      200: { description: "The new key and its secret", schema: ApiKeyWithSecretSchema },
      403: problem("Not a tenant-wide admin key, or a scope the caller does not hold"),
      404: notFound,
      409: conflict,
    },
  },
] as const satisfies readonly RouteDefinition[];

export type OperationId = (typeof ROUTES)[number]["operationId"];
/** Operations the API function serves (the rest stream from their own function). */
export type ApiOperationId = Extract<(typeof ROUTES)[number], { handler: "api" }>["operationId"];

/** The route of an operation (each member of a family such as `joinMember`/`leaveMember` shares one). */
export type RouteOf<Id extends OperationId> = (typeof ROUTES)[number] extends infer R
  ? R extends { operationId: infer O }
    ? Id extends O
      ? R
      : never
    : never
  : never;

/** The names of a path template's parameters: `/a/{x}/b/{y}` → "x" | "y". */
export type PathParamsOf<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParamsOf<Rest>
  : never;

/**
 * The scope a key needs for a route, derived from the table so no route is forgotten: the bot API needs
 * `bot`; a route marked `scope: "admin"` needs `admin`; any other GET (or HEAD) needs `read`; every other
 * method needs `write`. A bot key reading its session (`credential: "any"`) is let through by its `bot`.
 */
export function requiredScope(
  route: Pick<RouteDefinition, "method" | "credential" | "scope">,
  credential: "api" | "bot" = "api",
): KeyScope {
  if (route.credential === "bot" || (route.credential === "any" && credential === "bot")) return "bot";
  if (route.scope) return route.scope;
  return route.method === "GET" || route.method === "HEAD" ? "read" : "write";
}

const routeById = new Map((ROUTES as readonly RouteDefinition[]).map((route) => [route.operationId, route]));

export function routeOf(operationId: string): RouteDefinition {
  const route = routeById.get(operationId);
  if (!route) throw new Error(`unknown operation ${operationId}`);
  return route;
}

/**
 * The HTTP methods a route answers: its own, and HEAD for the API's GET routes (the same response without
 * its body; the CDK stack declares it too). Streams (SSE) have no HEAD.
 */
export function routeMethods(route: Pick<RouteDefinition, "method" | "handler">): HttpMethod[] {
  return route.method === "GET" && route.handler === "api" ? ["GET", "HEAD"] : [route.method];
}

/**
 * The route a request resolves to, with its path parameters. Like API Gateway, a literal segment beats a
 * path parameter (`/gatherings/join` before `/gatherings/{gatheringId}`).
 */
export function findRoute(
  method: string,
  path: string,
): { route: RouteDefinition; params: Record<string, string> } | undefined {
  let best: { route: RouteDefinition; params: Record<string, string> } | undefined;
  for (const route of ROUTES as readonly RouteDefinition[]) {
    if (!(routeMethods(route) as string[]).includes(method)) continue;
    const params = matchPath(route.path, path);
    if (params && (!best || Object.keys(params).length < Object.keys(best.params).length)) best = { route, params };
  }
  return best;
}

/** Matches a concrete path against a route template; returns the path parameters or undefined. */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split("/");
  const p = path.split("/");
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const segment = t[i]!;
    if (segment.startsWith("{") && segment.endsWith("}")) {
      if (p[i] === "") return undefined;
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(p[i]!);
      } catch {
        return undefined;
      }
    } else if (segment !== p[i]) return undefined;
  }
  return params;
}
