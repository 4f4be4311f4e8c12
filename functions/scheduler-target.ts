import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { schedulerFromEnv } from "../shared/adapters/aws/eventbridge-scheduler.js";
import { eventRetentionSecondsFromEnv } from "../shared/adapters/aws/settings.js";
import { onInvoke } from "../shared/adapters/lambda/kit.js";
import { isSessionScheduleInput, type ScheduleInput } from "../shared/domain/scheduling/schedules.js";
import { runSessionDeadline } from "../shared/domain/scheduling/session-deadlines.js";
import { runScheduledAction } from "../shared/domain/scheduling/target.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps = { store: storeFromEnv(), clock: systemClock, eventRetentionSeconds: eventRetentionSecondsFromEnv() };
const scheduler = schedulerFromEnv();

/** Invoked by EventBridge Scheduler: a gathering's startsAt / endsAt, or a session's idle or ack deadline. */
export const handler = onInvoke<ScheduleInput>("scheduler-target", async (input, { logger }) => {
  if (isSessionScheduleInput(input)) {
    logger.appendKeys({ projectId: input.projectId, resource: `session:${input.sessionId}`, action: input.action });
    return { result: await runSessionDeadline({ ...deps, scheduler }, input) };
  }
  logger.appendKeys({ projectId: input.projectId, resource: `gathering:${input.gatheringId}`, action: input.action });
  return { result: await runScheduledAction(deps, input) };
});
