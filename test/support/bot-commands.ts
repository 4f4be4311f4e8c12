import {
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { parseBotCommand, type BotCommandEnvelope } from "../../sdk/src/bot.js";
import type { RuntimeEndpoints } from "./runtime.js";

export type { BotCommandEnvelope };

export interface ReceiveBotCommandsOptions {
  sessionId: string;
  /** Wait until this many commands of the session have arrived. @default 1 */
  count?: number;
  /** How long to wait for them before answering with what arrived. @default 30 s */
  waitMs?: number;
}

function sqsClient(rt: Pick<RuntimeEndpoints, "botCommandQueueUrl">): SQSClient {
  return new SQSClient({
    endpoint: new URL(rt.botCommandQueueUrl).origin,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}

/**
 * Takes a session's commands off the runtime's bot command queue, as a bot would (received, then deleted),
 * in version order. Tests share one queue (the shared runtime serves every test), so a command of another
 * session is put back as a new message (a second later) — its receive count stays 0, so it never reaches
 * the dead-letter queue for having been seen by the wrong test — unless it is past its `ackDeadline` (real time), when the
 * contract says a bot may drop it (QUEUES.botCommands), and this does.
 * Answers once `count` commands arrived, or when `waitMs` runs out with what arrived (assert on its length).
 */
export async function receiveBotCommands(
  rt: Pick<RuntimeEndpoints, "botCommandQueueUrl">,
  options: ReceiveBotCommandsOptions,
): Promise<BotCommandEnvelope[]> {
  const client = sqsClient(rt);
  const queueUrl = rt.botCommandQueueUrl;
  const count = options.count ?? 1;
  const deadline = Date.now() + (options.waitMs ?? 30_000);
  const ours: BotCommandEnvelope[] = [];
  const settle = async (message: Message) => {
    // Parsed as a bot would (the SDK's bot entry point), so the queue's messages are held to the contract.
    const envelope = parseBotCommand(message.Body ?? "");
    if (envelope.resource === `session:${options.sessionId}`) {
      ours.push(envelope);
    } else if (!(Date.parse(envelope.data?.command?.ackDeadline ?? "") < Date.now())) {
      // Someone else's, still current: a copy goes back first, so a crash here duplicates, never loses; it
      // is delayed a second, so a wait among others' commands long-polls instead of spinning on them.
      await client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.Body ?? "", DelaySeconds: 1 }),
      );
    }
    await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  };
  try {
    while (ours.length < count) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) break;
      const { Messages = [] } = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: Math.min(5, Math.ceil(remainingMs / 1000)),
        }),
      );
      for (const message of Messages) await settle(message);
    }
  } finally {
    client.destroy();
  }
  return ours.sort((a, b) => a.version - b.version);
}
