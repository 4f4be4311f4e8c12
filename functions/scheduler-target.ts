import { eventRetentionSecondsFromEnv, storeFromEnv } from "../shared/adapters/aws/environment.js";
import { onInvoke } from "../shared/adapters/lambda/kit.js";
import type { ScheduleInput } from "../shared/domain/scheduling/schedules.js";
import { runScheduledAction } from "../shared/domain/scheduling/target.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps = { store: storeFromEnv(), clock: systemClock, eventRetentionSeconds: eventRetentionSecondsFromEnv() };

/** Invoked by EventBridge Scheduler at startsAt / endsAt with the schedule's input. */
export const handler = onInvoke<ScheduleInput>("scheduler-target", async (input, { logger }) => {
  logger.appendKeys({ projectId: input.projectId, resource: `gathering:${input.gatheringId}`, action: input.action });
  return { result: await runScheduledAction(deps, input) };
});
