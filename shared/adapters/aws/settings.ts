import { DEFAULT_REPLAY_WINDOW_DAYS, ENV, numberEnv, optionalEnv, requiredEnv } from "../../kernel/config.js";
import type { MailingConfig } from "../../consumers/mailing.js";
import type { SummaryMailingConfig } from "../../consumers/summary-mailing.js";
import type { WebhookConfig } from "../../consumers/webhooks/service.js";

/** The functions' settings from their environment (no SDK; the adapters' factories are beside them). */
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
