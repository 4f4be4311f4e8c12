import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { storeFromEnv } from "../aws/environment.js";
import { LiveHub } from "../../app/live/hub.js";
import { createLiveServer, liveSettingsFromEnv } from "../../app/live/server.js";
import { originsWithProjectSettings } from "../../app/http/cors.js";
import { getSettings } from "../../domain/sessions/settings.js";
import { requiredEnv } from "../../kernel/config.js";
import { createLogger } from "../../kernel/logger.js";
import { LIVE_ENV } from "./config.js";
import { connectionMetricLine, liveHostHandler, QueueFeed, queueNameFor } from "./host.js";

/**
 * The live host's program (infra/constructs/live.ts runs it on ECS Fargate): the two SSE routes behind
 * API Gateway's VPC link, served from one LiveHub per task (shared/app/live). API Gateway authorizes; this
 * trusts only requests that carry the forwarded secret and reads the principal from the forwarded headers.
 * Committed events arrive on the task's own queue and go to the hub (no read per watcher); SIGTERM ends the
 * streams resumably (clients resume with Last-Event-ID on another task) and removes the queue.
 */
const logger = createLogger({ service: "live" });
const log = (message: string, fields?: Record<string, unknown>) => logger.info(message, fields);
const store = storeFromEnv();
const secret = requiredEnv(LIVE_ENV.forwardSecret);
const port = Number(requiredEnv(LIVE_ENV.port));
const settings = liveSettingsFromEnv();
const hub = new LiveHub({ store, ...settings, log });
const live = createLiveServer({
  hub,
  store,
  maxStreamsPerKey: settings.maxStreamsPerKey,
  // As the API and SSE functions answer: the deployment's origins, then the project's own setting.
  corsOrigins: originsWithProjectSettings(async (project) => (await getSettings(store, project)).allowedOrigins),
  log,
});

async function taskId(): Promise<string> {
  const metadata = process.env.ECS_CONTAINER_METADATA_URI_V4;
  if (metadata) {
    try {
      const task = (await (await fetch(`${metadata}/task`)).json()) as { TaskARN?: string };
      const id = task.TaskARN?.split("/").pop();
      if (id) return id;
    } catch (error) {
      logger.warn("task metadata unavailable", { error });
    }
  }
  return randomUUID();
}

const server = createServer(liveHostHandler({ secret, live, logger }));
// Streams last up to 15 minutes: no per-request timeout (heartbeats keep the load balancer's flow active).
server.requestTimeout = 0;
server.headersTimeout = 10_000;
server.keepAliveTimeout = 65_000;

const queuePrefix = requiredEnv(LIVE_ENV.queuePrefix);
const feed = new QueueFeed({
  sqs: new SQSClient({}),
  sns: new SNSClient({}),
  topicArn: requiredEnv(LIVE_ENV.topicArn),
  queuePrefix,
  queueName: queueNameFor(queuePrefix, await taskId()),
  onEnvelope: (envelope) => hub.notify(envelope),
  logger,
});
// Subscribed before serving: a watcher's catch-up read then overlaps the feed, and the hub joins them.
await feed.start();
server.listen(port, "0.0.0.0", () => logger.info("live host listening", { port }));

const metricNamespace = requiredEnv(LIVE_ENV.metricNamespace);
const metricService = requiredEnv(LIVE_ENV.metricService);
const metrics = setInterval(
  () => process.stdout.write(connectionMetricLine(metricNamespace, metricService, live.open(), Date.now()) + "\n"),
  60_000,
);

process.once("SIGTERM", () => {
  clearInterval(metrics);
  server.close();
  hub.close();
  void feed.stop().finally(() => process.exit(0));
});
