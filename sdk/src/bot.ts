/**
 * The bot side of sessions (`@cortex-gatherings/sdk/bot`): for the transcription bot that holds a voice
 * connection for a whole meeting. The backend commands bots through a queue (each message body is a
 * `session.bot.requested` / `session.bot.released` event envelope: `parseBotCommand`), and a bot answers
 * through the bot API with its own key (`CortexBot`): it reports its state for the command, who joins and
 * leaves the room, and each transcribed utterance.
 */
import { randomId, Transport, type CallOptions, type FetchLike } from "./transport.js";
import type {
  AttendanceInput,
  Attendee,
  BotCommand,
  BotReportInput,
  BotReportResult,
  EventEnvelope,
  Message,
  MessageType,
  PostMessageInput,
  ReportedBotState,
  SessionData,
} from "./types.js";

export type {
  AttendanceInput,
  Attendee,
  BotCommand,
  BotReportInput,
  BotReportResult,
  BotState,
  EventEnvelope,
  Message,
  MessageType,
  PostMessageInput,
  ReportedBotState,
  SessionBot,
  SessionData,
} from "./types.js";
export { CortexConnectionError, CortexError } from "./errors.js";
export type { CallOptions, FetchLike } from "./transport.js";

/** The events that carry bot commands: a join command, and a leave command. */
export const BOT_COMMAND_EVENT_TYPES = ["session.bot.requested", "session.bot.released"] as const;
export type BotCommandEventType = (typeof BOT_COMMAND_EVENT_TYPES)[number];

/** A bot command queue message: the event envelope, whose `data.command` is the command. */
export interface BotCommandEnvelope extends EventEnvelope<{ session: SessionData; command: BotCommand }> {
  type: BotCommandEventType;
}

/** A queue message that is not a bot command; `problems` names each offending field. */
export class BotCommandError extends Error {
  constructor(readonly problems: string[]) {
    super(`not a bot command: ${problems.join("; ")}`);
    this.name = "BotCommandError";
  }
}

const COMMAND_STRING_FIELDS = [
  "commandId",
  "sessionId",
  "tenantId",
  "projectId",
  "externalRoomId",
  "gateway",
  "reportTo",
] as const;
const ENVELOPE_STRING_FIELDS = ["id", "projectId", "tenantId", "resource"] as const;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isInstant = (value: unknown) => typeof value === "string" && !Number.isNaN(Date.parse(value));

/**
 * Parses the body of a bot command queue message into its typed envelope, checking every field a bot
 * relies on; throws a `BotCommandError` naming each one that is wrong. (An EventBridge event whose
 * `detail` is the envelope is accepted too.) `data.command.kind` is `join` for `session.bot.requested`
 * and `leave` for `session.bot.released`.
 */
