import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { parseBotCommand, type BotCommandEnvelope } from "../../sdk/src/bot.js";
import type { RuntimeEndpoints } from "./runtime.js";

const received = new Map<string, BotCommandEnvelope[]>();

/**
 * Long-polls the runtime's bot command queue, as a bot fleet would, until `count` commands of `kind` for the
 * session have arrived; returns them in arrival order. Every command received is kept by session for a
 * later call. Use it on a runtime of the test file's own: files run in parallel, and on a shared runtime
 * they would take each other's commands.
 */
export async function receiveBotCommands(
  rt: RuntimeEndpoints & { botCommandQueueUrl?: string },
  wanted: { sessionId: string; kind: "join" | "leave"; count?: number },
  timeoutMs = 60_000,
): Promise<BotCommandEnvelope[]> {
  const queueUrl = rt.botCommandQueueUrl;
  if (!queueUrl) throw new Error("this runtime did not print its bot command queue URL");
  const sqs = new SQSClient({
    endpoint: new URL(queueUrl).origin,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const deadline = Date.now() + timeoutMs;
  const mine = () => (received.get(wanted.sessionId) ?? []).filter((m) => m.data.command.kind === wanted.kind);
  try {
    while (mine().length < (wanted.count ?? 1)) {
      if (Date.now() > deadline) throw new Error(`no ${wanted.kind} command for ${wanted.sessionId} arrived`);
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const message of Messages ?? []) {
        const envelope = parseBotCommand(message.Body!);
        const sessionId = envelope.data.command.sessionId;
        received.set(sessionId, [...(received.get(sessionId) ?? []), envelope]);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }
    return mine();
  } finally {
    sqs.destroy();
  }
}
