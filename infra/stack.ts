import { Annotations, CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import type * as events from "aws-cdk-lib/aws-events";
import type { Construct } from "constructs";
import { EVENT_SOURCE } from "../shared/kernel/envelope.js";
import { DEFAULT_REPLAY_WINDOW_DAYS } from "../shared/kernel/config.js";
import { Api, type ApiThrottle } from "./constructs/api.js";
import { Data } from "./constructs/data.js";
import { Events } from "./constructs/events.js";
import { Mail, senderDomain } from "./constructs/mail.js";
import type { BaseEnvironment } from "./constructs/node-function.js";
import { ScheduleTarget } from "./constructs/schedule-target.js";
import { Scheduling } from "./constructs/scheduling.js";
import { UserFunctions, type UserFunctionsModule } from "./constructs/user-functions.js";
import { Webhooks } from "./constructs/webhooks.js";
import { Sessions } from "./constructs/sessions.js";
import { AWS_ENGINES, DEFAULT_BEDROCK_MODEL_ID, Plugins, type AnnotationEngines } from "./constructs/plugins.js";
import { routeQueueRules } from "./constructs/queue-rules.js";
import { Live } from "./constructs/live.js";
import { Monitoring, monitoredResources } from "./constructs/monitoring.js";
import { Docs } from "./constructs/docs.js";

/**
 * The sender used when none is configured: example.com is reserved (RFC 2606), so SES refuses to send
 * from it until the deployer sets `mailFrom` to a verified identity.
 */
export const PLACEHOLDER_MAIL_FROM = "Cortex <invitations@example.com>";

export interface CortexStackProps extends StackProps {
  /** Refuse to delete the table while on. @default true */
  deletionProtection?: boolean;
  /** How long event items stay in the table for SSE resume and replay. @default 7 days */
  replayWindowDays?: number;
  /** LOG_LEVEL of every function. @default "info" */
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Stage-wide API throttling. @default 100 requests/s, bursts of 200 */
  apiThrottle?: ApiThrottle;
  /**
   * Sender of invitation email, `Name <address>` or a bare address (context `mailFrom`). The deployer
   * must set it: the address, or its domain, has to be a verified SES identity in the stack's account
   * and region (and out of the SES sandbox to mail arbitrary recipients).
   * @default PLACEHOLDER_MAIL_FROM, which SES will refuse
   */
  mailFrom?: string;
  /**
   * The SES identity `mailFrom` is verified under, which is all the mailer may send as (context
   * `mailIdentity`): set it to the address itself when only the address is verified.
   * @default the domain of mailFrom's address
   */
  mailIdentity?: string;
  /**
   * Base URL of the links in email, e.g. a custom domain in front of the API (context `publicBaseUrl`).
   * @default the API stage URL
   */
  publicBaseUrl?: string;
  /** Browser origins allowed by CORS (see infra/constructs/api.ts). @default none */
  corsAllowedOrigins?: string[];
  /** The user's functions module (see infra/constructs/user-functions.ts): one Lambda and rule per export. */
  userFunctions?: UserFunctionsModule;
  /**
   * The plugins' engines and their permissions (context `annotationEngines`, …: see
   * annotationEnginesFromContext, and the cost of each choice beside AWS_ENGINES).
   * @default Amazon Comprehend and Amazon Bedrock (DEFAULT_BEDROCK_MODEL_ID)
   */
  annotationEngines?: AnnotationEngines;
  /**
   * Who holds SSE connections (context `liveHost`): "fargate" serves the SSE routes from the live host
   * (infra/constructs/live.ts: ECS Fargate behind a VPC link, fed by the bus; ~$0.000047 per idle
   * watcher-hour, ~$58/month floor), "lambda" from one streaming Lambda invocation per connection (no floor,
   * ~$0.021 per watcher-hour). @default "lambda"
   */
  liveHost?: "fargate" | "lambda";
  /** An address subscribed to the alert topic (context `alarmEmail`). @default none: subscribe yourself */
  alarmEmail?: string;
}

/** The whole backend in one stack; see DESIGN.md §2 for the shape and infra/constructs/ per concern. */
export class CortexStack extends Stack {
  readonly data: Data;
  readonly events: Events;
  readonly api: Api;
  /** The API reference page at `<stage URL>/docs` (no API key). */
  readonly docs: Docs;
  readonly scheduling: Scheduling;
  readonly scheduleTarget: ScheduleTarget;
  readonly mail: Mail;
  readonly userFunctions?: UserFunctions;
  readonly webhooks: Webhooks;
  readonly sessions: Sessions;
  readonly plugins: Plugins;
  /** The live host, when `liveHost` is "fargate". */
  readonly live?: Live;
  /** The rule of each `QUEUE_RULES` entry, by its id. */
  readonly queueRules: Readonly<Record<string, events.Rule>>;
  /** Alarms, alert topic and dashboard (a nested stack); watches every function and failure queue. */
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: CortexStackProps = {}) {
    super(scope, id, props);

    const mailFrom = props.mailFrom ?? PLACEHOLDER_MAIL_FROM;
    const mailIdentity = props.mailIdentity ?? senderDomain(mailFrom);
    if (props.mailFrom === undefined) {
      Annotations.of(this).addWarningV2(
        "cortex:mailFromPlaceholder",
        `mailFrom is not set: invitation email would be sent as the placeholder "${PLACEHOLDER_MAIL_FROM}", which ` +
          "SES refuses. Deploy with -c mailFrom='Name <address>' (an SES-verified address or domain).",
      );
    }

    this.data = new Data(this, "Data", { deletionProtection: props.deletionProtection ?? true });

    // BASE_ENV: what every function gets. Each function adds only the variables it reads (FUNCTION_ENV).
    const environment: BaseEnvironment = {
      tableName: this.data.table.tableName,
      eventSource: EVENT_SOURCE,
      replayWindowDays: String(props.replayWindowDays ?? DEFAULT_REPLAY_WINDOW_DAYS),
      logLevel: props.logLevel ?? "info",
    };

    this.mail = new Mail(this, "Mail");
    this.scheduling = new Scheduling(this, "Scheduling");
    this.scheduleTarget = new ScheduleTarget(this, "ScheduleTarget", {
      data: this.data,
      scheduling: this.scheduling,
      environment,
    });
    this.webhooks = new Webhooks(this, "Webhooks", { data: this.data, environment });
    this.sessions = new Sessions(this, "Sessions", { data: this.data, environment });
    this.plugins = new Plugins(this, "Plugins", {
      data: this.data,
      environment,
      engines: props.annotationEngines ?? { ...AWS_ENGINES, bedrockModelId: DEFAULT_BEDROCK_MODEL_ID },
    });

    if (props.liveHost === "fargate") {
      this.live = new Live(this, "Live", {
        data: this.data,
        environment,
        ...(props.corsAllowedOrigins && { corsAllowedOrigins: props.corsAllowedOrigins }),
      });
    }
    const live = this.live;

    this.api = new Api(this, "Api", {
      ...(live && { sseIntegration: (path: string, method: string) => live.sseIntegration(path, method) }),
      data: this.data,
      environment,
      webhooks: this.webhooks,
      sessions: this.sessions,
      ...(props.apiThrottle && { throttle: props.apiThrottle }),
      ...(props.corsAllowedOrigins && { corsAllowedOrigins: props.corsAllowedOrigins }),
    });

    this.docs = new Docs(this, "Docs", { restApi: this.api.restApi, environment });

    this.events = new Events(this, "Events", {
      environment,
      consumerEnvironments: {
        activityRecorder: {},
        mailer: {
          mailFrom,
          // Only the mailer needs the API's URL (RSVP links): the API's own functions never reference it,
          // which keeps the template free of a cycle.
          publicBaseUrl: props.publicBaseUrl ?? this.api.url,
          sesConfigurationSet: this.mail.configurationSet.configurationSetName,
        },
        summaryMailer: { mailFrom, sesConfigurationSet: this.mail.configurationSet.configurationSetName },
        schedulerSync: {
          scheduleGroupName: this.scheduling.group.scheduleGroupName,
          schedulerRoleArn: this.scheduling.executionRole.roleArn,
          schedulerTargetArn: this.scheduleTarget.functionArn,
        },
        webhookFanout: { webhookQueueUrl: this.webhooks.deliveries.queueUrl },
      },
      resources: {
        data: this.data,
        mail: this.mail,
        mailIdentity,
        scheduling: this.scheduling,
        webhooks: this.webhooks,
      },
      archiveRetention: Duration.days(30),
    });
    this.live?.feedFrom(this.events.bus);
    this.queueRules = routeQueueRules(this.events.bus, {
      botCommands: this.sessions.commandRuleTarget,
      ...this.plugins.ruleTargets,
    });

    if (props.userFunctions && props.userFunctions.bindings.length > 0) {
      this.userFunctions = new UserFunctions(this, "UserFunctions", {
        module: props.userFunctions,
        bus: this.events.bus,
        data: this.data,
        webhooks: this.webhooks,
        sessions: this.sessions,
        environment: {
          ...environment,
          webhookQueueUrl: this.webhooks.deliveries.queueUrl,
          webhookAllowPrivateTargets: "false",
          webhookAllowHttp: "false",
          debugAudioBucket: this.sessions.debugAudio.bucketName,
          s3ForcePathStyle: "false",
        },
      });
    }

    // Last, so it sees every function and failure queue above.
    const alarmEmail = props.alarmEmail ?? (this.node.tryGetContext("alarmEmail") as string | undefined);
    this.monitoring = new Monitoring(this, "Monitoring", {
      resources: monitoredResources(
        this,
        { restApi: this.api.restApi, handler: this.api.handler },
        this.webhooks.deliverer.logGroup,
      ),
      ...(alarmEmail && { alarmEmail }),
    });

    new CfnOutput(this, "ApiUrl", { description: "Base URL of the API (routes start with v1/)", value: this.api.url });
    new CfnOutput(this, "DocsUrl", {
      description: "The API reference (Swagger UI, no API key needed)",
      value: `${this.api.url}docs/`,
    });
    new CfnOutput(this, "TableName", { value: this.data.table.tableName });
    new CfnOutput(this, "EventBusName", { value: this.events.bus.eventBusName });
    new CfnOutput(this, "ScheduleGroupName", { value: this.scheduling.group.scheduleGroupName });
    new CfnOutput(this, "ConfigurationSetName", {
      description: "SES v2 configuration set for outgoing email",
      value: this.mail.configurationSet.configurationSetName,
    });
    new CfnOutput(this, "MailFrom", {
      description:
        `Sender of invitation email; the mailer may send only as SES identity "${mailIdentity}". It must be a ` +
        "verified SES identity in this account and region: set it with -c mailFrom='Name <address>' (and " +
        "-c mailIdentity=<address> if only the address, not its domain, is verified).",
      value: mailFrom,
    });
    new CfnOutput(this, "WebhookQueueUrl", {
      description: "SQS queue of webhook delivery attempts",
      value: this.webhooks.deliveries.queueUrl,
    });
    new CfnOutput(this, "BotCommandQueueUrl", {
      description: "The bot command queue: join/leave commands for your bot fleet (body: the event envelope)",
      value: this.sessions.botCommands.queueUrl,
    });
    new CfnOutput(this, "BotCommandQueueArn", { value: this.sessions.botCommands.queueArn });
    new CfnOutput(this, "BotFleetConsumerPolicyArn", {
      description: "Attach to your bot fleet's role: consume the bot command queue",
      value: this.sessions.botFleetPolicy.managedPolicyArn,
    });
    new CfnOutput(this, "DebugAudioBucketName", { value: this.sessions.debugAudio.bucketName });
    new CfnOutput(this, "WebhookDeadLetterQueueName", {
      description: "Webhook delivery messages that failed repeatedly (infrastructure failures); inspect and redrive",
      value: this.webhooks.deadLetters.queueName,
    });
    for (const [name, consumer] of Object.entries(this.plugins.consumers)) {
      const id = name.charAt(0).toUpperCase() + name.slice(1);
      new CfnOutput(this, `${id}QueueUrl`, { value: consumer.queue.queueUrl });
      new CfnOutput(this, `${id}DeadLetterQueueName`, {
        description: `Events the ${consumer.fn.node.id} plugin failed on repeatedly; inspect and redrive`,
        value: consumer.deadLetters.queueName,
      });
    }
  }
}