export function parseBotCommand(body: string): BotCommandEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new BotCommandError([`the body is not JSON (${error instanceof Error ? error.message : String(error)})`]);
  }
  if (isObject(parsed) && isObject(parsed.detail) && typeof parsed["detail-type"] === "string") parsed = parsed.detail;
  if (!isObject(parsed)) throw new BotCommandError(["the body must be a JSON object (an event envelope)"]);
  const problems: string[] = [];
  const envelope = parsed;
  for (const field of ENVELOPE_STRING_FIELDS) {
    if (typeof envelope[field] !== "string" || envelope[field] === "") problems.push(`${field} must be a string`);
  }
  if (!BOT_COMMAND_EVENT_TYPES.includes(envelope.type as BotCommandEventType)) {
    problems.push(`type must be ${BOT_COMMAND_EVENT_TYPES.join(" or ")} (got ${JSON.stringify(envelope.type)})`);
  }
  if (!Number.isInteger(envelope.version) || (envelope.version as number) < 1) {
    problems.push("version must be a positive integer");
  }
  if (!isInstant(envelope.occurredAt)) problems.push("occurredAt must be an ISO 8601 time");
  const data = envelope.data;
  const command = isObject(data) ? data.command : undefined;
  if (!isObject(data)) problems.push("data must be an object");
  else if (!isObject(data.session) || typeof data.session.id !== "string") {
    problems.push("data.session must be the session");
  }
  if (!isObject(command)) {
    if (isObject(data)) problems.push("data.command must be an object");
  } else {
    if (command.kind !== "join" && command.kind !== "leave") {
      problems.push(`data.command.kind must be "join" or "leave" (got ${JSON.stringify(command.kind)})`);
    }
    for (const field of COMMAND_STRING_FIELDS) {
      if (typeof command[field] !== "string" || command[field] === "") {
        problems.push(`data.command.${field} must be a string`);
      }
    }
    for (const field of ["issuedAt", "ackDeadline"] as const) {
      if (!isInstant(command[field])) problems.push(`data.command.${field} must be an ISO 8601 time`);
    }
    if (typeof command.reportTo === "string" && !command.reportTo.startsWith("/")) {
      problems.push("data.command.reportTo must be an API path (starting with /)");
    }
    const expectedKind = envelope.type === "session.bot.requested" ? "join" : "leave";
    if (problems.length === 0 && command.kind !== expectedKind) {
      problems.push(`data.command.kind must be "${expectedKind}" in a ${String(envelope.type)} event`);
    }
    if (problems.length === 0 && envelope.resource !== `session:${String(command.sessionId)}`) {
      problems.push(`resource (${String(envelope.resource)}) must name the command's session`);
    }
  }
  if (problems.length > 0) throw new BotCommandError(problems);
  return envelope as unknown as BotCommandEnvelope;
}

/** Whether a command's ack deadline has passed: the backend has marked the bot failed; drop it. */
export function commandExpired(command: Pick<BotCommand, "ackDeadline">, now: Date = new Date()): boolean {
  return now.getTime() >= Date.parse(command.ackDeadline);
}

export interface CortexBotOptions {
  /** The API's base URL (the one the backend's clients use). */
  baseUrl: string;
  /** The bot key (a key of kind `bot`: it may use the bot API and read sessions, nothing else). */
  botKey: string | undefined;
  /** A fetch implementation (default: the global `fetch`). */
  fetch?: FetchLike | undefined;
  /** Retries of a call on 429, 5xx and network errors (default 5: a lost utterance is a gap in a transcript). */
  maxRetries?: number | undefined;
  /** Per-attempt timeout in milliseconds (default 30 000). */
  timeoutMs?: number | undefined;
  /** Base of the retry backoff in milliseconds (default 250). */
  retryBaseMs?: number | undefined;
}

/** The bot API client: `new CortexBot({ baseUrl, botKey }).session(projectId, sessionId)`. */
export class CortexBot {
  readonly #transport: Transport;

