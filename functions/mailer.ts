import middy from "@middy/core";
import type { EventBridgeEvent } from "aws-lambda";
import {
  eventRetentionSecondsFromEnv,
  mailerFromEnv,
  mailingConfigFromEnv,
  storeFromEnv,
} from "../shared/adapters/aws/environment.js";
import { EventEnvelopeSchema } from "../shared/kernel/envelope.js";
import { mailForEvent, type MailingDeps } from "../shared/consumers/mailing.js";
import { systemClock } from "../shared/kernel/clock.js";
import { createLogger } from "../shared/kernel/logger.js";

const logger = createLogger({ function: "mailer" });
const deps: MailingDeps = {
  store: storeFromEnv(),
  clock: systemClock,
  eventRetentionSeconds: eventRetentionSecondsFromEnv(),
  mailer: mailerFromEnv(),
  mail: mailingConfigFromEnv(),
};

/** Rule target: invitation, update and cancellation emails (SES v2, raw MIME with the .ics). */
export const handler = middy<EventBridgeEvent<string, unknown>, void>().handler(async (event) => {
  const envelope = EventEnvelopeSchema.parse(event.detail);
  const outcome = await mailForEvent(deps, envelope);
  logger.info("mail", { eventId: envelope.id, type: envelope.type, outcome });
});
