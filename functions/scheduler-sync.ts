import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { schedulerFromEnv } from "../shared/adapters/aws/eventbridge-scheduler.js";
import { onDomainEvent } from "../shared/adapters/lambda/domain-event.js";
import { syncSchedules } from "../shared/domain/scheduling/schedules.js";
import { currentSession, syncSessionSchedules } from "../shared/domain/scheduling/session-deadlines.js";
import { currentGathering } from "../shared/domain/scheduling/target.js";
import { systemClock } from "../shared/kernel/clock.js";
import { aggregateIdOf } from "../shared/kernel/envelope.js";

const store = storeFromEnv();
const scheduler = schedulerFromEnv();

/** Rule target for lifecycle events: the one-time schedules made to match the aggregate as it is now
 * (re-read, so reordered or repeated events converge). */
export const handler = onDomainEvent("scheduler-sync", async (envelope) => {
  if (envelope.resource.startsWith("session:")) {
    const sessionId = aggregateIdOf(envelope, "session");
    const session = await currentSession({ store }, envelope, sessionId);
    return { sessionId, done: await syncSessionSchedules(scheduler, session, sessionId, systemClock.now()) };
  }
  const gatheringId = aggregateIdOf(envelope, "gathering");
  const gathering = await currentGathering({ store }, envelope, gatheringId);
  return { gatheringId, done: await syncSchedules(scheduler, gathering, gatheringId) };
});
