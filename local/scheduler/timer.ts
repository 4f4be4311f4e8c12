/**
 * The timer loop: every tick it scans for due schedules, claims each one with a conditional update and
 * invokes its target, retrying a failing target with backoff, then applies ActionAfterCompletion.
 *
 * Delivery, compared with AWS:
 * - A schedule that became due while the runtime was down fires on the first tick after it starts (AWS
 *   fires within the flexible time window; locally there is no window, so it fires late, once).
 * - Retries: AWS retries up to Target.RetryPolicy.MaximumRetryAttempts (default 185) over up to
 *   MaximumEventAgeInSeconds; locally the attempts are capped (default 3) with a short exponential backoff,
 *   and the age limit is not enforced. When the retries are exhausted the failure is logged (and recorded
 *   on a schedule that is kept); there is no dead-letter queue.
 * - A claim is a lease renewed while the target runs. A clean stop() waits for the invocation in flight
 *   and gives back the claims of schedules still waiting to retry. If the process dies mid-invocation, the
 *   lease expires and the schedule fires again — at-least-once, like the real service.
 */
import { randomUUID } from "node:crypto";
import { sleep } from "../sleep.js";
import { parseExpression, nextRateOccurrence } from "./expression.js";
import { parseDefinition, type FireRecord, type ScheduleItem, type ScheduleTable } from "./store.js";

export interface TargetInvocation {
  arn: string;
  input: string | undefined;
  scheduleName: string;
  groupName: string;
}

export type Logger = (msg: string, fields?: Record<string, unknown>) => void;

export interface TimerLoopOptions {
  table: ScheduleTable;
  invokeTarget: (target: TargetInvocation) => Promise<void>;
  tickMs: number;
  now: () => Date;
  logger: Logger;
  maxRetryAttempts: number;
  retryBackoffMs: number;
  leaseMs: number;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * AWS fills these context attributes into a target's Input at invocation time
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html).
 */
function renderInput(input: string | undefined, context: Record<string, string>): string | undefined {
  if (input === undefined) return undefined;
  return input.replace(
    /<aws\.scheduler\.(schedule-arn|scheduled-time|execution-id|attempt-number)>/g,
    (_m, key: string) => context[key] ?? _m,
  );
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class TimerLoop {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** Passes never overlap: each waits for the previous one. */
  private passes: Promise<void> = Promise.resolve();

  constructor(private readonly options: TimerLoopOptions) {}

  start(): void {
    this.scheduleNextTick(0);
  }

  private scheduleNextTick(delay: number): void {
    if (this.stopping.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runPass().finally(() => this.scheduleNextTick(this.options.tickMs));
    }, delay);
  }

  /** One scan for due schedules; the fires it starts run on in the background. */
  private runPass(): Promise<void> {
    const pass = this.passes.then(async () => {
      if (this.stopping.signal.aborted) return;
      try {
        const nowMs = this.options.now().getTime();
        const due = await this.options.table.findDue(nowMs);
        due.sort((a, b) => (a.dueAt ?? 0) - (b.dueAt ?? 0));
        for (const item of due) this.track(this.fire(item, nowMs));
      } catch (error) {
        this.options.logger("local scheduler: scan for due schedules failed", { error: String(error) });
      }
    });
    this.passes = pass;
    return pass;
  }

  private track(promise: Promise<void>): void {
    const tracked = promise.catch((error: unknown) => {
      this.options.logger("local scheduler: firing failed unexpectedly", { error: String(error) });
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Runs one pass now and waits for every fire in flight to finish (tests, and a deterministic tick). */
  async fireDue(): Promise<void> {
    await this.runPass();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.passes;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async fire(item: ScheduleItem, nowMs: number): Promise<void> {
    const { table, logger, leaseMs } = this.options;
    if (item.dueAt === undefined) return;
    const claimId = randomUUID();
    if (!(await table.claim(item, claimId, nowMs + leaseMs, nowMs))) return; // someone else has it, or it changed
    const heartbeat = setInterval(
      () => {
        table.renewLease(item.PK, claimId, this.options.now().getTime() + leaseMs).catch((error: unknown) => {
          logger("local scheduler: renewing a claim failed", { schedule: item.name, error: String(error) });
        });
      },
      Math.max(1, Math.floor(leaseMs / 3)),
    );
    heartbeat.unref();
    try {
      const definition = parseDefinition(item);
      const fields = { schedule: item.name, group: item.groupName, target: definition.Target.Arn };
      const maxRetries = Math.min(definition.Target.RetryPolicy.MaximumRetryAttempts, this.options.maxRetryAttempts);
      const executionId = randomUUID();
      let record: FireRecord | undefined;
      for (let attempt = 1; record === undefined; attempt++) {
        try {
          await this.options.invokeTarget({
            arn: definition.Target.Arn,
            input: renderInput(definition.Target.Input, {
              "schedule-arn": item.arn,
              "scheduled-time": isoSeconds(item.dueAt),
              "execution-id": executionId,
              "attempt-number": String(attempt),
            }),
            scheduleName: item.name,
            groupName: item.groupName,
          });
          logger("local scheduler: fired schedule", { ...fields, attempt });
          record = { firedAt: this.options.now().getTime(), outcome: "SUCCEEDED" };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (attempt > maxRetries) {
            logger("local scheduler: target failed, giving up", { ...fields, attempts: attempt, error: message });
            record = { firedAt: this.options.now().getTime(), outcome: "FAILED", error: message };
            break;
          }
          const delay = Math.min(this.options.retryBackoffMs * 2 ** (attempt - 1), MAX_BACKOFF_MS);
          logger("local scheduler: target failed, will retry", {
            ...fields,
            attempt,
            retryInMs: delay,
            error: message,
          });
          if (!(await sleep(delay, this.stopping.signal))) {
            // Stopping: give the claim back so the next start retries (the failed attempt did not deliver).
            await table.release(item.PK, claimId);
            return;
          }
        }
      }
      await this.complete(item, definition, claimId, record);
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async complete(
    item: ScheduleItem,
    definition: ReturnType<typeof parseDefinition>,
    claimId: string,
    record: FireRecord,
  ): Promise<void> {
    const { table, logger } = this.options;
    const expression = parseExpression(definition.ScheduleExpression);
    let applied: boolean;
    let next: number | undefined;
    if (expression.kind === "rate") {
      next = nextRateOccurrence(item.rateAnchor ?? item.createdAt, expression.periodMs, this.options.now().getTime());
      if (definition.EndDate !== undefined && next > definition.EndDate * 1000) next = undefined;
    }
    if (next !== undefined) {
      applied = await table.reschedule(item.PK, claimId, next, record);
    } else if (definition.ActionAfterCompletion === "DELETE") {
      applied = await table.deleteClaimed(item.PK, claimId);
      if (applied)
        logger("local scheduler: deleted completed schedule (ActionAfterCompletion DELETE)", {
          schedule: item.name,
          group: item.groupName,
        });
    } else {
      applied = await table.complete(item.PK, claimId, record);
    }
    if (!applied) {
      // Updated or deleted while it fired: the newer definition stands.
      logger("local scheduler: schedule changed while firing; keeping the newer version", {
        schedule: item.name,
        group: item.groupName,
      });
    }
  }
}
