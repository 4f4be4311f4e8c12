import { NotFoundError } from "../../kernel/errors.js";
import type { Scope } from "../../kernel/tenancy.js";
import type { Session } from "../sessions/model.js";
import { executeSession, loadSession, timeoutBotCommand, type SessionDeps } from "../sessions/service.js";
import { decideIdle, idleDeadline } from "../sessions/session.js";
import { latestUtteranceAt } from "../sessions/messages.js";
import type { DesiredSchedule, SchedulerPort, SessionScheduleInput } from "./schedules.js";

/**
 * A session's one-time schedules. The sync consumer makes them match the session after each lifecycle
 * or bot event (never after a message); the idle target re-arms its own schedule when utterances moved
 * the deadline. So schedule writes grow with idle windows and lifecycle changes, not with messages.
 */
type SessionAction = SessionScheduleInput["action"];

export function sessionScheduleName(sessionId: string, action: SessionAction): string {
  return `${sessionId}-${action === "idle" ? "idle" : "bot-ack"}`;
}

/** A schedule is never set in the past (a deadline already due fires a second from now). */
function notBefore(at: string, now: Date): string {
  const soonest = now.getTime() + 1000;
  return Date.parse(at) < soonest ? new Date(soonest).toISOString() : at;
}

export function desiredSessionSchedules(
  session: Session,
  now: Date,
): Record<SessionAction, DesiredSchedule | undefined> {
  const base = { tenantId: session.tenantId, projectId: session.projectId, sessionId: session.id };
  const idle = idleDeadline(session);
  const bot = session.bot;
  const awaiting = (bot.state === "requested" || bot.state === "leaving") && bot.ackDeadline && bot.commandId;
  return {
    // Kept after they run: the idle target re-arms its own schedule while it runs, and the sync deletes
    // both once the session no longer wants them.
    idle: idle
      ? {
          name: sessionScheduleName(session.id, "idle"),
          at: notBefore(idle, now),
          input: { ...base, action: "idle", at: idle },
          keepAfterRun: true,
        }
      : undefined,
    botAck: awaiting
      ? {
          name: sessionScheduleName(session.id, "botAck"),
          at: notBefore(bot.ackDeadline!, now),
          input: { ...base, action: "botAck", at: bot.ackDeadline!, commandId: bot.commandId! },
          keepAfterRun: true,
        }
      : undefined,
  };
}

/** Makes the scheduler match a session; `undefined` means the session is gone (its schedules go too). */
export async function syncSessionSchedules(
  scheduler: SchedulerPort,
  session: Session | undefined,
  sessionId: string,
  now: Date,
) {
  const desired = session ? desiredSessionSchedules(session, now) : { idle: undefined, botAck: undefined };
  const done: Array<[SessionAction, "put" | "deleted"]> = [];
  for (const action of ["idle", "botAck"] as const) {
    const schedule = desired[action];
    if (schedule) await scheduler.put(schedule);
    else await scheduler.delete(sessionScheduleName(sessionId, action));
    done.push([action, schedule ? "put" : "deleted"]);
  }
  return done;
}

export async function currentSession(deps: Pick<SessionDeps, "store">, scope: Scope, id: string) {
  try {
    return await loadSession(deps.store, scope, id);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * A session deadline fired. Idle: end the session if it has been silent for idleTimeout, or re-arm the
 * schedule at the deadline later utterances moved it to. botAck: fail the bot if the command is still
 * unanswered. A deadline of a session that moved on does nothing.
 */
export async function runSessionDeadline(
  deps: SessionDeps & { scheduler: SchedulerPort },
  input: SessionScheduleInput,
): Promise<"ended" | "rearmed" | "failed" | "stale"> {
  const scope = { tenantId: input.tenantId, projectId: input.projectId };
  const ctx = {
    ...scope,
    actor: { type: "schedule" as const, id: sessionScheduleName(input.sessionId, input.action) },
  };
  const session = await currentSession(deps, scope, input.sessionId);
  if (!session) return "stale";
  if (input.action === "botAck") {
    const outcome = await timeoutBotCommand(deps, ctx, input.sessionId, input.commandId ?? "");
    return outcome.changed ? "failed" : "stale";
  }
  // The session as the decision saw it, its activity including utterances not yet sequenced.
  let seen: Session | undefined;
  let rearm = false;
  const latest = await latestUtteranceAt(deps.store, scope, input.sessionId);
  const outcome = await executeSession(deps, ctx, input.sessionId, (current, at) => {
    const lastActivityAt = [current.lastActivityAt, latest]
      .filter((t): t is string => t !== undefined)
      .sort()
      .at(-1);
    seen = { ...current, ...(lastActivityAt && { lastActivityAt }) };
    const decision = decideIdle(seen, at);
    rearm = decision.rearmAt !== undefined;
    return decision.steps;
  });
  if (outcome.changed) return "ended";
  const now = deps.clock.now();
  const schedule = rearm && seen ? desiredSessionSchedules(seen, now).idle : undefined;
  if (!schedule) return "stale";
  // Fired before the time it was set for (the Scheduler's 60-second precision): don't ask for this minute again.
  const early = now.getTime() < Date.parse(input.at);
  await deps.scheduler.put(early ? { ...schedule, at: afterEarlyFire(schedule.at, now) } : schedule);
  return "rearmed";
}

/**
 * EventBridge Scheduler invokes anywhere in the minute of its time (60-second precision), so a deadline
 * can fire early. Re-armed for a time in the minute it already fired in, it could fire early again: the
 * next minute is asked for instead (the session then ends under a minute late, with one write).
 */
export function afterEarlyFire(at: string, now: Date): string {
  const minute = 60_000;
  if (Math.floor(Date.parse(at) / minute) > Math.floor(now.getTime() / minute)) return at;
  return new Date((Math.floor(now.getTime() / minute) + 1) * minute).toISOString();
}
