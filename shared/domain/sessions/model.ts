import { z } from "zod";

export const SESSION_STATUSES = ["active", "ended"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** The ODIN gateway the transcription bot joins unless a project says otherwise. */
export const DEFAULT_GATEWAY = "gateway.odin.4players.io";

/**
 * Why a session ended: `stop()` (stopped), no utterance for `idleTimeout` seconds (idle), its gathering
 * ended or was cancelled (gathering_ended), the bot failed or never acknowledged its command (bot_failed),
 * the bot left the room on its own (bot_left).
 */
export const ENDED_REASONS = ["stopped", "idle", "gathering_ended", "bot_failed", "bot_left"] as const;
export type EndedReason = (typeof ENDED_REASONS)[number];

/**
 * The bot's state as this backend knows it: `none` until a start; `requested` when the join command is
 * out; then what the bot reports (`joining`, `in_room`); `leaving` when the leave command is out; `left`.
 * `failed` (with a reason) when the bot says so or never acknowledges a command.
 */
export const BOT_STATES = ["none", "requested", "joining", "in_room", "leaving", "left", "failed"] as const;
export type BotState = (typeof BOT_STATES)[number];
/** The states a bot may report through the bot API. */
export const REPORTED_BOT_STATES = ["joining", "in_room", "leaving", "left", "failed"] as const;
export type ReportedBotState = (typeof REPORTED_BOT_STATES)[number];

export const BotSchema = z
  .object({
    state: z.enum(BOT_STATES),
    /** The command this state answers (cmd_…); a report naming another command is stale. */
    commandId: z.string().optional(),
    reason: z.string().optional().describe("Why the bot failed, when it did"),
    ackDeadline: z.iso
      .datetime()
      .optional()
      .describe("While a command awaits its first report: when the bot will be marked failed"),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "SessionBot" });
export type Bot = z.infer<typeof BotSchema>;

/** A session: the active transcription of one voice room (seed 003's SessionResponse fields, and more). */
export const SessionSchema = z
  .object({
    id: z.string().describe("Session id (sess_…)"),
    tenantId: z.string(),
    projectId: z.string(),
    externalRoomId: z.string().describe("The voice room this session transcribes"),
    gateway: z.string().describe("The ODIN gateway the bot joins"),
    title: z.string(),
    status: z.enum(SESSION_STATUSES),
    endedReason: z.enum(ENDED_REASONS).optional().describe("Why the session ended (when it has)"),
    idleTimeout: z
      .number()
      .int()
      .min(0)
      .nullable()
      .optional()
      .describe("Seconds without an utterance before the session ends by itself; 0 or null: never"),
    gatheringId: z.string().optional().describe("The gathering that started this session, if any"),
    summaryRecipients: z
      .array(z.string())
      .optional()
      .describe("Who else gets the summary email when the session ends (a gathering's invitations always do)"),
    bot: BotSchema,
    messageCount: z.number().int().min(0).describe("Messages published so far"),
    lastActivityAt: z.iso.datetime().optional().describe("The last utterance (or the bot's start), for idleTimeout"),
    createdByUserId: z.string(),
    version: z.number().int().positive(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().optional(),
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof SessionSchema>;

const IdleTimeoutSchema = z
  .number()
  .int()
  .min(0)
  .max(86_400)
  .nullable()
  .describe("Seconds without an utterance before the session ends by itself (max a day); 0 or null: never");

const TitleSchema = z.string().trim().min(1).max(200);

/** At most this many addresses beside a gathering's invitations get a session's summary email. */
export const MAX_SUMMARY_RECIPIENTS = 50;

const SummaryRecipientsSchema = z
  .array(z.email().max(254))
  .max(MAX_SUMMARY_RECIPIENTS)
  .describe("Addresses that get the summary email when the session ends (an empty list clears them)");

export const CreateSessionBodySchema = z
  .strictObject({
    title: TitleSchema,
    externalRoomId: z.string().trim().min(1).max(256).describe("The voice room to transcribe"),
    gateway: z
      .string()
      .trim()
      .min(1)
      .max(256)
      .regex(/^[A-Za-z0-9.:-]+$/, "must be a host name, e.g. gateway.odin.4players.io")
      .optional(),
    idleTimeout: IdleTimeoutSchema.optional(),
    autoStart: z.boolean().optional().describe("Command the bot to join now (default true)"),
    summaryRecipients: SummaryRecipientsSchema.optional(),
  })
  .meta({ id: "CreateSessionBody" });
export type CreateSessionBody = z.infer<typeof CreateSessionBodySchema>;

export const UpdateSessionBodySchema = z
  .strictObject({
    title: TitleSchema.optional(),
    idleTimeout: IdleTimeoutSchema.optional(),
    summaryRecipients: SummaryRecipientsSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "name at least one of title, idleTimeout, summaryRecipients" })
  .meta({ id: "UpdateSessionBody" });
export type UpdateSessionBody = z.infer<typeof UpdateSessionBodySchema>;

export const BotCommandAnswerSchema = z
  .object({
    message: z.string().describe("Bot start command sent / Bot stop command sent"),
    session: SessionSchema,
  })
  .meta({ id: "BotCommandAnswer" });

// ── The bot API ──────────────────────────────────────────────────────────────────────────────────────────

/** The answer to a bot's report: the session, and whether to attach each utterance's WAV (debug audio). */
export const BotReportAnswerSchema = z
  .object({
    session: SessionSchema,
    debugAudio: z.boolean().describe("The project stores debug audio: attach each utterance's WAV"),
  })
  .meta({ id: "BotReportAnswer" });

export const BotReportBodySchema = z
  .strictObject({
    state: z.enum(REPORTED_BOT_STATES),
    commandId: z.string().min(1).max(64).describe("The command this report answers (from the bot command)"),
    reason: z.string().max(500).optional().describe("Why, when `state` is failed"),
  })
  .meta({ id: "BotReportBody" });
export type BotReportBody = z.infer<typeof BotReportBodySchema>;

/** Client-chosen ids make retries safe: the same id twice is one message. */
export const ClientIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '_' or '-'");

const TimestampSchema = z.iso.datetime({ offset: true }).describe("When it happened (ISO 8601)");

export const MESSAGE_TYPES = ["user", "system"] as const;
/** A decoded WAV may be this large (its base64 fits in a Lambda request with room to spare). */
export const MAX_DEBUG_AUDIO_BYTES = 3 * 1024 * 1024;

export const PostMessageBodySchema = z
  .strictObject({
    id: ClientIdSchema.optional().describe("Your id for this utterance; a retry with the same id is one message"),
    type: z.enum(MESSAGE_TYPES).default("user"),
    senderName: z.string().trim().min(1).max(200),
    peerId: z.string().min(1).max(128).optional().describe("The speaker's peer in the voice room"),
    userId: z.string().min(1).max(128).optional().describe("The speaker's user id, when the room knows it"),
    content: z.string().min(1).max(20_000),
    timestamp: TimestampSchema,
    debugAudio: z
      .string()
      .max(Math.ceil((MAX_DEBUG_AUDIO_BYTES * 4) / 3) + 4)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64")
      .optional()
      .describe("The utterance's WAV, base64 (stored only when the project enables debug audio)"),
  })
  .meta({ id: "PostMessageBody" });
export type PostMessageBody = z.infer<typeof PostMessageBodySchema>;

export const MessageSchema = z
  .object({
    id: z.string().describe("Message id"),
    sessionId: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    type: z.enum(MESSAGE_TYPES),
    senderName: z.string().describe("Sender name (or [System] for system messages)"),
    peerId: z.string().optional(),
    userId: z.string().optional(),
    content: z.string(),
    timestamp: z.iso.datetime(),
    hasDebugAudio: z.boolean(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Message" });
export type Message = z.infer<typeof MessageSchema>;

export const ATTENDANCE_EVENTS = ["joined", "left"] as const;

export const AttendanceBodySchema = z
  .strictObject({
    peerId: z.string().min(1).max(128),
    userId: z.string().min(1).max(128).optional(),
    displayName: z.string().trim().min(1).max(200).optional(),
    event: z.enum(ATTENDANCE_EVENTS),
    at: TimestampSchema,
  })
  .meta({ id: "AttendanceBody" });
export type AttendanceBody = z.infer<typeof AttendanceBodySchema>;

export const AttendeeSchema = z
  .object({
    sessionId: z.string(),
    peerId: z.string(),
    userId: z.string().optional(),
    displayName: z.string().optional(),
    present: z.boolean().describe("In the room now"),
    intervals: z.array(z.object({ joinedAt: z.iso.datetime(), leftAt: z.iso.datetime().optional() })),
    /** Linked when `userId` is a participant of the session's gathering (seed 002's three layers). */
    participantId: z.string().optional().describe("The gathering member this attendee is"),
    invitationId: z.string().optional().describe("The invitation this attendee answered"),
  })
  .meta({ id: "Attendee" });
export type Attendee = z.infer<typeof AttendeeSchema>;

// ── Project settings ─────────────────────────────────────────────────────────────────────────────────────

export const ProjectSettingsSchema = z
  .object({
    debugAudioEnabled: z
      .boolean()
      .describe("Store each utterance's WAV for 24 h (for investigating transcription quality)"),
    summaryEmailEnabled: z
      .boolean()
      .describe("When a gathering's session ends, email its summary and action items to the invitations (default on)"),
    allowedOrigins: z
      .array(z.string())
      .optional()
      .describe("Browser origins (scheme://host[:port]) whose pages may call this project's API (CORS)"),
    updatedAt: z.iso.datetime().optional(),
  })
  .meta({ id: "ProjectSettings" });
export type ProjectSettings = z.infer<typeof ProjectSettingsSchema>;

export const UpdateSettingsBodySchema = z
  .strictObject({
    debugAudioEnabled: z.boolean().optional(),
    summaryEmailEnabled: z.boolean().optional(),
    allowedOrigins: z
      .array(
        z
          .string()
          .max(256)
          .regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, "must be an origin: scheme://host[:port], no path"),
      )
      .max(20)
      .optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "name at least one setting" })
  .meta({ id: "UpdateSettingsBody" });
export type UpdateSettingsBody = z.infer<typeof UpdateSettingsBodySchema>;

export const DebugAudioLinkSchema = z
  .object({ url: z.string(), expiresAt: z.iso.datetime() })
  .meta({ id: "DebugAudioLink" });

/** How long a bot has to report on a command (join or leave) before it is marked failed. */
export const BOT_ACK_TIMEOUT_SECONDS = 60;

/** Debug audio is kept this long after its message (the bucket's lifecycle removes it a little later). */
export const DEBUG_AUDIO_RETENTION_SECONDS = 24 * 60 * 60;
