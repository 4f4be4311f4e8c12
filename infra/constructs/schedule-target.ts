import { ArnFormat, Names, Stack } from "aws-cdk-lib";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SCHEDULE_TARGET } from "../../shared/events/rules.js";
import type { Data } from "./data.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import { createNodeFunction, type BaseEnvironment } from "./node-function.js";
import type { Scheduling } from "./scheduling.js";

export interface ScheduleTargetProps {
  data: Data;
  scheduling: Scheduling;
  environment: BaseEnvironment;
}

/**
 * The function the one-time schedules run (start or end a gathering at its time, stop an idle session,
 * fail an unacknowledged bot command). The scheduling execution role may invoke this function and nothing
 * else. It writes schedules too: a session's idle deadline is re-armed by its own target, lazily, instead
 * of by every message.
 */
export class ScheduleTarget extends Construct {
  readonly handler: NodejsFunction;
  /**
   * The function's ARN, built from its fixed name: the function's own environment names it, which a
   * reference to the function (`Fn::GetAtt` on itself) cannot do.
   */
  readonly functionArn: string;
  /** Scheduled actions the function still failed on after Lambda's retries. */
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: ScheduleTargetProps) {
    super(scope, id);

    // Unique per stack (the construct path names the stack); 64 characters is Lambda's limit.
    const functionName = Names.uniqueResourceName(this, { maxLength: 64, separator: "-" });
    this.functionArn = Stack.of(this).formatArn({
      service: "lambda",
      resource: "function",
      resourceName: functionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    this.failures = deadLetterQueue(this, "Failures", "scheduled actions the target function failed on");
    this.handler = createNodeFunction(this, "Handler", {
      entry: SCHEDULE_TARGET.entry,
      functionName,
      description: "Runs a one-time schedule (gathering start/end, session idle stop, bot acknowledgement)",
      environment: {
        ...props.environment,
        scheduleGroupName: props.scheduling.group.scheduleGroupName,
        schedulerRoleArn: props.scheduling.executionRole.roleArn,
        schedulerTargetArn: this.functionArn,
      },
      // EventBridge Scheduler invokes asynchronously: a handler error is retried by Lambda, then kept here.
      // (The action re-checks its gathering or session, so a late retry does nothing it no longer wants.)
      onFailure: this.failures,
    });
    props.data.grantReadWrite(this.handler);
    props.scheduling.allowInvoke(this.handler);
    props.scheduling.grantManageSchedules(this.handler);
  }
}
