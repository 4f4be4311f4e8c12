import { ConflictError } from "../errors.js";
import type { GatheringDeps } from "../gatherings/executor.js";
import { getGathering, startGathering, endGathering } from "../gatherings/service.js";
import type { ScheduleInput } from "./schedules.js";

/**
 * What a fired schedule does. It re-reads the gathering and acts only if the gathering still asks for it
 * (same time, right status): a schedule left over from before a reschedule or a cancel does nothing.
 */
export async function runScheduledAction(
  deps: GatheringDeps,
  input: ScheduleInput,
): Promise<"started" | "ended" | "stale"> {
  const scope = { tenantId: input.tenantId, projectId: input.projectId };
  const ctx = { ...scope, actor: { type: "schedule" as const, id: `${input.gatheringId}-${input.action}` } };
  const gathering = await getGathering(deps, scope, input.gatheringId).catch(() => undefined);
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
    // Someone changed the gathering between our read and our write: re-evaluate from the top.
    if (error instanceof ConflictError || (error as Error).name === "PreconditionFailedError") {
      return runScheduledAction(deps, input);
    }
    throw error;
  }
}
