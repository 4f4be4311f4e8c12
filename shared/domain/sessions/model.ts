import * as z from "../../kernel/zod.js";

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

export const BotSchema = z.withMeta(
  z.object({
    state: z.enum(BOT_STATES),
    /** The command this state answers (cmd_…); a report naming another command is stale. */
    commandId: z.optional(z.string()),
    reason: z.withDescription(z.optional(z.string()), "Why the bot failed, when it did"),
    ackDeadline: z.withDescription(
      z.optional(z.iso.datetime()),
      "While a command awaits its first report: when the bot will be marked failed",
    ),
    updatedAt: z.iso.datetime(),
  }),
  { id: "SessionBot" },
);
export type Bot = z.infer<typeof BotSchema>;

/** A session: the active transcription of one voice room (seed 003's SessionResponse fields, and more). */
export const SessionSchema = z.withMeta(
  z.object({
    id: z.withDescription(z.string(), "Session id (sess_…)"),
    tenantId: z.string(),
    projectId: z.string(),
    externalRoomId: z.withDescription(z.string(), "The voice room this session transcribes"),
    gateway: z.withDescription(z.string(), "The ODIN gateway the bot joins"),
    title: z.string(),
    status: z.enum(SESSION_STATUSES),
    endedReason: z.withDescription(z.optional(z.enum(ENDED_REASONS)), "Why the session ended (when it has)"),
    idleTimeout: z.withDescription(
      z.optional(z.nullable(z.number().check(z.int(), z.minimum(0)))),
      "Seconds without an utterance before the session ends by itself; 0 or null: never",
    ),
    gatheringId: z.withDescription(z.optional(z.string()), "The gathering that started this session, if any"),
    summaryRecipients: z.withDescription(
      z.optional(z.array(z.string())),
      "Who else gets the summary email when the session ends (a gathering's invitations always do)",
    ),
    bot: BotSchema,
    messageCount: z.withDescription(z.number().check(z.int(), z.minimum(0)), "Messages published so far"),
    lastActivityAt: z.withDescription(
      z.optional(z.iso.datetime()),
      "The last utterance (or the bot's start), for idleTimeout",
    ),
    createdByUserId: z.string(),
    version: z.number().check(z.int(), z.positive()),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    endedAt: z.optional(z.iso.datetime()),
  }),
  { id: "Session" },
);
export type Session = z.infer<typeof SessionSchema>;

const IdleTimeoutSchema = z.withDescription(
  z.nullable(z.number().check(z.int(), z.minimum(0), z.maximum(86_400))),
  "Seconds without an utterance before the session ends by itself (max a day); 0 or null: never",
);

const TitleSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(200));

/** At most this many addresses beside a gathering's invitations get a session's summary email. */
export const MAX_SUMMARY_RECIPIENTS = 50;

const SummaryRecipientsSchema = z.withDescription(
  z.array(z.email().check(z.maxLength(254))).check(z.maxLength(MAX_SUMMARY_RECIPIENTS)),
  "Addresses that get the summary email when the session ends (an empty list clears them)",
);

export const CreateSessionBodySchema = z.withMeta(
  z.strictObject({
    title: TitleSchema,
    externalRoomId: z.withDescription(
      z.string().check(z.trim(), z.minLength(1), z.maxLength(256)),
      "The voice room to transcribe",
    ),
    gateway: z.optional(
      z
        .string()
        .check(
          z.trim(),
          z.minLength(1),
          z.maxLength(256),
          z.regex(/^[A-Za-z0-9.:-]+$/, "must be a host name, e.g. gateway.odin.4players.io"),
        ),
    ),
    idleTimeout: z.optional(IdleTimeoutSchema),
    autoStart: z.withDescription(z.optional(z.boolean()), "Command the bot to join now (default true)"),
    summaryRecipients: z.optional(SummaryRecipientsSchema),
  }),
  { id: "CreateSessionBody" },
);
export type CreateSessionBody = z.infer<typeof CreateSessionBodySchema>;

export const UpdateSessionBodySchema = z.withMeta(
  z
    .strictObject({
      title: z.optional(TitleSchema),
      idleTimeout: z.optional(IdleTimeoutSchema),
      summaryRecipients: z.optional(SummaryRecipientsSchema),
    })
    .check(
      z.refine((b) => Object.keys(b).length > 0, {
        message: "name at least one of title, idleTimeout, summaryRecipients",
      }),
    ),
  { id: "UpdateSessionBody" },
);
export type UpdateSessionBody = z.infer<typeof UpdateSessionBodySchema>;

export const BotCommandAnswerSchema = z.withMeta(
  z.object({
    message: z.withDescription(z.string(), "Bot start command sent / Bot stop command sent"),
    session: SessionSchema,
  }),
  { id: "BotCommandAnswer" },
);

// ── The bot API ──────────────────────────────────────────────────────────────────────────────────────────

/** The answer to a bot's report: the session, and whether to attach each utterance's WAV (debug audio). */
export const BotReportAnswerSchema = z.withMeta(
  z.object({
    session: SessionSchema,
    debugAudio: z.withDescription(z.boolean(), "The project stores debug audio: attach each utterance's WAV"),
  }),
  { id: "BotReportAnswer" },
);

export const BotReportBodySchema = z.withMeta(
  z.strictObject({
    state: z.enum(REPORTED_BOT_STATES),
    commandId: z.withDescription(
      z.string().check(z.minLength(1), z.maxLength(64)),
      "The command this report answers (from the bot command)",
    ),
    reason: z.withDescription(z.optional(z.string().check(z.maxLength(500))), "Why, when `state` is failed"),
  }),
  { id: "BotReportBody" },
);
export type BotReportBody = z.infer<typeof BotReportBodySchema>;

