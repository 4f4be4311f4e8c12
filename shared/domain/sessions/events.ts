import * as z from "../../kernel/zod.js";
import type { EventDefinition } from "../../store/commit.js";
import { AttendeeSchema, BOT_STATES, MessageSchema, SessionSchema } from "./model.js";

/**
 * The session aggregate's events (assembled into the catalog by `events/catalog.ts`). Every event but
 * `message.created` carries the session as it is at that event's version; `message.created` carries only
 * the message (a meeting has thousands), and advances the session's version like any other event, so a
 * watcher of the session sees one gapless, ordered log.
 */
const session = z.object({ session: SessionSchema });

/**
 * What the bot fleet receives on the bot command queue (the SQS message body is the event envelope; this
 * is its `data.command`). Everything a bot needs to join or leave, and to report back.
 */
export const BotCommandSchema = z.withMeta(
  z.object({
    kind: z.enum(["join", "leave"]),
    commandId: z.withDescription(z.string(), "Name it in every report that answers this command"),
    sessionId: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    externalRoomId: z.string(),
    gateway: z.string(),
    reportTo: z.withDescription(z.string(), "The bot API of this session: POST {reportTo}/bot, /attendance, /messages"),
    issuedAt: z.iso.datetime(),
    ackDeadline: z.withDescription(z.iso.datetime(), "Report on this command before then, or the bot is marked failed"),
  }),
  { id: "BotCommand" },
);
export type BotCommand = z.infer<typeof BotCommandSchema>;

const command = z.object({ session: SessionSchema, command: BotCommandSchema });

export const SESSION_EVENTS = {
  "session.created": { aggregate: "session", description: "A session was created.", data: session },
  "session.updated": {
    aggregate: "session",
    description: "Session settings changed (title, idleTimeout).",
    data: z.object({
      session: SessionSchema,
      changes: z.withDescription(z.array(z.string()), "The fields that changed"),
    }),
  },
  "session.ended": {
    aggregate: "session",
    description: "A session ended (`session.endedReason` says why).",
    data: session,
  },
  "session.deleted": {
    aggregate: "session",
    description: "A session was deleted with its transcript, attendance and debug audio.",
    data: session,
  },
  "session.bot.requested": {
    aggregate: "session",
    description: "The bot was commanded to join the room (delivered to the bot command queue).",
    data: command,
  },
  "session.bot.released": {
    aggregate: "session",
    description: "The bot was commanded to leave the room (delivered to the bot command queue).",
    data: command,
  },
  "session.bot.updated": {
    aggregate: "session",
    description: "The bot's state changed (reported by the bot, or failed for want of an acknowledgement).",
    data: z.object({ session: SessionSchema, previousState: z.enum(BOT_STATES) }),
  },
  "session.attendance.joined": {
    aggregate: "session",
    description: "Someone joined the voice room.",
    data: z.object({ session: SessionSchema, attendee: AttendeeSchema }),
  },
  "session.attendance.left": {
    aggregate: "session",
    description: "Someone left the voice room.",
    data: z.object({ session: SessionSchema, attendee: AttendeeSchema }),
  },
  "message.created": {
    aggregate: "session",
    description: "A transcribed utterance (or a join/leave system message) was added to a session.",
    data: z.object({ message: MessageSchema }),
  },
} as const satisfies Record<string, EventDefinition>;

export type SessionEventType = keyof typeof SESSION_EVENTS;

/** The events the bot command queue carries. */
export const BOT_COMMAND_EVENT_TYPES = ["session.bot.requested", "session.bot.released"] as const;
