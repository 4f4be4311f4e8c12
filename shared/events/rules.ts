import type { FunctionEntry } from "../kernel/config.js";
import { EVENT_SOURCE } from "../kernel/envelope.js";
import type { EventType } from "./catalog.js";
import { BOT_COMMAND_EVENT_TYPES } from "../domain/sessions/events.js";
import type { PluginId } from "../domain/plugins/model.js";

/**
 * Which consumer hears which events: the EventBridge rules, defined once. The CDK stack creates one
 * rule per entry targeting the consumer's function; the local router evaluates the same patterns and
 * invokes the same handler module.
 *
 * Patterns use the EventBridge pattern language; the local router supports exact values, `prefix`,
 * `wildcard` and `anything-but` (see local/eventbridge/pattern.ts), and rejects anything else at start.
 */
export interface ConsumerDefinition {
  /** Function entry under functions/; its timeout, memory and retries are in FUNCTIONS (kernel/config.ts). */
  entry: FunctionEntry;
  description: string;
}

/** A detail-type matcher: an event of the catalog, or a prefix that must match at least one (tested). */
export type DetailTypeMatcher = EventType | { prefix: string };

export interface RuleDefinition {
  /** Stable rule id (CDK construct id and local rule name). */
  id: string;
  consumer: keyof typeof CONSUMERS;
  description: string;
  /** An EventBridge pattern; `detail-type` is typed by the catalog, so a rule on an unknown event fails to compile. */
  pattern: { source: string[]; "detail-type": DetailTypeMatcher[]; detail?: Record<string, unknown> };
}

/** The events the mailer acts on (shared/consumers/mailing.ts maps each to the email it calls for). */
export const MAIL_EVENT_TYPES = [
  "gathering.invitation.created",
  "gathering.updated",
  "gathering.cancelled",
] as const satisfies readonly EventType[];

export const CONSUMERS = {
  activityRecorder: {
    entry: "activity-recorder",
    description: "Records every domain event once in the project's activity log (audit trail).",
  },
  mailer: {
    entry: "mailer",
    description: "Emails invitations, updates and cancellations (SES v2, .ics attached).",
  },
  summaryMailer: {
    entry: "summary-mailer",
    description: "Emails a gathering's invitations the summary and action items of its ended session (SES v2).",
  },
  schedulerSync: {
    entry: "scheduler-sync",
    description: "Keeps the one-time schedules of appointments and sessions (idle, bot acknowledgement) in step.",
  },
  webhookFanout: {
    entry: "webhook-fanout",
    description: "Queues one webhook delivery per matching endpoint.",
  },
} as const satisfies Record<string, ConsumerDefinition>;

/** Functions invoked by EventBridge Scheduler (targets of one-time schedules). */
export const SCHEDULE_TARGET = { entry: "scheduler-target" } as const;

/**
 * A plugin's queue: EventBridge → SQS → its function in batches (one engine call per batch), a failed
 * record retried with backoff (`PLUGIN_RETRY_DELAYS_SECONDS`) and dead-lettered after `maxReceiveCount`
 * receives, so one poisoned event never holds up the rest. Its visibility timeout covers its function's.
 */
function pluginQueue<E extends "plugin-profanity" | "plugin-sentiment" | "plugin-summary" | "plugin-action-items">(
  entry: E,
  description: string,
  batchSize: number,
  visibilityTimeoutSeconds: number,
) {
  return {
    name: entry,
    entry,
    description,
    batchSize,
    visibilityTimeoutSeconds,
    maxReceiveCount: PLUGIN_RETRY_DELAYS_SECONDS.length + 1,
    deliveryRetryAttempts: 8,
  } as const;
}

/** A plugin's failed record becomes visible again after these delays (then its dead-letter queue). */
export const PLUGIN_RETRY_DELAYS_SECONDS = [5, 30, 120] as const;

/** Queues with a consumer function (an SQS event-source mapping on AWS, the local SQS locally). */
export const QUEUES = {
  webhookDeliveries: {
    name: "webhook-deliveries",
    entry: "webhook-deliver",
    description: "Webhook delivery attempts (one per message; retries are delayed messages).",
    batchSize: 10,
    /** Longer than the consumer's timeout (10 deliveries × 15 s at worst run in parallel). */
    visibilityTimeoutSeconds: 120,
    /** Receives before a message is dead-lettered (only infrastructure failures fail a message). */
    maxReceiveCount: 5,
  },
  /**
   * The bot command queue: consumed by a bot fleet outside this stack (no function here). Each message body
   * is the envelope of a `session.bot.requested` (join) or `session.bot.released` (leave) event; the
   * command is its `data.command` (BotCommand in the OpenAPI document). A bot deletes a message once it
   * has reported on the command (POST …/sessions/{id}/bot); an unreported command is failed by the backend
   * after its `ackDeadline`, so a message older than that is stale and may be dropped.
   */
  botCommands: {
    name: "bot-commands",
    description: "Join/leave commands for the bot fleet (body: the event envelope; data.command).",
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 5,
    /** A command is worth nothing after its ack deadline; keep them an hour for inspection. */
    retentionSeconds: 3600,
    /** The queue rules' target: EventBridge's retries when the queue cannot be reached (the local bus too). */
    deliveryRetryAttempts: 8,
  },
  pluginProfanity: pluginQueue("plugin-profanity", "Utterances to check for profanity.", 10, 60),
  pluginSentiment: pluginQueue("plugin-sentiment", "Utterances to score, and ended sessions to roll up.", 10, 120),
  pluginSummary: pluginQueue("plugin-summary", "Ended sessions and minutes requests to summarize.", 5, 240),
  pluginActionItems: pluginQueue("plugin-action-items", "Ended sessions and requests for action items.", 5, 240),
} as const;

