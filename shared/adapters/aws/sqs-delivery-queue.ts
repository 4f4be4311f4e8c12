import type { SendMessageRequest } from "@aws-sdk/client-sqs";
import type { DeliveryMessage, DeliveryQueue } from "../../consumers/webhooks/service.js";
import { ENV, requiredEnv } from "../../kernel/config.js";
import { AwsClient, SERVICES } from "./client/aws-client.js";

/** The webhook delivery queue on SQS (a delay of up to 15 minutes per message). */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: AwsClient = new AwsClient(SERVICES.sqs),
  ) {}

  async send(message: DeliveryMessage, delaySeconds: number): Promise<void> {
    const request: SendMessageRequest = {
      QueueUrl: this.queueUrl,
      MessageBody: JSON.stringify(message),
      DelaySeconds: Math.max(0, Math.min(900, Math.round(delaySeconds))),
    };
    await this.client.call("SendMessage", request);
  }
}

export function deliveryQueueFromEnv(): SqsDeliveryQueue {
  return new SqsDeliveryQueue(requiredEnv(ENV.webhookQueueUrl));
}
