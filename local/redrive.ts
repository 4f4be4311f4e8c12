import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

/**
 * `npm run redrive`: delivers dead letters again.
 *
 * Locally it asks the running `npm start` (POST /local/redrive with the dev key) to deliver every
 * dead-lettered event to its rule's target again and to move the webhook delivery DLQ back to its queue.
 * With `--aws --queue NAME|URL` it starts the same SQS dead-letter-queue redrive on AWS (StartMessageMoveTask,
 * standard credentials and region), e.g. for the stack's WebhookDeadLetterQueueName output. Events a
 * consumer failed on are replayed from the bus's archive on AWS (see README, "Dead letters").
 */
const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "data-dir": { type: "string" },
    rule: { type: "string" },
    aws: { type: "boolean", default: false },
    queue: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

if (values.help) {
  process.stdout.write(`Usage: npm run redrive -- [--url URL] [--data-dir DIR] [--rule RULE]
       npm run redrive -- --aws --queue NAME|URL

  Locally (a running npm start):
    --url URL       the local API (default: http://127.0.0.1:$PORT, PORT defaulting to 3000)
    --data-dir DIR  where the dev key is (default: .data); CORTEX_API_KEY overrides it
    --rule RULE     only the dead letters of one rule (activity, webhooks, mail, …, webhook-deliveries)

  On AWS (credentials and region as for the AWS CLI):
    --aws --queue Q moves the messages of the dead-letter queue Q back to the queue they came from
`);
  process.exit(0);
}

async function redriveAws(queue: string): Promise<void> {
  const sqs = new SQSClient({});
  const queueUrl = /^https?:\/\//.test(queue)
    ? queue
    : (await sqs.send(new GetQueueUrlCommand({ QueueName: queue }))).QueueUrl!;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn", "ApproximateNumberOfMessages"] }),
  );
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: Attributes!.QueueArn! }));
  process.stdout.write(
    `Moving ${Attributes?.ApproximateNumberOfMessages ?? "?"} message(s) of ${queueUrl} back to their source queue ` +
      `(task ${TaskHandle}).\n`,
  );
}

async function redriveLocal(): Promise<void> {
  const url = values.url ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`;
  const keyFile = join(values["data-dir"] ?? ".data", "dev-api-key");
  const key = process.env.CORTEX_API_KEY ?? (existsSync(keyFile) ? readFileSync(keyFile, "utf8").trim() : undefined);
  if (!key) throw new Error(`no dev API key: set CORTEX_API_KEY or pass --data-dir (looked in ${keyFile})`);
  const target = new URL("/local/redrive", url);
  if (values.rule) target.searchParams.set("rule", values.rule);
  let response: Response;
  try {
    response = await fetch(target, { method: "POST", headers: { Authorization: `Bearer ${key}` } });
  } catch {
    throw new Error(`nothing answers at ${url}: is npm start running (pass --url otherwise)?`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${target.href} answered ${response.status}: ${text}`);
  const result = JSON.parse(text) as { events: number; webhookDeliveries: number };
  process.stdout.write(
    `Re-driven: ${result.events} dead-lettered event delivery(ies), ${result.webhookDeliveries} webhook delivery ` +
      `message(s). GET ${new URL("/health", url).href} shows what is left.\n`,
  );
}

try {
  if (values.aws) {
    if (!values.queue) throw new Error("--aws needs --queue NAME|URL (e.g. the stack's WebhookDeadLetterQueueName)");
    await redriveAws(values.queue);
  } else {
    await redriveLocal();
  }
} catch (error) {
  process.stderr.write(`redrive: ${(error as Error).message}\n`);
  process.exit(1);
}
