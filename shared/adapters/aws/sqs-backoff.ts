import type { ChangeMessageVisibilityRequest, GetQueueUrlResult } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { ENV, numberEnv } from "../../kernel/config.js";
import { PLUGIN_RETRY_DELAYS_SECONDS } from "../../events/rules.js";
import { AwsClient, SERVICES } from "./client/aws-client.js";

/**
 * Backoff for a queue consumer's failed records: instead of waiting out the whole visibility timeout
 * (which must exceed the function's timeout), a failed record becomes visible again after the delay of
 * its receive count. Best effort: if the call fails, the visibility timeout still brings it back.
 */
export class SqsBackoff {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    private readonly delaysSeconds: readonly number[],
    private readonly scale = 1,
    private readonly client: AwsClient = new AwsClient(SERVICES.sqs),
  ) {}

  /**
   * The delay after a record's n-th receive. Past the schedule there is none: the queue's
   * `maxReceiveCount` is one more than the delays, so its next receive dead-letters it, and waiting the
   * last delay again would only hold it back from its dead-letter queue.
   */
  delayFor(receiveCount: number): number {
    const delay = this.delaysSeconds[Math.max(receiveCount, 1) - 1] ?? 0;
    return Math.max(0, Math.min(43_200, Math.round(delay * this.scale)));
  }

  async retryLater(records: readonly SQSRecord[]): Promise<void> {
    await Promise.allSettled(
      records.map(async (record) => {
        const queueUrl = await this.queueUrl(record.eventSourceARN);
        const request: ChangeMessageVisibilityRequest = {
          QueueUrl: queueUrl,
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: this.delayFor(Number(record.attributes.ApproximateReceiveCount)),
        };
        await this.client.call("ChangeMessageVisibility", request);
      }),
    );
  }

  /** `arn:aws:sqs:{region}:{account}:{name}` → the queue's URL (asked once per queue). */
  private queueUrl(arn: string): Promise<string> {
    let url = this.urls.get(arn);
    if (!url) {
      const [, , , , account, name] = arn.split(":");
      url = this.client
        .call<GetQueueUrlResult>("GetQueueUrl", { QueueName: name, QueueOwnerAWSAccountId: account })
        .then((r) => r.QueueUrl ?? Promise.reject(new Error(`no URL for queue ${name}`)));
      url.catch(() => this.urls.delete(arn));
      this.urls.set(arn, url);
    }
    return url;
  }
}

/** Backoff for a plugin's failed records (its queue's retry delays, scaled). */
export function pluginBackoffFromEnv(): SqsBackoff {
  return new SqsBackoff(PLUGIN_RETRY_DELAYS_SECONDS, numberEnv(ENV.pluginRetryScale, 1));
}
