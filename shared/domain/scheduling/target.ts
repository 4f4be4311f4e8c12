import { ConflictError, NotFoundError, PreconditionFailedError, VersionConflictError } from "../../kernel/errors.js";
import type { GatheringDeps } from "../gatherings/executor.js";
import type { Gathering } from "../gatherings/model.js";
import { getGathering, startGathering, endGathering } from "../gatherings/service.js";
import type { Scope } from "../../kernel/tenancy.js";
import type { GatheringScheduleInput } from "./schedules.js";

/** How often a fired schedule re-reads and tries again when the gathering changed under it. */
export const SCHEDULED_ACTION_ATTEMPTS = 5;

/**
 * The gathering as it is now, or undefined when it no longer exists. Only "not found" means gone: any
 * other failure (throttling, a network error) is thrown, so the caller is retried instead of concluding
 * that the gathering was deleted.
 */
export async function currentGathering(
  deps: Pick<GatheringDeps, "store">,
  scope: Scope,
  gatheringId: string,
): Promise<Gathering | undefined> {
  try {
    return await getGathering(deps, scope, gatheringId);
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  }
}

/**
 * What a fired schedule does. It re-reads the gathering and acts only if the gathering still asks for it
 * (same time, right status): a schedule left over from before a reschedule or a cancel does nothing.
 */
export async function runScheduledAction(
  deps: GatheringDeps,
  input: GatheringScheduleInput,
  attempt = 1,
): Promise<"started" | "ended" | "stale"> {
  const scope = { tenantId: input.tenantId, projectId: input.projectId };
  const ctx = { ...scope, actor: { type: "schedule" as const, id: `${input.gatheringId}-${input.action}` } };
  const gathering = await currentGathering(deps, scope, input.gatheringId);
  if (!gathering) return "stale";
  try {
    if (input.action === "start") {
      if (gathering.status !== "scheduled" || gathering.startsAt !== input.at) return "stale";
      await startGathering(deps, ctx, gathering.id, { autoStartSession: true }, { ifMatch: gathering.version });
      return "started";
    }
    if (gathering.status !== "started" || gathering.endsAt !== input.at) return "stale";
    await endGathering(deps, ctx, gathering.id, { ifMatch: gathering.version });
    return "ended";
  } catch (error) {
    // Someone changed the gathering between our read and our write: re-evaluate from the top, a bounded
    // number of times; past that the invocation fails and the Scheduler's own retry policy takes over.
    const changed =
      error instanceof ConflictError ||
      error instanceof VersionConflictError ||
      error instanceof PreconditionFailedError;
    if (changed && attempt < SCHEDULED_ACTION_ATTEMPTS) return runScheduledAction(deps, input, attempt + 1);
    throw error;
  }
}
