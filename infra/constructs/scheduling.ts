import { RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import { Construct } from "constructs";
import { acknowledgeWildcardResource } from "../nag.js";

/**
 * One-time schedules (gathering start/end, session idle stop, bot acknowledgement) live in one group.
 * EventBridge Scheduler runs them with the execution role; the scheduler-sync function manages them in this
 * group only, and so does the scheduler target (it re-arms a session's idle deadline).
 */
export class Scheduling extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    // Schedules are derived from table items; they have no value once the stack (and its target) is gone.
    this.group = new scheduler.ScheduleGroup(this, "Group", { removalPolicy: RemovalPolicy.DESTROY });

    const stack = Stack.of(this);
    this.executionRole = new iam.Role(this, "ExecutionRole", {
      description: "Assumed by EventBridge Scheduler to run the schedules of this stack's group",
      assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
        // Confused-deputy guard: only schedules of this group may assume the role (Scheduler reports the
        // group's ARN as the source, never a schedule's).
        conditions: {
          StringEquals: { "aws:SourceAccount": stack.account, "aws:SourceArn": this.group.scheduleGroupArn },
        },
      }),
    });
  }

  /** ARN of a schedule (or, with "*", of every schedule) in the group. */
  scheduleArn(scheduleName: string): string {
    return Stack.of(this).formatArn({
      service: "scheduler",
      resource: "schedule",
      resourceName: `${this.group.scheduleGroupName}/${scheduleName}`,
    });
  }

  /** Lets the schedules invoke the scheduler-target function (that function only, unqualified). */
  allowInvoke(target: lambda.IFunction): void {
    this.executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [target.functionArn] }),
    );
  }

  /**
   * Lets a function (scheduler-sync, scheduler-target) create, update, read and delete schedules in this
   * group (names are derived from gathering and session ids, hence the wildcard below the group) and pass
   * the execution role to them.
   */
  grantManageSchedules(fn: lambda.IFunction): void {
    const role = fn.role;
    if (!role) throw new Error("grantManageSchedules needs a function with an execution role");
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          "scheduler:CreateSchedule",
          "scheduler:UpdateSchedule",
          "scheduler:DeleteSchedule",
          "scheduler:GetSchedule",
        ],
        resources: [this.scheduleArn("*")],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["iam:PassRole"],
        resources: [this.executionRole.roleArn],
        conditions: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
      }),
    );
    acknowledgeWildcardResource(
      role,
      this.scheduleArn("*"),
      "Schedule names are derived from gathering and session ids at run time; the wildcard is confined to this " +
        "stack's group.",
    );
  }
}
