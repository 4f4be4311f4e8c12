import type { Gathering } from "../gatherings/model.js";

/**
 * Which one-time schedules a gathering should have, as a pure function of its current state. The sync
 * consumer makes the scheduler match it (create/update what should exist, delete the rest), so replayed
 * or reordered events converge on the same result.
 *
 * An appointment with autoStartSession gets `start` at startsAt (while scheduled) and `end` at endsAt
 * (while scheduled or started); nothing else is scheduled.
 */
export type ScheduledAction = "start" | "end";

export interface GatheringScheduleInput {
  action: ScheduledAction;
  tenantId: string;
  projectId: string;
  gatheringId: string;
  /** The time the schedule was set for; the target acts only if the gathering still says so. */
  at: string;
}

/**
 * A session's deadlines: `idle` (re-armed lazily by its target, never per message) and `botAck` (a bot
 * command with no report by its ack deadline fails the bot).
 */
export interface SessionScheduleInput {
  action: "idle" | "botAck";
  tenantId: string;
  projectId: string;
  sessionId: string;
  at: string;
  /** botAck: the command whose acknowledgement is awaited. */
  commandId?: string;
}

export type ScheduleInput = GatheringScheduleInput | SessionScheduleInput;

export function isSessionScheduleInput(input: ScheduleInput): input is SessionScheduleInput {
  return input.action === "idle" || input.action === "botAck";
}

export interface DesiredSchedule {
  name: string;
  at: string;
  input: ScheduleInput;
  /**
   * Keep the schedule after it runs (ActionAfterCompletion NONE) instead of deleting it: for a deadline its
   * own target may move (re-arm) while it runs — a delete after the run would drop the re-armed time. Such
   * schedules are deleted by the sync consumer when their aggregate no longer wants them.
   */
  keepAfterRun?: boolean;
}

export function scheduleName(gatheringId: string, action: ScheduledAction): string {
  return `${gatheringId}-${action}`;
}

export function desiredSchedules(gathering: Gathering): Record<ScheduledAction, DesiredSchedule | undefined> {
  const base = { tenantId: gathering.tenantId, projectId: gathering.projectId, gatheringId: gathering.id };
  const wanted = (action: ScheduledAction, at: string | undefined, when: boolean): DesiredSchedule | undefined =>
    when && at ? { name: scheduleName(gathering.id, action), at, input: { ...base, action, at } } : undefined;
  const auto = gathering.type === "appointment" && gathering.autoStartSession;
  return {
    start: wanted("start", gathering.startsAt, auto && gathering.status === "scheduled"),
    end: wanted("end", gathering.endsAt, auto && (gathering.status === "scheduled" || gathering.status === "started")),
  };
}

/**
 * `at()` wants `yyyy-mm-ddThh:mm:ss` (no zone; the schedule's time zone is UTC). A time with milliseconds
 * is rounded up to the next second, so a schedule never fires before its time.
 */
export function atExpression(iso: string): string {
  const ms = Date.parse(iso);
  return `at(${new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19)})`;
}

/** The scheduler port: one-time schedules by deterministic name in one group. */
export interface SchedulerPort {
  /** Creates or fully replaces the schedule. */
  put(schedule: DesiredSchedule): Promise<void>;
  /** Deletes it; a schedule that does not exist is already deleted. */
  delete(name: string): Promise<void>;
}

/** Makes the scheduler match a gathering; `undefined` means the gathering is gone (its schedules go too). */
export async function syncSchedules(scheduler: SchedulerPort, gathering: Gathering | undefined, gatheringId: string) {
  const desired = gathering ? desiredSchedules(gathering) : { start: undefined, end: undefined };
  const done: Array<[ScheduledAction, "put" | "deleted"]> = [];
  for (const action of ["start", "end"] as const) {
    const schedule = desired[action];
    if (schedule) await scheduler.put(schedule);
    else await scheduler.delete(scheduleName(gatheringId, action));
    done.push([action, schedule ? "put" : "deleted"]);
  }
  return done;
}
