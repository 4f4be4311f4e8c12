import { ConflictError } from "../../kernel/errors.js";
import type { Actor } from "../../kernel/envelope.js";
import { newId } from "../../kernel/ids.js";
import type { CommitRequest } from "../../store/commit.js";
import { sessionListKeys } from "../../store/keys.js";
import type { BotCommand, SessionEventType } from "./events.js";
import type { PluginEventType } from "../plugins/events.js";
import {
  BOT_ACK_TIMEOUT_SECONDS,
  DEFAULT_GATEWAY,
  type BotState,
  type EndedReason,
  type ReportedBotState,
  type Session,
} from "./model.js";

/**
 * The session aggregate's rules, as pure functions of its state: what a command does (the steps, each an
 * event with the session as it is after it) or why it may not (a ConflictError with a reason code). The
 * service (service.ts) loads, decides and commits; the sequencer (sequencer.ts) adds messages.
 */

export interface Step {
  type: SessionEventType | PluginEventType;
  /** The session after this step (its version is stamped when committed). */
  session: Session;
  /** More event data beside `session` (e.g. the bot command); `message.created` carries only this. */
  data?: Record<string, unknown>;
}

/** Pure: a new active session for a room (the bot not yet commanded). */
export function newSession(input: {
  id: string;
  tenantId: string;
  projectId: string;
  externalRoomId: string;
  title: string;
  gatheringId?: string;
  idleTimeout?: number | null;
  gateway?: string;
  summaryRecipients?: readonly string[] | undefined;
  createdBy: string;
  at: string;
}): Session {
  const recipients = uniqueAddresses(input.summaryRecipients ?? []);
  return {
    id: input.id,
    tenantId: input.tenantId,
    projectId: input.projectId,
    externalRoomId: input.externalRoomId,
    gateway: input.gateway ?? DEFAULT_GATEWAY,
    title: input.title,
    status: "active",
    ...(input.idleTimeout !== undefined && { idleTimeout: input.idleTimeout }),
    ...(input.gatheringId !== undefined && { gatheringId: input.gatheringId }),
    ...(recipients.length > 0 && { summaryRecipients: recipients }),
    bot: { state: "none", updatedAt: input.at },
    messageCount: 0,
    createdByUserId: input.createdBy,
    version: 1,
    createdAt: input.at,
    updatedAt: input.at,
  };
}

/** Pure: each address once (compared case-insensitively), in the order given. */
export function uniqueAddresses(addresses: readonly string[]): string[] {
  const seen = new Set<string>();
  return addresses.filter((a) => !seen.has(a.toLowerCase()) && seen.add(a.toLowerCase()));
}

/** The bot API of a session, as a path under the API's base URL. */
export function botApiPath(session: Pick<Session, "projectId" | "id">): string {
  return `/v1/projects/${encodeURIComponent(session.projectId)}/sessions/${encodeURIComponent(session.id)}`;
}

function command(session: Session, kind: BotCommand["kind"], commandId: string, at: string): BotCommand {
  return {
    kind,
    commandId,
    sessionId: session.id,
    tenantId: session.tenantId,
    projectId: session.projectId,
    externalRoomId: session.externalRoomId,
    gateway: session.gateway,
    reportTo: botApiPath(session),
    issuedAt: at,
    ackDeadline: ackDeadline(at),
  };
}

function ackDeadline(at: string): string {
  return new Date(Date.parse(at) + BOT_ACK_TIMEOUT_SECONDS * 1000).toISOString();
}

const BOT_WANTED: readonly BotState[] = ["requested", "joining", "in_room"];

/** The bot is wanted in the room (commanded to join and not yet released or failed). */
export function botWanted(session: Session): boolean {
  return BOT_WANTED.includes(session.bot.state);
}

/** Pure: the join command goes out (the idle clock starts now). */
function requestBot(session: Session, at: string): Step {
  const commandId = newId("command", Date.parse(at));
  const next: Session = {
    ...session,
    bot: { state: "requested", commandId, ackDeadline: ackDeadline(at), updatedAt: at },
    lastActivityAt: at,
    updatedAt: at,
  };
  return { type: "session.bot.requested", session: next, data: { command: command(next, "join", commandId, at) } };
}

