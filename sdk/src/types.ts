/**
 * The API's JSON shapes, as the SDK's callers see them. They mirror the backend's zod schemas
 * (shared/**); a type test keeps the two in step, so the SDK itself needs no runtime dependency.
 */

export type GatheringType = "lobby" | "appointment" | "open";
export type GatheringStatus = "scheduled" | "open" | "started" | "ended" | "cancelled";
export type MemberStatus = "invited" | "joined" | "ready" | "left";
export type MemberRole = "owner" | "member";
export type InvitationStatus = "pending" | "sent" | "failed" | "accepted" | "declined";
export type SessionStatus = "active" | "ended";
/** Why a session ended: stop(), silence for idleTimeout, its gathering ended, the bot failed, the bot left. */
export type EndedReason = "stopped" | "idle" | "gathering_ended" | "bot_failed" | "bot_left";
/**
 * The bot as the backend knows it: `none` until a start; `requested` while the join command is out; then
 * what the bot reports (`joining`, `in_room`); `leaving` when the leave command is out (or the bot says
 * so); `left`; `failed` (with a reason) when the bot says so or never acknowledges a command in time.
 */
export type BotState = "none" | "requested" | "joining" | "in_room" | "leaving" | "left" | "failed";
/** The states a bot may report through the bot API. */
export type ReportedBotState = "joining" | "in_room" | "leaving" | "left" | "failed";
/** `user`: transcribed speech; `system`: a join/leave line (sender `[System]`). */
export type MessageType = "user" | "system";

/** Start a lobby by itself once every present member is ready. */
export interface AutoStart {
  when: "allReady";
  minMembers: number;
}