  constructor(options: CortexBotOptions) {
    if (!options.baseUrl) throw new TypeError("CortexBot needs a baseUrl");
    if (!options.botKey) throw new TypeError("CortexBot needs a botKey (is the variable holding it set?)");
    this.#transport = new Transport({
      baseUrl: options.baseUrl,
      apiKey: options.botKey,
      fetch: options.fetch,
      maxRetries: options.maxRetries ?? 5,
      timeoutMs: options.timeoutMs,
      retryBaseMs: options.retryBaseMs,
    });
  }

  get baseUrl(): string {
    return this.#transport.baseUrl;
  }

  /** The bot API of one session. */
  session(projectId: string, sessionId: string): BotSession {
    const path = `/v1/projects/${encodeURIComponent(projectId)}/sessions/${encodeURIComponent(sessionId)}`;
    return new BotSession(this.#transport, projectId, sessionId, path);
  }

  /** The bot API of the session a command is about (its `reportTo`). */
  forCommand(command: BotCommand): BotSession {
    return new BotSession(this.#transport, command.projectId, command.sessionId, command.reportTo);
  }
}

/** An utterance to post: the wire fields, with defaults (`id` generated, `timestamp` now) and bytes accepted. */
export interface BotMessageInput {
  /** Your id for this utterance (1–64 of `A-Z a-z 0-9 _ -`); generated when absent. */
  id?: string | undefined;
  type?: MessageType | undefined;
  senderName: string;
  peerId?: string | undefined;
  userId?: string | undefined;
  content: string;
  /** When it was said (default: now). */
  timestamp?: string | Date | undefined;
  /** The utterance's WAV (bytes, or already base64); send it only when the report said `debugAudio`. */
  debugAudio?: string | Uint8Array | ArrayBuffer | undefined;
}

export interface BotAttendanceInput extends Omit<AttendanceInput, "at"> {
  /** When it happened (default: now). */
  at?: string | Date | undefined;
}

const CLIENT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A fresh utterance id (`utt_` and 32 hex digits). */
export function newMessageId(): string {
  return `utt_${randomId().replaceAll("-", "")}`;
}

/** Base64 without Buffer (browsers, edge runtimes), in chunks so large WAVs do not overflow the stack. */
export function toBase64(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
}

const iso = (value: string | Date | undefined) =>
  value === undefined ? new Date().toISOString() : typeof value === "string" ? value : value.toISOString();

/** One session's bot API. Every call is retried on 429, 5xx and network errors, and safe to retry. */
export class BotSession {
  readonly #transport: Transport;
  readonly projectId: string;
  readonly sessionId: string;
  /** The API path of the session (a command's `reportTo`). */
  readonly path: string;

  /** @internal Sessions come from `bot.session()` or `bot.forCommand()`. */
  constructor(transport: Transport, projectId: string, sessionId: string, path: string) {
    this.#transport = transport;
    this.projectId = projectId;
    this.sessionId = sessionId;
    this.path = path;
  }

  /** The session now — its `bot.commandId` is the command to report on, `status` whether it still runs. */
  async current(options: CallOptions = {}): Promise<SessionData> {
    return (await this.#transport.request<SessionData>({ method: "GET", path: this.path, ...options })).body;
  }

  /**
   * Reports the bot's state for a command: `joining`, `in_room` (answering a join), `leaving`, `left`,
   * or `failed` with a reason. The same state again changes nothing (a retry is safe); a report for a
   * command that is no longer the session's is a 409 `stale_command`. Answers the session and whether the
   * project wants debug audio with each utterance.
   */
  async report(
    state: ReportedBotState,
    commandId: string,
    reason?: string,
    options: CallOptions = {},
  ): Promise<BotReportResult> {
    const body: BotReportInput = { state, commandId, ...(reason !== undefined && { reason }) };
    return (
      await this.#transport.request<BotReportResult>({ method: "POST", path: `${this.path}/bot`, body, ...options })
    ).body;
  }

  /** Someone joined or left the room (the transcript gets a `[System]` line). A repeated report is a no-op. */
  async attendance(input: BotAttendanceInput, options: CallOptions = {}): Promise<Attendee> {
    const body: AttendanceInput = { ...input, at: iso(input.at) };
    return (
      await this.#transport.request<Attendee>({ method: "POST", path: `${this.path}/attendance`, body, ...options })
    ).body;
  }

  /**
   * Posts a transcribed utterance (201; 200 when this id was already posted). Its id — yours, or one
   * generated here — goes with every retry, so a retry after a lost answer finds the first message
   * instead of adding a second. To retry beyond this call (say, after a restart), pass your own `id`.
   */
  async postMessage(input: BotMessageInput, options: CallOptions = {}): Promise<Message> {
    const id = input.id ?? newMessageId();
    if (!CLIENT_ID.test(id)) throw new TypeError(`message id ${JSON.stringify(id)} must be 1–64 of A-Z a-z 0-9 _ -`);
    const { debugAudio, timestamp, ...rest } = input;
    const body: PostMessageInput = {
      ...stripUndefined(rest),
      id,
      timestamp: iso(timestamp),
      ...(debugAudio !== undefined && {
        debugAudio: typeof debugAudio === "string" ? debugAudio : toBase64(debugAudio),
      }),
    };
    return (await this.#transport.request<Message>({ method: "POST", path: `${this.path}/messages`, body, ...options }))
      .body;
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