/** Pure: the leave command, when the bot is wanted in the room; nothing otherwise. */
function releaseBot(session: Session, at: string): Step[] {
  if (!botWanted(session)) return [];
  const commandId = newId("command", Date.parse(at));
  const next: Session = {
    ...session,
    bot: { state: "leaving", commandId, ackDeadline: ackDeadline(at), updatedAt: at },
    updatedAt: at,
  };
  return [{ type: "session.bot.released", session: next, data: { command: command(next, "leave", commandId, at) } }];
}

/** Creating: `session.created`, and with autoStart the join command in the same commit. */
export function decideCreate(session: Session, autoStart: boolean): Step[] {
  const created: Step = { type: "session.created", session };
  return autoStart ? [created, requestBot(session, session.createdAt)] : [created];
}

/** Starting: the join command (again, if the bot left or failed); nothing while it is already wanted. */
export function decideStart(session: Session, at: string): Step[] {
  if (session.status === "ended") {
    throw new ConflictError(`session ${session.id} has ended; create a new session`, "session_ended");
  }
  return botWanted(session) ? [] : [requestBot(session, at)];
}

/** Ending (stop, idle, the gathering, a failed bot): the leave command when needed, then `session.ended`. */
export function decideEnd(session: Session, reason: EndedReason, at: string): Step[] {
  if (session.status === "ended") return [];
  const released = releaseBot(session, at);
  const before = released.at(-1)?.session ?? session;
  const ended: Session = { ...before, status: "ended", endedReason: reason, endedAt: at, updatedAt: at };
  return [...released, { type: "session.ended", session: ended }];
}

export function decideUpdate(
  session: Session,
  body: {
    title?: string | undefined;
    idleTimeout?: number | null | undefined;
    summaryRecipients?: readonly string[] | undefined;
  },
  at: string,
): Step[] {
  const changes: string[] = [];
  let next: Session = session;
  if (body.summaryRecipients !== undefined) {
    const recipients = uniqueAddresses(body.summaryRecipients);
    if (recipients.join("\n") !== (session.summaryRecipients ?? []).join("\n")) {
      const { summaryRecipients: _old, ...rest } = next;
      next = recipients.length > 0 ? { ...rest, summaryRecipients: recipients } : rest;
      changes.push("summaryRecipients");
    }
  }
  if (body.title !== undefined && body.title !== session.title) {
    next = { ...next, title: body.title };
    changes.push("title");
  }
  if (body.idleTimeout !== undefined && body.idleTimeout !== (session.idleTimeout ?? null)) {
    if (session.status === "ended") {
      throw new ConflictError(`session ${session.id} has ended; its idleTimeout no longer applies`, "session_ended");
    }
    // A new timeout counts from now, not from an utterance long ago.
    next = { ...next, idleTimeout: body.idleTimeout, lastActivityAt: at };
    changes.push("idleTimeout");
  }
  if (changes.length === 0) return [];
  return [{ type: "session.updated", session: { ...next, updatedAt: at }, data: { changes } }];
}

/**
 * Which reports are legal from which state. A report names the command it answers; one for an older
 * command is stale (409), and the same state again is a no-op (a bot's retry).
 */
const NEXT: Record<BotState, readonly ReportedBotState[]> = {
  none: [],
  requested: ["joining", "in_room", "failed", "left"],
  joining: ["in_room", "failed", "left", "leaving"],
  in_room: ["leaving", "left", "failed"],
  leaving: ["left", "failed"],
  left: [],
  failed: [],
};

export function decideBotReport(
  session: Session,
  report: { state: ReportedBotState; commandId: string; reason?: string | undefined },
  at: string,
): Step[] {
  const bot = session.bot;
  if (bot.commandId !== report.commandId) {
    throw new ConflictError(
      `command ${report.commandId} is not the bot's current command (${bot.commandId ?? "none"})`,
      "stale_command",
      { currentCommandId: bot.commandId ?? null },
    );
  }
  if (bot.state === report.state) return [];
  if (!NEXT[bot.state].includes(report.state)) {
    throw new ConflictError(`the bot cannot go from ${bot.state} to ${report.state}`, "illegal_bot_transition", {
      from: bot.state,
      to: report.state,
    });
  }
  const next: Session = {
    ...session,
    bot: {
      state: report.state,
      ...(bot.commandId !== undefined && { commandId: bot.commandId }),
      ...(report.state === "failed" && { reason: report.reason ?? "reported by the bot" }),
      updatedAt: at,
    },
    // Silence counts from the moment the bot is in the room.
    ...(report.state === "in_room" && { lastActivityAt: at }),
    updatedAt: at,
  };
  const steps: Step[] = [{ type: "session.bot.updated", session: next, data: { previousState: bot.state } }];
  if (session.status === "active" && (report.state === "failed" || report.state === "left")) {
    steps.push(...decideEnd(next, report.state === "failed" ? "bot_failed" : "bot_left", at));
  }
  return steps;
}