/** Client-chosen ids make retries safe: the same id twice is one message. */
export const ClientIdSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '_' or '-'"));

const TimestampSchema = z.withDescription(z.iso.datetime({ offset: true }), "When it happened (ISO 8601)");

export const MESSAGE_TYPES = ["user", "system"] as const;
/** A decoded WAV may be this large (its base64 fits in a Lambda request with room to spare). */
export const MAX_DEBUG_AUDIO_BYTES = 3 * 1024 * 1024;

export const PostMessageBodySchema = z.withMeta(
  z.strictObject({
    id: z.withDescription(
      z.optional(ClientIdSchema),
      "Your id for this utterance; a retry with the same id is one message",
    ),
    type: z._default(z.enum(MESSAGE_TYPES), "user"),
    senderName: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
    peerId: z.withDescription(
      z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
      "The speaker's peer in the voice room",
    ),
    userId: z.withDescription(
      z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
      "The speaker's user id, when the room knows it",
    ),
    content: z.string().check(z.minLength(1), z.maxLength(20_000)),
    timestamp: TimestampSchema,
    debugAudio: z.withDescription(
      z.optional(
        z
          .string()
          .check(
            z.maxLength(Math.ceil((MAX_DEBUG_AUDIO_BYTES * 4) / 3) + 4),
            z.regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64"),
          ),
      ),
      "The utterance's WAV, base64 (stored only when the project enables debug audio)",
    ),
  }),
  { id: "PostMessageBody" },
);
export type PostMessageBody = z.infer<typeof PostMessageBodySchema>;

export const MessageSchema = z.withMeta(
  z.object({
    id: z.withDescription(z.string(), "Message id"),
    sessionId: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    type: z.enum(MESSAGE_TYPES),
    senderName: z.withDescription(z.string(), "Sender name (or [System] for system messages)"),
    peerId: z.optional(z.string()),
    userId: z.optional(z.string()),
    content: z.string(),
    timestamp: z.iso.datetime(),
    hasDebugAudio: z.boolean(),
    createdAt: z.iso.datetime(),
  }),
  { id: "Message" },
);
export type Message = z.infer<typeof MessageSchema>;

export const ATTENDANCE_EVENTS = ["joined", "left"] as const;

export const AttendanceBodySchema = z.withMeta(
  z.strictObject({
    peerId: z.string().check(z.minLength(1), z.maxLength(128)),
    userId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    displayName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
    event: z.enum(ATTENDANCE_EVENTS),
    at: TimestampSchema,
  }),
  { id: "AttendanceBody" },
);
export type AttendanceBody = z.infer<typeof AttendanceBodySchema>;

export const AttendeeSchema = z.withMeta(
  z.object({
    sessionId: z.string(),
    peerId: z.string(),
    userId: z.optional(z.string()),
    displayName: z.optional(z.string()),
    present: z.withDescription(z.boolean(), "In the room now"),
    intervals: z.array(z.object({ joinedAt: z.iso.datetime(), leftAt: z.optional(z.iso.datetime()) })),
    /** Linked when `userId` is a participant of the session's gathering (seed 002's three layers). */
    participantId: z.withDescription(z.optional(z.string()), "The gathering member this attendee is"),
    invitationId: z.withDescription(z.optional(z.string()), "The invitation this attendee answered"),
  }),
  { id: "Attendee" },
);
export type Attendee = z.infer<typeof AttendeeSchema>;

// ── Project settings ─────────────────────────────────────────────────────────────────────────────────────

export const ProjectSettingsSchema = z.withMeta(
  z.object({
    debugAudioEnabled: z.withDescription(
      z.boolean(),
      "Store each utterance's WAV for 24 h (for investigating transcription quality)",
    ),
    summaryEmailEnabled: z.withDescription(
      z.boolean(),
      "When a gathering's session ends, email its summary and action items to the invitations (default on)",
    ),
    allowedOrigins: z.withDescription(
      z.optional(z.array(z.string())),
      "Browser origins (scheme://host[:port]) whose pages may call this project's API (CORS)",
    ),
    updatedAt: z.optional(z.iso.datetime()),
  }),
  { id: "ProjectSettings" },
);
export type ProjectSettings = z.infer<typeof ProjectSettingsSchema>;

export const UpdateSettingsBodySchema = z.withMeta(
  z
    .strictObject({
      debugAudioEnabled: z.optional(z.boolean()),
      summaryEmailEnabled: z.optional(z.boolean()),
      allowedOrigins: z.optional(
        z
          .array(
            z
              .string()
              .check(
                z.maxLength(256),
                z.regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, "must be an origin: scheme://host[:port], no path"),
              ),
          )
          .check(z.maxLength(20)),
      ),
    })
    .check(z.refine((b) => Object.keys(b).length > 0, { message: "name at least one setting" })),
  { id: "UpdateSettingsBody" },
);
export type UpdateSettingsBody = z.infer<typeof UpdateSettingsBodySchema>;

export const DebugAudioLinkSchema = z.withMeta(z.object({ url: z.string(), expiresAt: z.iso.datetime() }), {
  id: "DebugAudioLink",
});

/** How long a bot has to report on a command (join or leave) before it is marked failed. */
export const BOT_ACK_TIMEOUT_SECONDS = 60;

/** Debug audio is kept this long after its message (the bucket's lifecycle removes it a little later). */
export const DEBUG_AUDIO_RETENTION_SECONDS = 24 * 60 * 60;
