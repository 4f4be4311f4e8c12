import { CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { EVENT_SOURCE } from "../shared/events/envelope.js";
import { DEFAULT_REPLAY_WINDOW_DAYS } from "../shared/platform/config.js";
import { Api, type ApiThrottle } from "./constructs/api.js";
import { Data } from "./constructs/data.js";
import { Events } from "./constructs/events.js";
import { Mail } from "./constructs/mail.js";
import { Scheduling } from "./constructs/scheduling.js";

export interface CortexStackProps extends StackProps {
  /** Refuse to delete the table while on. @default true */
  deletionProtection?: boolean;
  /** How long event items stay in the table for SSE resume and replay. @default 7 days */
  replayWindowDays?: number;
  /** LOG_LEVEL of every function. @default "info" */
  logLevel?: "debug" | "info" | "warn" | "error";
  /** Stage-wide API throttling. @default 100 requests/s, bursts of 200 */
  apiThrottle?: ApiThrottle;
}

/** The whole backend in one stack; see DESIGN.md §2 for the shape and infra/constructs/ per concern. */
export class CortexStack extends Stack {
  readonly data: Data;
  readonly events: Events;
  readonly api: Api;
  readonly scheduling: Scheduling;
  readonly mail: Mail;

  constructor(scope: Construct, id: string, props: CortexStackProps = {}) {
    super(scope, id, props);

    this.data = new Data(this, "Data", { deletionProtection: props.deletionProtection ?? true });

    this.events = new Events(this, "Events", {
      data: this.data,
      environment: {
        tableName: this.data.table.tableName,
        eventSource: EVENT_SOURCE,
        replayWindowDays: String(props.replayWindowDays ?? DEFAULT_REPLAY_WINDOW_DAYS),
        logLevel: props.logLevel ?? "info",
      },
      archiveRetention: Duration.days(30),
    });

    this.api = new Api(this, "Api", {
      data: this.data,
      environment: this.events.functionEnvironment,
      ...(props.apiThrottle && { throttle: props.apiThrottle }),
    });

    this.scheduling = new Scheduling(this, "Scheduling");
    this.mail = new Mail(this, "Mail");

    new CfnOutput(this, "ApiUrl", { description: "Base URL of the API (routes start with v1/)", value: this.api.url });
    new CfnOutput(this, "TableName", { value: this.data.table.tableName });
    new CfnOutput(this, "EventBusName", { value: this.events.bus.eventBusName });
    new CfnOutput(this, "ScheduleGroupName", { value: this.scheduling.group.scheduleGroupName });
    new CfnOutput(this, "ConfigurationSetName", {
      description: "SES v2 configuration set for outgoing email",
      value: this.mail.configurationSet.configurationSetName,
    });
  }
}
