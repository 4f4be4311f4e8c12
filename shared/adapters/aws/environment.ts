import type { ApiDeps } from "../../app/http/api.js";
import { systemClock } from "../../kernel/clock.js";
import { DEFAULT_REPLAY_WINDOW_DAYS, ENV, numberEnv, optionalEnv, requiredEnv } from "../../kernel/config.js";
import type { MailingConfig } from "../../consumers/mailing.js";
import type { SummaryMailingConfig } from "../../consumers/summary-mailing.js";
import type { WebhookConfig } from "../../consumers/webhooks/service.js";
import { EventBridgeScheduler } from "./eventbridge-scheduler.js";
import { SesMailer } from "./ses-mailer.js";
import { SqsDeliveryQueue } from "./sqs-delivery-queue.js";
import { SqsBackoff } from "./sqs-backoff.js";
import { PLUGIN_RETRY_DELAYS_SECONDS } from "../../events/rules.js";
import { DynamoDbStore } from "./dynamodb-store.js";
import { S3DebugAudioStore } from "./s3-debug-audio.js";

/**
 * What every function builds from its environment at cold start (fail-fast). The AWS SDK clients take
 * their endpoints from the standard AWS configuration (region, AWS_ENDPOINT_URL_*), which is how the
 * same code talks to DynamoDB on AWS and to DynamoDB Local on one machine.
 */
export function storeFromEnv(): DynamoDbStore {
  return new DynamoDbStore({ tableName: requiredEnv(ENV.tableName) });
}

export function eventRetentionSecondsFromEnv(): number {
  return numberEnv(ENV.replayWindowDays, DEFAULT_REPLAY_WINDOW_DAYS) * 24 * 3600;
}

/** Webhook delivery rules. Private and plain-http targets are refused unless explicitly allowed (locally). */
export function webhookConfigFromEnv(): WebhookConfig {
  return {
    allowPrivate: optionalEnv(ENV.webhookAllowPrivateTargets, "false") === "true",
    allowHttp: optionalEnv(ENV.webhookAllowHttp, "false") === "true",
    retryScale: numberEnv(ENV.webhookRetryScale, 1),
    timeoutMs: 15_000,
  };
}

export function deliveryQueueFromEnv(): SqsDeliveryQueue {
  return new SqsDeliveryQueue(requiredEnv(ENV.webhookQueueUrl));
}

/** `MAIL_FROM` is `Name <address>` or a bare address; the configuration set is optional. */
function senderFromEnv(): { from: MailingConfig["from"]; configurationSet?: string } {
  const from = requiredEnv(ENV.mailFrom);
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(from);
  const configurationSet = optionalEnv(ENV.sesConfigurationSet, "");
  return {
    from: match ? { name: match[1]!, email: match[2]! } : { email: from.trim() },
    ...(configurationSet && { configurationSet }),
  };
}

export function mailingConfigFromEnv(): MailingConfig {
  return { ...senderFromEnv(), publicBaseUrl: requiredEnv(ENV.publicBaseUrl) };
}

/** The sender of the summary email (it has no RSVP links, so no public URL). */
export function summaryMailingConfigFromEnv(): SummaryMailingConfig {
  return senderFromEnv();
}

export function mailerFromEnv(): SesMailer {
  return new SesMailer();
}

export function schedulerFromEnv(): EventBridgeScheduler {
  return new EventBridgeScheduler({
    groupName: requiredEnv(ENV.scheduleGroupName),
    roleArn: requiredEnv(ENV.schedulerRoleArn),
    targetArn: requiredEnv(ENV.schedulerTargetArn),
  });
}

export function debugAudioFromEnv(): S3DebugAudioStore {
  return new S3DebugAudioStore(requiredEnv(ENV.debugAudioBucket), {
    forcePathStyle: optionalEnv(ENV.s3ForcePathStyle, "false") === "true",
  });
}

/** What the API operations need (the HTTP function, and the in-process API of user functions). */
export function apiDepsFromEnv(): ApiDeps {
  return {
    store: storeFromEnv(),
    clock: systemClock,
    eventRetentionSeconds: eventRetentionSecondsFromEnv(),
    webhooks: { queue: deliveryQueueFromEnv(), config: webhookConfigFromEnv() },
    audio: debugAudioFromEnv(),
  };
}

/** Backoff for a plugin's failed records (its queue's retry delays, scaled). */
export function pluginBackoffFromEnv(): SqsBackoff {
  return new SqsBackoff(PLUGIN_RETRY_DELAYS_SECONDS, numberEnv(ENV.pluginRetryScale, 1));
}
