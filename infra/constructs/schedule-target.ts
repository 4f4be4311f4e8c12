import { ArnFormat, Names, Stack } from "aws-cdk-lib";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { SCHEDULE_TARGET } from "../../shared/events/rules.js";
import type { Data } from "./data.js";
import { deadLetterQueue } from "./dead-letter-queue.js";
import { createNodeFunction, type FunctionEnvironment } from "./node-function.js";
import type { Scheduling } from "./scheduling.js";

export interface ScheduleTargetProps {
  data: Data;
  scheduling: Scheduling;
  /** BASE_ENV: the scheduler settings are added here (the target re-arms a session's idle deadline). */
  environment: Omit<
    FunctionEnvironment<typeof SCHEDULE_TARGET.entry>,
    "scheduleGroupName" | "schedulerRoleArn" | "schedulerTargetArn"
  >;
}

/**
 * The function the one-time schedules run (start or end a gathering at its time). The scheduling
 * execution role may invoke this function and nothing else.
 */
export class ScheduleTarget extends Construct {
  readonly handler: NodejsFunction;
  /** Scheduled actions the function still failed on after Lambda's retries. */
  readonly failures: sqs.Queue;

  /** The function's ARN, known without referencing the function (its own schedules target it). */
  readonly functionArn: string;

  constructor(scope: Construct, id: string, props: ScheduleTargetProps) {
    super(scope, id);

    // A fixed name, unique per stack: the function re-arms schedules that target itself, and its own ARN
    // in its environment would otherwise be a circular reference.
    const functionName = `${Names.uniqueResourceName(this, { maxLength: 50, separator: "-" })}-target`;
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
      description: "Runs a one-time schedule (a gathering's start or end, a session's idle or ack deadline)",
      environment: {
        ...props.environment,
        scheduleGroupName: props.scheduling.group.scheduleGroupName,
        schedulerRoleArn: props.scheduling.executionRole.roleArn,
        schedulerTargetArn: this.functionArn,
      },
      // EventBridge Scheduler invokes asynchronously: a handler error is retried by Lambda, then kept here.
      // (The action re-checks the gathering, so a late retry does nothing the gathering no longer wants.)
      onFailure: this.failures,
    });
    props.data.grantReadWrite(this.handler);
    props.scheduling.allowInvoke(this.handler);
    // The idle deadline is re-armed by its own target.
    props.scheduling.grantManageSchedules(this.handler);
  }
}
