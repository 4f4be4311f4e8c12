import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from "@aws-sdk/client-scheduler";
import { atExpression, type DesiredSchedule, type SchedulerPort } from "../../domain/scheduling/schedules.js";
import { ENV, requiredEnv } from "../../kernel/config.js";

export interface EventBridgeSchedulerOptions {
  groupName: string;
  /** The role EventBridge Scheduler assumes to invoke the target. */
  roleArn: string;
  targetArn: string;
  client?: SchedulerClient;
}

/**
 * One-time `at()` schedules in UTC, deleted after they run unless kept (a re-armed deadline); updates replace
 * the full definition.
 */
export class EventBridgeScheduler implements SchedulerPort {
  private readonly client: SchedulerClient;

  constructor(private readonly options: EventBridgeSchedulerOptions) {
    this.client = options.client ?? new SchedulerClient({});
  }

  async put(schedule: DesiredSchedule): Promise<void> {
    const input: CreateScheduleCommandInput = {
      Name: schedule.name,
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
        await this.client.send(new CreateScheduleCommand(input));
        return;
      } catch (error) {
        if (!(error instanceof ConflictException)) throw error;
      }
      try {
        await this.client.send(new UpdateScheduleCommand(input));
        return;
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException) || attempt >= 3) throw error;
      }
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: this.options.groupName }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
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
