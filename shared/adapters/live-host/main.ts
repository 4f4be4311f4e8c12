import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { storeFromEnv } from "../aws/environment.js";
import { PROBLEM_CONTENT_TYPE } from "../../app/http/gateway-responses.js";
import { toProblem } from "../../app/http/problem.js";
import { streamEvents } from "../../app/live/event-stream.js";
import { prepareEventStream } from "../../app/live/sse-request.js";
import { requiredEnv } from "../../kernel/config.js";
import { UnauthorizedError } from "../../kernel/errors.js";
import { createLogger } from "../../kernel/logger.js";
import { LIVE_ENV, LIVE_HEALTH_PATH } from "./config.js";
import { connectionMetricLine, principalFromHeaders, QueueFeed, queueNameFor, sseRequest } from "./host.js";

/**
 * The live host's program (infra/constructs/live.ts runs it on ECS Fargate): an HTTP server for the two SSE
 * routes behind API Gateway's VPC link. API Gateway authorizes; this trusts only requests that carry the
 * forwarded secret and reads the principal from the forwarded headers. Committed events arrive on the
 * task's own queue and are handed to the serving module; SIGTERM closes the streams (clients resume
 * with Last-Event-ID) and removes the queue.
 */
const logger = createLogger({ service: "live" });
const store = storeFromEnv();
const secret = requiredEnv(LIVE_ENV.forwardSecret);
const port = Number(requiredEnv(LIVE_ENV.port));
const open = new Set<ServerResponse>();

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

function problem(res: ServerResponse, error: unknown, path: string, requestId: string): void {
  const body = { ...toProblem(error, path), requestId };
  if (body.status >= 500) logger.error("stream failed to open", { error });
  res.writeHead(body.status, { "Content-Type": PROBLEM_CONTENT_TYPE });
  res.end(JSON.stringify(body));
}

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  if (url === LIVE_HEALTH_PATH) {
    res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
    return;
  }
  const principal = principalFromHeaders(req.headers, secret);
  if (!principal) {
    problem(res, new UnauthorizedError("Call the API through its stage URL"), url, "");
    return;
  }
  const request = sseRequest(req.method ?? "GET", url, req.headers, principal);
  if (!request) {
    res.writeHead(404, { "Content-Type": PROBLEM_CONTENT_TYPE }).end(
      JSON.stringify({
        type: "about:blank",
        title: "Not Found",
        status: 404,
        detail: "Only the event streams are served here",
      }),
    );
    return;
  }
  let prepared;
  try {
    prepared = await prepareEventStream(request, store);
  } catch (error) {
    problem(res, error, url, request.requestId);
    return;
  }
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" });
  open.add(res);
  let closed = false;
  res.on("close", () => ((closed = true), open.delete(res)));
  try {
    await streamEvents({
      store,
      ...prepared,
      write: (chunk) => void res.write(chunk),
      isClosed: () => closed,
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      now: () => Date.now(),
      pollMs: 1_000,
      heartbeatMs: 10_000,
      maxDurationMs: 14 * 60_000,
      retryMs: 1_000,
    });
  } catch (error) {
    logger.error("stream failed", { error });
  } finally {
    if (!closed) res.end();
  }
}

const server = createServer((req, res) => void serve(req, res));
// Streams last up to 15 minutes: no per-request timeout; the load balancer's idle timeout is longer than a heartbeat.
server.requestTimeout = 0;
server.headersTimeout = 10_000;
server.keepAliveTimeout = 65_000;

const feed = new QueueFeed({
  sqs: new SQSClient({}),
  sns: new SNSClient({}),
  topicArn: requiredEnv(LIVE_ENV.topicArn),
  queueName: queueNameFor(requiredEnv(LIVE_ENV.queuePrefix), await taskId()),
  onEnvelope: () => {},
  logger,
});
await feed.start();
server.listen(port, "0.0.0.0", () => logger.info("live host listening", { port }));

const metricNamespace = requiredEnv(LIVE_ENV.metricNamespace);
const metricService = requiredEnv(LIVE_ENV.metricService);
const metrics = setInterval(
  () => process.stdout.write(connectionMetricLine(metricNamespace, metricService, open.size, Date.now()) + "\n"),
  60_000,
);

process.once("SIGTERM", () => {
  clearInterval(metrics);
  server.close();
  for (const res of open) res.end();
  void feed.stop().finally(() => process.exit(0));
});
