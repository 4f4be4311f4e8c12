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
  /** Seconds of silence before auto-stop; 0 or null means never. */
  idleTimeout?: number | null | undefined;
  gatheringId?: string | undefined;
  createdByUserId: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  endedAt?: string | undefined;
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
  type: "apiKey" | "participant" | "system" | "schedule" | "function";
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
