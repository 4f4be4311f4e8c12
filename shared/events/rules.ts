import type { FunctionEntry } from "../kernel/config.js";
import { EVENT_SOURCE } from "../kernel/envelope.js";
import type { EventType } from "./catalog.js";
import { BOT_COMMAND_EVENT_TYPES } from "../domain/sessions/events.js";

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
} as const;

/** Rules whose target is a queue (EventBridge → SQS on AWS; the local bus sends to the local SQS). */
export interface QueueRuleDefinition {
  id: string;
  queue: keyof typeof QUEUES;
  description: string;
  pattern: RuleDefinition["pattern"];
}

export const QUEUE_RULES: readonly QueueRuleDefinition[] = [
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
    description: "Every gathering, session and message event, into the project activity log.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": [{ prefix: "gathering." }, { prefix: "session." }, { prefix: "message." }],
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
    description: "Every gathering, session and message event, to the project's webhook endpoints.",
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": [{ prefix: "gathering." }, { prefix: "session." }, { prefix: "message." }],
    },
  },
];
