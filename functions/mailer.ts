import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { mailerFromEnv } from "../shared/adapters/aws/ses-mailer.js";
import { eventRetentionSecondsFromEnv, mailingConfigFromEnv } from "../shared/adapters/aws/settings.js";
import { onDomainEvent } from "../shared/adapters/lambda/domain-event.js";
import { mailForEvent, type MailingDeps } from "../shared/consumers/mailing.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps: MailingDeps = {
  store: storeFromEnv(),
  clock: systemClock,
  eventRetentionSeconds: eventRetentionSecondsFromEnv(),
  mailer: mailerFromEnv(),
  mail: mailingConfigFromEnv(),
};

/** Rule target: invitation, update and cancellation emails (SES v2, raw MIME with the .ics). */
export const handler = onDomainEvent("mailer", async (envelope) => ({ outcome: await mailForEvent(deps, envelope) }));