/** Which plugin each plugin queue runs. */
export const PLUGIN_QUEUES = {
  profanity: "pluginProfanity",
  sentiment: "pluginSentiment",
  summary: "pluginSummary",
  action_items: "pluginActionItems",
} as const satisfies Record<PluginId, keyof typeof QUEUES>;

/** Rules whose target is a queue (EventBridge → SQS on AWS; the local bus sends to the local SQS). */
export interface QueueRuleDefinition {
  id: string;
  queue: keyof typeof QUEUES;
  description: string;
  pattern: RuleDefinition["pattern"];
}

/** Utterances only: system messages (joins, leaves) are not annotated. */
const utterances = { data: { message: { type: ["user"] } } };
const actionsOf = (pluginId: PluginId) => ({ data: { action: { pluginId: [pluginId] } } });

export const QUEUE_RULES: readonly QueueRuleDefinition[] = [
  {
    id: "plugin-profanity-messages",
    queue: "pluginProfanity",
    description: "Each utterance, to the profanity plugin.",
    pattern: { source: [EVENT_SOURCE], "detail-type": ["message.created"], detail: utterances },
  },
  {
    id: "plugin-sentiment-messages",
    queue: "pluginSentiment",
    description: "Each utterance, to the sentiment plugin.",
    pattern: { source: [EVENT_SOURCE], "detail-type": ["message.created"], detail: utterances },
  },
  {
    id: "plugin-sentiment-sessions",
    queue: "pluginSentiment",
    description: "Ended sessions, to the sentiment plugin (the meeting's roll-up).",
    pattern: { source: [EVENT_SOURCE], "detail-type": ["session.ended"] },
  },
  {
    id: "plugin-summary-sessions",
    queue: "pluginSummary",
    description: "Ended sessions, to the summary plugin.",
    pattern: { source: [EVENT_SOURCE], "detail-type": ["session.ended"] },
  },
  {
    id: "plugin-summary-actions",
    queue: "pluginSummary",
    description: "The summary plugin's actions (Generate minutes, regenerateSummary()).",
    pattern: { source: [EVENT_SOURCE], "detail-type": ["session.action.requested"], detail: actionsOf("summary") },
  },
  {
    id: "plugin-action-items-sessions",
    queue: "pluginActionItems",
    description: "Ended sessions, to the action-items plugin.",
    pattern: { source: [EVENT_SOURCE], "detail-type": ["session.ended"] },
  },
  {
    id: "plugin-action-items-actions",
    queue: "pluginActionItems",
    description: "The action-items plugin's actions.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": ["session.action.requested"],
      detail: actionsOf("action_items"),
    },
  },
  {
    id: "bot-commands",
    queue: "botCommands",
    description: "Bot join/leave commands, to the bot command queue.",
    pattern: { source: [EVENT_SOURCE], "detail-type": [...BOT_COMMAND_EVENT_TYPES] },
  },
];

export const RULES: readonly RuleDefinition[] = [
  {
    id: "activity",
    consumer: "activityRecorder",
    description: "Every gathering, session, message and key event, into the project activity log.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": [{ prefix: "gathering." }, { prefix: "session." }, { prefix: "message." }, { prefix: "key." }],
    },
  },
  {
    id: "mail",
    consumer: "mailer",
    description: "New invitations, rescheduled and cancelled gatherings: emails to invitees.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": [...MAIL_EVENT_TYPES],
    },
  },
  {
    id: "summary-mail",
    consumer: "summaryMailer",
    description: "The annotations written when a session ends: its summary email, once they are all there.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": ["session.annotation.created"],
      // Not the annotations of actions (Generate minutes): only the end of the meeting sends the email.
      detail: { data: { annotation: { trigger: { kind: ["session.ended"] }, type: ["summary", "action_items"] } } },
    },
  },
  {
    id: "schedules",
    consumer: "schedulerSync",
    description: "Lifecycle changes that move, create or remove an appointment's schedules.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": [
        "gathering.created",
        "gathering.updated",
        "gathering.started",
        "gathering.ended",
        "gathering.cancelled",
      ],
      // Only appointments have schedules: lobbies and open spaces never reach the function.
      detail: { data: { gathering: { type: ["appointment"] } } },
    },
  },
  {
    id: "session-schedules",
    consumer: "schedulerSync",
    description: "Session lifecycle and bot changes: the idle deadline and the bot's acknowledgement deadline.",
    pattern: {
      source: [EVENT_SOURCE],
      // Not message.created: the idle deadline is re-armed lazily by its target, never per message.
      "detail-type": [
        "session.created",
        "session.updated",
        "session.ended",
        "session.deleted",
        "session.bot.requested",
        "session.bot.released",
        "session.bot.updated",
      ],
    },
  },
  {
    id: "webhooks",
    consumer: "webhookFanout",
    description: "Every gathering, session, message and key event, to the project's webhook endpoints.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": [{ prefix: "gathering." }, { prefix: "session." }, { prefix: "message." }, { prefix: "key." }],
    },
  },
];
