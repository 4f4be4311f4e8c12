import type { AddressInfo } from "node:net";
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  TagQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import {
  CreateTopicCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from "@aws-sdk/client-sns";
import { buildApp } from "fauxqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FEED_TAGS, QueueFeed, queueNameFor } from "../../shared/adapters/live-host/host.js";
import type { EventEnvelope } from "../../shared/kernel/envelope.js";
import { createLogger } from "../../shared/kernel/logger.js";
import { eventually } from "../support/runtime.js";

const waitFor = (condition: () => boolean | Promise<boolean>, what: string) =>
  eventually(async () => ((await condition()) ? true : undefined), 30_000).catch(() => {
    throw new Error(`not seen in time: ${what}`);
  });

/**
 * The live host's per-task queue against a real SQS and SNS engine (fauxqs, on 127.0.0.1), through the
 * AWS SDK clients the task uses: events published to the topic reach the hub through the task's own queue,
 * the queue is marked alive, orphans of killed tasks are swept with their subscriptions, and a queue deleted
 * under a running task is created again.
 */
const PREFIX = "cortex-test-live";
const MINUTE = 60_000;
const app = buildApp({ logger: false });
let sqs: SQSClient;
let sns: SNSClient;
let topicArn: string;
const feeds: QueueFeed[] = [];

beforeAll(async () => {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const config = { endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  sqs = new SQSClient(config);
  sns = new SNSClient(config);
  topicArn = (await sns.send(new CreateTopicCommand({ Name: "cortex-test-live-events" }))).TopicArn!;
});
afterAll(async () => {
  await Promise.all(feeds.map((feed) => feed.stop()));
  await app.close();
});

let clock = Date.parse("2026-11-28T12:00:00Z");
function startFeed(taskId: string, received: EventEnvelope[], options: { heartbeatMs?: number } = {}) {
  const feed = new QueueFeed({
    sqs,
    sns,
    topicArn,
    queuePrefix: PREFIX,
    queueName: queueNameFor(PREFIX, taskId),
    onEnvelope: (envelope) => received.push(envelope),
    logger: createLogger({}, () => undefined),
    now: () => clock,
    receiveWaitSeconds: 1,
    ...options,
  });
  feeds.push(feed);
  return feed;
}

let sequence = 0;
function envelope(): EventEnvelope {
  sequence++;
  return {
    id: `evt_feed_${sequence}`,
    type: "gathering.updated",
    version: sequence,
    projectId: "p-feed",
    tenantId: "t-feed",
    resource: "gathering:gth_feed",
    occurredAt: new Date(clock).toISOString(),
    data: {},
  };
}
/** As the EventBridge rule hands an event to the topic: the whole event, the envelope as its `detail`. */
const publish = (event: EventEnvelope) =>
  sns.send(
    new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ "detail-type": event.type, detail: event }) }),
  );

const queueUrls = async () => (await sqs.send(new ListQueuesCommand({ QueueNamePrefix: PREFIX }))).QueueUrls ?? [];
const tagsOf = async (queueUrl: string) =>
  (await sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }))).Tags ?? {};
const subscriptions = async () =>
  ((await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions ?? []).map(
    (s) => s.SubscriptionArn,
  );

/** A queue as a task killed at `aliveAt` left it: subscribed, tagged, never deleted. */
async function leftBehind(
  taskId: string,
  tags: Record<string, string>,
): Promise<{ url: string; subscription: string }> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: queueNameFor(PREFIX, taskId), tags }))).QueueUrl!;
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] })))
    .Attributes!.QueueArn!;
  const subscription = (
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: arn, ReturnSubscriptionArn: true }),
    )
  ).SubscriptionArn!;
  return { url, subscription };
}

describe("the live host's queue feed", () => {
  it("hands an event published to the topic to the hub through the task's own queue", async () => {
    const received: EventEnvelope[] = [];
    await startFeed("task-deliver", received).start();
    const event = envelope();
    await publish(event);
    await waitFor(() => received.some((e) => e.id === event.id), "the event at the feed");
    expect(received.find((e) => e.id === event.id)).toEqual(event);
  });

  it("tags its queue with its subscription and an alive mark, and renews the mark", async () => {
    const feed = startFeed("task-marks", [], { heartbeatMs: 50 });
    await feed.start();
    const url = (await queueUrls()).find((u) => u.endsWith(queueNameFor(PREFIX, "task-marks")))!;
    const tags = await tagsOf(url);
    expect(tags[FEED_TAGS.role]).toBe("live-feed");
    expect(tags[FEED_TAGS.aliveAt]).toBe(new Date(clock).toISOString());
    expect(await subscriptions()).toContain(tags[FEED_TAGS.subscription]);
    clock += 5 * MINUTE;
    const renewed = new Date(clock).toISOString();
    await waitFor(async () => (await tagsOf(url))[FEED_TAGS.aliveAt] === renewed, "the renewed alive mark");
  });

  it("sweeps the queue and subscription of a task that stopped marking it, and leaves the others", async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const orphan = await leftBehind("task-killed", {
      [FEED_TAGS.role]: "live-feed",
      [FEED_TAGS.aliveAt]: iso(clock - 16 * MINUTE),
    });
    await sqs.send(
      new TagQueueCommand({
        QueueUrl: orphan.url,
        Tags: { [FEED_TAGS.subscription]: orphan.subscription },
      }),
    );
    const recent = await leftBehind("task-slow", {
      [FEED_TAGS.role]: "live-feed",
      [FEED_TAGS.aliveAt]: iso(clock - 14 * MINUTE),
    });
    const unmarked = await leftBehind("task-older-version", { [FEED_TAGS.role]: "live-feed" });
    const foreign = await leftBehind("something-else", { [FEED_TAGS.aliveAt]: iso(clock - 60 * MINUTE) });

    const feed = startFeed("task-sweeper", []);
    await feed.start();
    await waitFor(async () => !(await queueUrls()).includes(orphan.url), "the orphan swept at start");
    expect(await subscriptions()).not.toContain(orphan.subscription);
    const left = await queueUrls();
    for (const kept of [recent, unmarked, foreign]) {
      expect(left).toContain(kept.url);
      expect(await subscriptions()).toContain(kept.subscription);
    }
    // Swept again (another task, or the next round): nothing more is stale, and a gone queue is no error.
    expect(await feed.sweep()).toBe(0);
    await Promise.all([recent, unmarked, foreign].map((q) => sqs.send(new DeleteQueueCommand({ QueueUrl: q.url }))));
  });

  it("creates its queue again when it is deleted under it, and keeps delivering", async () => {
    const received: EventEnvelope[] = [];
    await startFeed("task-recreated", received).start();
    const url = (await queueUrls()).find((u) => u.endsWith(queueNameFor(PREFIX, "task-recreated")))!;
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    await waitFor(async () => (await queueUrls()).includes(url), "the queue created again");
    const event = envelope();
    await publish(event);
    await waitFor(() => received.some((e) => e.id === event.id), "the event after the queue came back");
  });
});
