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
  environment: FunctionEnvironment<typeof SCHEDULE_TARGET.entry>;
}

/**
 * The function the one-time schedules run (start or end a gathering at its time). The scheduling
 * execution role may invoke this function and nothing else.
 */
export class ScheduleTarget extends Construct {
  readonly handler: NodejsFunction;
  /** Scheduled actions the function still failed on after Lambda's retries. */
  readonly failures: sqs.Queue;

  constructor(scope: Construct, id: string, props: ScheduleTargetProps) {
    super(scope, id);

    this.failures = deadLetterQueue(this, "Failures", "scheduled actions the target function failed on");
    this.handler = createNodeFunction(this, "Handler", {
      entry: SCHEDULE_TARGET.entry,
      description: "Runs a gathering's one-time schedule (start or end), if the gathering still says so",
      environment: props.environment,
      // EventBridge Scheduler invokes asynchronously: a handler error is retried by Lambda, then kept here.
      // (The action re-checks the gathering, so a late retry does nothing the gathering no longer wants.)
      onFailure: this.failures,
    });
    props.data.grantReadWrite(this.handler);
    props.scheduling.allowInvoke(this.handler);
  }
}
