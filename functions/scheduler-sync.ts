import middy from "@middy/core";
import type { EventBridgeEvent } from "aws-lambda";
import { schedulerFromEnv, storeFromEnv } from "../shared/adapters/aws/environment.js";
import { EventEnvelopeSchema } from "../shared/kernel/envelope.js";
import { createLogger } from "../shared/kernel/logger.js";
import { syncSchedules } from "../shared/domain/scheduling/schedules.js";
import { currentGathering } from "../shared/domain/scheduling/target.js";

const logger = createLogger({ function: "scheduler-sync" });
const store = storeFromEnv();
const scheduler = schedulerFromEnv();

/**
 * Rule target for gathering lifecycle events: makes the one-time schedules match the gathering as it is
 * now (re-read, so reordered or repeated events converge).
 */
export const handler = middy<EventBridgeEvent<string, unknown>, void>().handler(async (event) => {
  const envelope = EventEnvelopeSchema.parse(event.detail);
  const gatheringId = envelope.resource.replace(/^gathering:/, "");
  const scope = { tenantId: envelope.tenantId, projectId: envelope.projectId };
  const gathering = await currentGathering({ store }, scope, gatheringId);
  const done = await syncSchedules(scheduler, gathering, gatheringId);
  logger.info("schedules synced", { eventId: envelope.id, gatheringId, done });
});
