import { schedulerFromEnv, storeFromEnv } from "../shared/adapters/aws/environment.js";
import { onDomainEvent } from "../shared/adapters/lambda/domain-event.js";
import { syncSchedules } from "../shared/domain/scheduling/schedules.js";
import { currentGathering } from "../shared/domain/scheduling/target.js";
import { aggregateIdOf } from "../shared/kernel/envelope.js";

const store = storeFromEnv();
const scheduler = schedulerFromEnv();

/**
 * Rule target for gathering lifecycle events: makes the one-time schedules match the gathering as it is
 * now (re-read, so reordered or repeated events converge).
 */
export const handler = onDomainEvent("scheduler-sync", async (envelope) => {
  const gatheringId = aggregateIdOf(envelope, "gathering");
  const gathering = await currentGathering({ store }, envelope, gatheringId);
  return { gatheringId, done: await syncSchedules(scheduler, gathering, gatheringId) };
});