/** The ack deadline of a command passed with no report: the bot failed (and an active session ends). */
export function decideAckTimeout(session: Session, commandId: string, at: string): Step[] {
  const bot = session.bot;
  if (bot.commandId !== commandId || bot.ackDeadline === undefined) return [];
  if (bot.state !== "requested" && bot.state !== "leaving") return [];
  if (Date.parse(at) < Date.parse(bot.ackDeadline)) return [];
  const reason = bot.state === "requested" ? "join command not acknowledged" : "leave command not acknowledged";
  const next: Session = {
    ...session,
    bot: { state: "failed", commandId, reason, updatedAt: at },
    updatedAt: at,
  };
  const steps: Step[] = [{ type: "session.bot.updated", session: next, data: { previousState: bot.state } }];
  if (session.status === "active") {
    const ended: Session = { ...next, status: "ended", endedReason: "bot_failed", endedAt: at };
    steps.push({ type: "session.ended", session: ended });
  }
  return steps;
}

/** When the idle deadline falls: the last activity plus idleTimeout; undefined when it never does. */
export function idleDeadline(session: Session): string | undefined {
  if (session.status !== "active" || !session.idleTimeout) return undefined;
  if (!botWanted(session)) return undefined;
  const from = session.lastActivityAt ?? session.createdAt;
  return new Date(Date.parse(from) + session.idleTimeout * 1000).toISOString();
}

/**
 * The idle deadline fired: end the session if it has been silent for idleTimeout, or tell the caller when
 * to look again (the deadline moved with later utterances; the schedule is re-armed, not written per message).
 */
export function decideIdle(session: Session, at: string): { steps: Step[]; rearmAt?: string } {
  const deadline = idleDeadline(session);
  if (!deadline) return { steps: [] };
  if (Date.parse(at) < Date.parse(deadline)) return { steps: [], rearmAt: deadline };
  return { steps: decideEnd(session, "idle", at) };
}

/** Pure: the commit of a session's steps (versions stamped from `expectedVersion`). */
/**
 * Events that carry only what they add (a meeting has thousands): they advance the session's version and
 * nothing else, but for `message.created`'s count and activity time, which a watcher folds in.
 */
export const CARRY_NO_SESSION: ReadonlySet<string> = new Set([
  "message.created",
  "message.annotation.created",
  "session.annotation.created",
]);

export function sessionCommit(
  expectedVersion: number,
  steps: Step[],
  actor: Actor,
  more: Pick<CommitRequest, "puts" | "deletes"> & { root?: Record<string, unknown> } = {},
): CommitRequest {
  if (steps.length === 0) throw new Error("a session commit needs at least one step");
  const stamped = steps.map((step, i) => ({ ...step, session: { ...step.session, version: expectedVersion + i + 1 } }));
  const final = stamped.at(-1)!.session;
  const { version: _version, ...attributes } = final;
  return {
    aggregate: { type: "session", id: final.id, projectId: final.projectId, tenantId: final.tenantId },
    expectedVersion,
    root: { ...attributes, kind: "session", ...sessionListKeys(final, final.id), ...more.root },
    ...(more.puts && { puts: more.puts }),
    ...(more.deletes && { deletes: more.deletes }),
    events: stamped.map((step) => ({
      type: step.type,
      data: CARRY_NO_SESSION.has(step.type) ? step.data : { session: step.session, ...step.data },
      actor,
    })),
  };
}

/** The commit that creates a session (to be written atomically with whatever started it). */
export function sessionCreation(session: Session, actor: Actor, autoStart = true): CommitRequest {
  return sessionCommit(0, decideCreate(session, autoStart), actor);
}

/** The commit that ends an active session with its gathering; undefined when it has already ended. */
export function sessionEnding(session: Session, actor: Actor, at: string): CommitRequest | undefined {
  const steps = decideEnd(session, "gathering_ended", at);
  return steps.length === 0 ? undefined : sessionCommit(session.version, steps, actor);
}
