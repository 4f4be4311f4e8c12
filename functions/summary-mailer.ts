import { storeFromEnv } from "../shared/adapters/aws/dynamodb-store.js";
import { mailerFromEnv } from "../shared/adapters/aws/ses-mailer.js";
import { eventRetentionSecondsFromEnv, summaryMailingConfigFromEnv } from "../shared/adapters/aws/settings.js";
import { onDomainEvent } from "../shared/adapters/lambda/domain-event.js";
import { mailSummaryForEvent, type SummaryMailingDeps } from "../shared/consumers/summary-mailing.js";
import { systemClock } from "../shared/kernel/clock.js";

const deps: SummaryMailingDeps = {
  store: storeFromEnv(),
  clock: systemClock,
  eventRetentionSeconds: eventRetentionSecondsFromEnv(),
  mailer: mailerFromEnv(),
  mail: summaryMailingConfigFromEnv(),
};

/** Rule target: a session's end-of-meeting annotations → the summary email to its gathering's invitations. */
export const handler = onDomainEvent("summary-mailer", async (envelope) => mailSummaryForEvent(deps, envelope));
