import { randomUUID } from "node:crypto";
import type { CreateScheduleInput } from "@aws-sdk/client-scheduler";
import { atExpression, type DesiredSchedule, type SchedulerPort } from "../../domain/scheduling/schedules.js";
import { ENV, requiredEnv } from "../../kernel/config.js";
import { AwsClient, isAwsError, SERVICES } from "./client/aws-client.js";

export interface EventBridgeSchedulerOptions {
  groupName: string;
  /** The role EventBridge Scheduler assumes to invoke the target. */
  roleArn: string;
  targetArn: string;
  client?: AwsClient;
}

/**
 * One-time `at()` schedules in UTC, deleted after they run unless kept (a re-armed deadline); updates replace
 * the full definition.
 */
export class EventBridgeScheduler implements SchedulerPort {
  private readonly client: AwsClient;

  constructor(private readonly options: EventBridgeSchedulerOptions) {
    this.client = options.client ?? new AwsClient(SERVICES.scheduler);
  }

  async put(schedule: DesiredSchedule): Promise<void> {
    // REST-JSON: the name is the path; the rest is the body. ClientToken is the request's idempotency token,
    // which the AWS SDK fills with a random UUID when it is not given; so does this adapter, per request.
    const path = `/schedules/${encodeURIComponent(schedule.name)}`;
    const input: Omit<CreateScheduleInput, "Name"> = {
      GroupName: this.options.groupName,
      ScheduleExpression: atExpression(schedule.at),
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: schedule.keepAfterRun ? "NONE" : "DELETE",
      Target: {
        Arn: this.options.targetArn,
        RoleArn: this.options.roleArn,
        Input: JSON.stringify(schedule.input),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    };
    // Create, else update. A schedule can vanish between the two (it ran and deleted itself, or a concurrent
    // sync deleted it): the update's ResourceNotFound then means "create it again", not a failed sync.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.request("POST", path, { body: { ...input, ClientToken: randomUUID() } });
        return;
      } catch (error) {
        if (!isAwsError(error, "ConflictException")) throw error;
      }
      try {
        await this.client.request("PUT", path, { body: { ...input, ClientToken: randomUUID() } });
        return;
      } catch (error) {
        if (!isAwsError(error, "ResourceNotFoundException") || attempt >= 3) throw error;
      }
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.request("DELETE", `/schedules/${encodeURIComponent(name)}`, {
        query: { groupName: this.options.groupName, clientToken: randomUUID() },
      });
    } catch (error) {
      if (!isAwsError(error, "ResourceNotFoundException")) throw error;
    }
  }
}

export function schedulerFromEnv(): EventBridgeScheduler {
  return new EventBridgeScheduler({
    groupName: requiredEnv(ENV.scheduleGroupName),
    roleArn: requiredEnv(ENV.schedulerRoleArn),
    targetArn: requiredEnv(ENV.schedulerTargetArn),
  });
}
