import middy from "@middy/core";
import { eventRetentionSecondsFromEnv, storeFromEnv } from "../shared/adapters/aws/environment.js";
import { systemClock } from "../shared/kernel/clock.js";
import { createLogger } from "../shared/kernel/logger.js";
import type { ScheduleInput } from "../shared/domain/scheduling/schedules.js";
import { runScheduledAction } from "../shared/domain/scheduling/target.js";

const logger = createLogger({ function: "scheduler-target" });
const deps = { store: storeFromEnv(), clock: systemClock, eventRetentionSeconds: eventRetentionSecondsFromEnv() };

/** Invoked by EventBridge Scheduler at startsAt / endsAt with the schedule's input. */
export const handler = middy<ScheduleInput, void>().handler(async (input) => {
  const result = await runScheduledAction(deps, input);
  logger.info("scheduled action", { action: input.action, gatheringId: input.gatheringId, result });
});