/** A gathering as the API returns it. */
export interface GatheringData {
  /** Gathering id (`gth_…`). */
  id: string;
  projectId: string;
  tenantId: string;
  name: string;
  type: GatheringType;
  status: GatheringStatus;
  /** Increments with every change; use with `ifMatch` and live views. */
  version: number;
  /** Share code, shown grouped (`ABCD-1234`); lookup ignores case and hyphens. */
  joinCode: string;
  startsAt?: string | undefined;
  endsAt?: string | undefined;
  autoStartSession: boolean;
  autoStart?: AutoStart | undefined;
  maxMembers?: number | undefined;
  listed: boolean;
  metadata: Record<string, unknown>;
  /** Participant id of the owner, or null when nobody owns it. */
  ownerId: string | null;
  /** Members currently present (joined or ready). */
  memberCount: number;
  /** Members currently ready. */
  readyCount: number;
  roomId?: string | undefined;
  /** The session this gathering started, if any. */
  sessionId?: string | undefined;
  /** Calendar SEQUENCE of an appointment: 0, +1 on every reschedule. */
  calendarSequence?: number | undefined;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  cancelledAt?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface Member {
  gatheringId: string;
  participantId: string;
  displayName?: string | undefined;
  role: MemberRole;
  status: MemberStatus;
  /** When the member last became present. */
  presentSince?: string | undefined;
  /** The gathering version of this member's last change. */
  version?: number | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface Invitation {
  /** Invitation id (`inv_…`). */
  id: string;
  gatheringId: string;
  participantId?: string | undefined;
  email?: string | undefined;
  displayName?: string | undefined;
  status: InvitationStatus;
  message?: string | undefined;
  deliveryError?: string | undefined;
  /** The summary email of the gathering's latest ended session, once it was sent or failed. */
  summaryEmail?: { sessionId: string; status: "sent" | "failed"; error?: string | undefined; at: string } | undefined;
  calendarSequence?: number | undefined;
  /** The gathering version of this invitation's last change; live views skip older events. */
  version?: number | undefined;
  sentAt?: string | undefined;
  respondedAt?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface Participant {
  participantId: string;
  displayName?: string | undefined;
  email?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface SessionBot {
  state: BotState;
  /** The command this state answers (`cmd_…`); reports must name it. */
  commandId?: string | undefined;
  /** Why the bot failed, when it did. */
  reason?: string | undefined;
  /** While a command awaits its first report: when the bot will be marked failed. */
  ackDeadline?: string | undefined;
  updatedAt: string;
}

/** A session as the API returns it (seed 003's SessionResponse fields, and more). */
export interface SessionData {
  /** Session id (`sess_…`). */
  id: string;
  tenantId: string;
  projectId: string;
  /** The voice room this session transcribes. */
  externalRoomId: string;
  /** The ODIN gateway the bot joins. */
  gateway: string;
  title: string;
  status: SessionStatus;
  /** Why the session ended (once it has). */
  endedReason?: EndedReason | undefined;
  /** Seconds without an utterance before the session ends by itself; 0 or null means never. */
  idleTimeout?: number | null | undefined;
  /** The gathering that started this session, if any. */
  gatheringId?: string | undefined;
  /** More addresses the summary email goes to when the session ends (beside a gathering's invitations). */
  summaryRecipients?: string[] | undefined;
  bot: SessionBot;
  /** Messages published so far. */
  messageCount: number;
  /** The last utterance (or the bot's start), from which idleTimeout counts. */
  lastActivityAt?: string | undefined;
  createdByUserId: string;
  /** Increments with every change (and every message); use with `ifMatch` and live views. */
  version: number;
  createdAt: string;
  updatedAt: string;
  endedAt?: string | undefined;
}

/** One transcribed utterance (or a `[System]` join/leave line) of a session. */
export interface Message {
  /** Message id: the bot's own id for the utterance, or `msg_…`. */
  id: string;
  sessionId: string;
  tenantId: string;
  projectId: string;
  type: MessageType;
  /** Sender name (or `[System]` for system messages). */
  senderName: string;
  /** The speaker's peer in the voice room. */
  peerId?: string | undefined;
  /** The speaker's user id, when the room knows it. */
  userId?: string | undefined;
  content: string;
  /** When it was said; the transcript is ordered by it (then by id). */
  timestamp: string;
  /** Whether a debug-audio WAV can be downloaded (`session.downloadDebugAudio(id)`, for 24 h). */
  hasDebugAudio: boolean;
  createdAt: string;
}

/** Who was actually in the room (seed 002's third layer), linked to a gathering member where known. */
export interface Attendee {
  sessionId: string;
  peerId: string;
  userId?: string | undefined;
  displayName?: string | undefined;
  /** In the room now. */
  present: boolean;
  intervals: Array<{ joinedAt: string; leftAt?: string | undefined }>;
  /** The gathering member this attendee is. */
  participantId?: string | undefined;
  /** The invitation this attendee answered. */
  invitationId?: string | undefined;
}

export interface ProjectSettings {
  /** Store each utterance's WAV for 24 h (for investigating transcription quality). */
  debugAudioEnabled: boolean;
  /** Email the summary and action items when a session ends (default true). */
  summaryEmailEnabled: boolean;
  /** Browser origins (scheme://host[:port]) whose pages may call this project's API (CORS). */
  allowedOrigins?: string[] | undefined;
  updatedAt?: string | undefined;
}

/** Where to download a message's debug audio (a presigned URL: send no Authorization header). */
export interface DebugAudioLink {
  url: string;
  expiresAt: string;
}

/** The answer to `start()` / `stop()`. */
export interface SessionCommandResult {
  /** `Bot start command sent` / `Bot stop command sent`. */
  message: string;
}

/**
 * A command to the bot fleet: the `data.command` of a `session.bot.requested` (join) or
 * `session.bot.released` (leave) event, which is the body of each bot command queue message.
 */
export interface BotCommand {
  kind: "join" | "leave";
  /** Name it in every report that answers this command. */
  commandId: string;
  sessionId: string;
  tenantId: string;
  projectId: string;
  externalRoomId: string;
  gateway: string;
  /** The bot API of this session, as a path: POST {reportTo}/bot, /attendance, /messages. */
  reportTo: string;
  issuedAt: string;
  /** Report on this command before then, or the bot is marked failed (and an active session ends). */
  ackDeadline: string;
}

/** What the bot API answers a report: the session, and whether to attach each utterance's WAV. */
export interface BotReportResult {
  session: SessionData;
  /** The project stores debug audio: attach each utterance's WAV (`debugAudio` of postMessage). */
  debugAudio: boolean;
}

export interface WebhookEndpoint {
  /** Endpoint id (`whk_…`). */
  id: string;
  projectId: string;
  url: string;
  /** Event filters (`*`, exact types, or `prefix.*`); empty = all. */
  events: string[];
  enabled: boolean;
  description?: string | undefined;
  disabledReason?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  /** `whsec_…` — store it now; it is not shown again. */
  secret: string;
}

export interface DeliveryAttempt {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  ok: boolean;
  status?: number | undefined;
  error?: string | undefined;
  durationMs: number;
  replay: boolean;
  at: string;
}

export interface Actor {
  type: "apiKey" | "participant" | "system" | "schedule" | "function" | "bot";
  id: string;
}

/** Every event on every channel (SSE data, webhook body, activity log). */
export interface EventEnvelope<D = Record<string, unknown>> {
  /** Unique event id (`evt_…`); stable across redeliveries. */
  id: string;
  type: string;
  /** The aggregate version this event produced (gapless per aggregate). */
  version: number;
  projectId: string;
  tenantId: string;
  /** The aggregate, as `type:id`, e.g. `gathering:gth_…`. */
  resource: string;
  occurredAt: string;
  actor?: Actor | undefined;
  data: D;
}

// ── Plugins and annotations ─────────────────────────────────────────────────────────────────────────────

/** The plugins of the catalog (a deployment's plugins are its functions). */
export type PluginId = "profanity" | "sentiment" | "summary" | "action_items";
/** What an annotation is: `profanity` and `sentiment` of a message; `summary`, `action_items`, `sentiment` of a session. */
export type AnnotationType = "profanity" | "summary" | "action_items" | "sentiment";
/** What sets a plugin off: an utterance, the session's end, or one of its actions. */
export type AnnotationTriggerKind = "message.created" | "session.ended" | "action";

export interface AnnotationTrigger {
  kind: AnnotationTriggerKind;
  /** For an action: which one. */
  actionId?: string | undefined;
  /** For an action: the request that ran it (`req_…`, as `runAction()` answers). */
  requestId?: string | undefined;
}

/** What a plugin made of a message (profanity, sentiment). */
export interface MessageAnnotation {
  /** Annotation id (`ann_…`). */
  id: string;
  tenantId: string;
  projectId: string;
  sessionId: string;
  /** The message this annotation is attached to. */
  messageId: string;
  pluginId: PluginId;
  /** The project's instance of the plugin that wrote it. */
  pluginInstanceId?: string | undefined;
  type: AnnotationType;
  /** What the plugin found; always names the `engine` that made it. */
  data: Record<string, unknown>;
  trigger: AnnotationTrigger;
  createdAt: string;
  /** The session version that published it (absent while it is on its way into the session's log). */
  version?: number | undefined;
}

/** What a plugin made of a whole session (a summary, action items, the meeting's sentiment). */
export interface SessionAnnotation {
  /** Annotation id (`ann_…`). */
  id: string;
  tenantId: string;
  projectId: string;
  sessionId: string;
  pluginId: PluginId;
  /** The project's instance of the plugin that wrote it. */
  pluginInstanceId?: string | undefined;
  type: AnnotationType;
  /** What the plugin found; always names the `engine` that made it. */
  data: Record<string, unknown>;
  trigger: AnnotationTrigger;
  createdAt: string;
  /** The session version that published it (absent while it is on its way into the session's log). */
  version?: number | undefined;
  /** The newest of its type: a regenerated summary supersedes the previous one, which is kept (`false`). */
  current: boolean;
}

/** An action a plugin contributes to a session's menu, e.g. `generate-minutes` ("Generate minutes"). */
export interface PluginAction {
  id: string;
  name: string;
  description: string;
}

/** A project's instance of a plugin: the catalog's description, and what the project set. */
export interface PluginInstance {
  /** The plugin id. */
  id: PluginId;
  /** This project's instance of it. */
  pluginInstanceId: string;
  name: string;
  description: string;
  /** The annotation types it writes. */
  writes: AnnotationType[];
  /** What sets it off. */
  listensTo: AnnotationTriggerKind[];
  actions: PluginAction[];
  enabled: boolean;
  /** Its configuration, defaults filled in. */
  config: Record<string, unknown>;
  /** When the project last changed it (absent: the defaults). */
  updatedAt?: string | undefined;
}

/** One plugin of a session's action menu. */
export interface SessionActionsPlugin {
  id: PluginId;
  pluginInstanceId: string;
  name: string;
  description: string;
  actions: PluginAction[];
}

/** `getActions()`: the project's enabled plugins, with the actions each contributes. */
export interface SessionActions {
  sessionId: string;
  plugins: SessionActionsPlugin[];
}

/** The answer to `runAction()` (202): the plugin runs it on its queue. */
export interface ActionAccepted {
  message: string;
  sessionId: string;
  pluginId: PluginId;
  actionId: string;
  /** The annotation the action produces names this in `trigger.requestId`. */
  requestId: string;
}

/** RFC 9457 problem details, as every error response carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string | undefined;
  instance?: string | undefined;
  requestId?: string | undefined;
  /** For validation failures: each offending field. */
  errors?: Array<{ path: string; message: string }> | undefined;
  [extension: string]: unknown;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | undefined;
}

export interface PageQuery {
  limit?: number;
  cursor?: string;
}

// ── Request bodies ──────────────────────────────────────────────────────────────────────────────────────

export interface CreateGatheringInput {
  name: string;
  type: GatheringType;
  startsAt?: string;
  endsAt?: string;
  autoStartSession?: boolean;
  autoStart?: AutoStart;
  maxMembers?: number;
  listed?: boolean;
  metadata?: Record<string, unknown>;
  /** A chosen (vanity) join code, e.g. `ABCD-1234`; generated when omitted. */
  joinCode?: string;
}

export interface UpdateGatheringInput {
  name?: string;
  startsAt?: string;
  endsAt?: string;
  autoStartSession?: boolean;
  autoStart?: AutoStart | null;
  maxMembers?: number | null;
  listed?: boolean;
  metadata?: Record<string, unknown>;
}

export interface ListGatheringsQuery extends PageQuery {
  type?: GatheringType;
  status?: GatheringStatus;
  listed?: boolean;
}

export interface StartGatheringInput {
  roomId?: string;
  autoStartSession?: boolean;
}

export interface AddMemberInput {
  participantId: string;
  role?: MemberRole;
  displayName?: string;
}

export interface JoinByCodeInput {
  joinCode: string;
  participantId: string;
  displayName?: string;
}

export interface SendInvitationsInput {
  participantIds?: string[];
  emails?: string[];
  message?: string;
}

export interface PutParticipantInput {
  displayName?: string;
  email?: string;
}

export interface CreateWebhookInput {
  url: string;
  events?: string[];
  enabled?: boolean;
  description?: string;
}

export interface UpdateWebhookInput {
  url?: string;
  events?: string[];
  enabled?: boolean;
  description?: string;
}

export interface CreateSessionInput {
  title: string;
  /** The voice room to transcribe. */
  externalRoomId: string;
  /** The ODIN gateway host the bot joins (default `gateway.odin.4players.io`). */
  gateway?: string;
  /** Seconds without an utterance before the session ends by itself (max a day); 0 or null: never. */
  idleTimeout?: number | null;
  /** Command the bot to join now (default true); otherwise call `start()` later. */
  autoStart?: boolean;
  /** Up to 50 addresses that get the summary email when the session ends. */
  summaryRecipients?: string[];
}

export interface UpdateSessionInput {
  title?: string;
  idleTimeout?: number | null;
  /** Replaces the summary recipients (an empty list clears them). */
  summaryRecipients?: string[];
}

export interface ListSessionsQuery extends PageQuery {
  status?: SessionStatus;
  externalRoomId?: string;
  gatheringId?: string;
}

export interface UpdateSettingsInput {
  debugAudioEnabled?: boolean;
  summaryEmailEnabled?: boolean;
  /** At most 20 origins, e.g. `https://game.example.com`. */
  allowedOrigins?: string[];
}

export interface UpdatePluginInput {
  enabled?: boolean;
  /** The plugin's configuration (checked per plugin; keys left out take their defaults). */
  config?: Record<string, unknown>;
}

export interface ListSessionAnnotationsQuery {
  /** Only annotations of this type. */
  type?: AnnotationType;
}

export interface ListMessageAnnotationsQuery extends PageQuery {
  /** Only this message's annotations. */
  messageId?: string;
}

// ── The bot API (sdk/src/bot.ts) ───────────────────────────────────────────────────────────────────────

export interface BotReportInput {
  state: ReportedBotState;
  /** The command this report answers. */
  commandId: string;
  /** Why, when `state` is `failed`. */
  reason?: string;
}

export interface AttendanceInput {
  peerId: string;
  userId?: string;
  displayName?: string;
  event: "joined" | "left";
  /** When it happened (ISO 8601). */
  at: string;
}

export interface PostMessageInput {
  /** Your id for this utterance (1–64 of `A-Z a-z 0-9 _ -`); a retry with the same id is one message. */
  id?: string;
  type?: MessageType;
  senderName: string;
  peerId?: string;
  userId?: string;
  content: string;
  /** When it was said (ISO 8601). */
  timestamp: string;
  /** The utterance's WAV, base64 (≤ 3 MiB decoded; stored only while the project enables debug audio). */
  debugAudio?: string;
}
