import { timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ListQueueTagsCommand,
  ReceiveMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { SubscribeCommand, UnsubscribeCommand, type SNSClient } from "@aws-sdk/client-sns";
import { isAwsError } from "../aws/client/aws-client.js";
import { PROBLEM_CONTENT_TYPE } from "../../app/http/gateway-responses.js";
import { toProblem } from "../../app/http/problem.js";
import type { ApiRequest } from "../../app/http/request.js";
import type { LiveServer } from "../../app/live/server.js";
import { NotFoundError, UnauthorizedError } from "../../kernel/errors.js";
import { ROUTES, type OperationId } from "../../app/http/routes.js";
import { EventEnvelopeSchema, type EventEnvelope } from "../../kernel/envelope.js";
import type { Logger } from "../../kernel/logger.js";
import type { Principal } from "../../kernel/tenancy.js";
import { participantFromContext } from "../../domain/auth/participant-tokens.js";
import { FORWARDED_HEADERS, LIVE_HEALTH_PATH, LIVE_METRIC } from "./config.js";

/**
 * The AWS-specific parts of the live host (shared/adapters/live-host/main.ts, its container entry: functions/ holds only Lambda entries), kept free of side effects so they
 * are tested directly: who is calling (from the headers API Gateway forwards), which SSE route a path is,
 * and the per-task queue that feeds the hub.
 */

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The principal API Gateway's authorizer resolved, or undefined unless the request carries the shared
 * secret and the whole context: the host serves only requests that came through the API.
 */
export function principalFromHeaders(headers: IncomingHttpHeaders, secret: string): Principal | undefined {
  const given = header(headers, FORWARDED_HEADERS.secret);
  if (!secret || !given || !sameSecret(given, secret)) return undefined;
  const tenantId = header(headers, FORWARDED_HEADERS.tenantId);
  const projectScope = header(headers, FORWARDED_HEADERS.projectScope);
  const keyId = header(headers, FORWARDED_HEADERS.keyId);
  if (!tenantId || !projectScope || !keyId) return undefined;
  if (header(headers, FORWARDED_HEADERS.credential) === "participant") {
    const participantId = header(headers, FORWARDED_HEADERS.participantId);
    if (!participantId) return undefined;
    return {
      tenantId,
      projectScope,
      keyId,
      credential: "participant",
      ...participantFromContext({
        participantId,
        gatherings: header(headers, FORWARDED_HEADERS.gatherings),
        expiresAt: header(headers, FORWARDED_HEADERS.expiresAt),
      }),
    };
  }
  const credential = header(headers, FORWARDED_HEADERS.credential) === "bot" ? "bot" : "api";
  return { tenantId, projectScope, keyId, credential, ...(credential === "bot" && { actorType: "bot" as const }) };
}

const SSE_ROUTES = ROUTES.filter((r) => r.handler === "sse").map((r) => {
  const names: string[] = [];
  const source = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => (names.push(name), "([^/]+)"));
  return { operationId: r.operationId as OperationId, pattern: new RegExp(`^${source}$`), names };
});

/**
 * The ApiRequest of an SSE route (`url` as the request line has it), or undefined for any other path.
 * Headers other than the forwarded context are passed on lower-cased (Last-Event-ID, Accept).
 */
export function sseRequest(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  principal: Principal,
): ApiRequest | undefined {
  // GET only: the SSE routes have no HEAD method (routeMethods).
  if (method !== "GET") return undefined;
  const parsed = new URL(url, "http://live.invalid");
  for (const route of SSE_ROUTES) {
    const match = route.pattern.exec(parsed.pathname);
    if (!match) continue;
    let params: Record<string, string>;
    try {
      params = Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
    } catch {
      return undefined;
    }
    const plain: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value === "string" && !name.startsWith("x-cortex-") && name !== "authorization") plain[name] = value;
    }
    return {
      operationId: route.operationId,
      params,
      query: Object.fromEntries(parsed.searchParams),
      headers: plain,
      body: undefined,
      principal,
      requestId: header(headers, FORWARDED_HEADERS.requestId) ?? "",
    };
  }
  return undefined;
}

/** The committed event in an SQS message body: an EventBridge event delivered raw by SNS (`detail`). */
export function envelopeOf(body: string | undefined): EventEnvelope | undefined {
  if (!body) return undefined;
  try {
    const parsed = EventEnvelopeSchema.safeParse((JSON.parse(body) as { detail?: unknown }).detail);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** A queue name from the prefix and the task's id (SQS: 80 characters of [A-Za-z0-9_-]). */
export function queueNameFor(prefix: string, taskId: string): string {
  return `${prefix}-${taskId.replace(/[^A-Za-z0-9_-]/g, "")}`.slice(0, 80);
}

export interface QueueFeedOptions {
  sqs: SQSClient;
  sns: SNSClient;
  topicArn: string;
  /** The prefix every task's queue is named with (queueNameFor); the sweep looks at these queues only. */
  queuePrefix: string;
  queueName: string;
  onEnvelope: (envelope: EventEnvelope) => void;
  logger: Logger;
  /** How often the task marks its queue alive (default 5 minutes). */
  heartbeatMs?: number;
  /** After how long without a mark another task's queue is an orphan (default 15 minutes: three marks missed). */
  staleAfterMs?: number;
  /** How often the task sweeps orphans, besides once at start (default 15 minutes). */
  sweepEveryMs?: number;
  /** The long poll's wait (default 20 s, SQS's longest). */
  receiveWaitSeconds?: number;
  now?: () => number;
}

/** The tags on a task's queue: what it is, when its task last said it was alive, and its subscription. */
export const FEED_TAGS = { role: "cortex:role", aliveAt: "cortex:alive-at", subscription: "cortex:subscription" };
const FEED_ROLE = "live-feed";
const MINUTE = 60_000;

/** SQS's answer for a queue that does not exist (JSON protocol name, or the query-compatible code). */
function queueGone(error: unknown): boolean {
  return (
    isAwsError(error, "QueueDoesNotExist") ||
    isAwsError(error, "AWS.SimpleQueueService.NonExistentQueue") ||
    (error as { Code?: unknown } | undefined)?.Code === "AWS.SimpleQueueService.NonExistentQueue"
  );
}

/** SNS's answer for a subscription that no longer exists. */
const subscriptionGone = (error: unknown) => isAwsError(error, "NotFoundException") || isAwsError(error, "NotFound");

/**
 * This task's share of the committed events: its own queue, subscribed (raw delivery) to the topic the
 * bus feeds, created at start and deleted at stop. One long poll at a time (20 s, 10 messages): an idle
 * task makes 3 requests a minute, whatever its number of watchers.
 *
 * A task stopped without SIGTERM (killed, out of memory, its host lost) cannot remove its queue, so every
 * task marks its own queue alive (a tag, every `heartbeatMs`) and sweeps the others' (at start, then every
 * `sweepEveryMs`): a queue under the prefix whose mark is older than `staleAfterMs` is unsubscribed and
 * deleted. A queue without a mark is left alone (nothing says whether its task is alive). If its own queue
 * is deleted under it, the task creates it again.
 */
export class QueueFeed {
  #queueUrl?: string;
  #subscriptionArn?: string;
  #stopped = false;
  readonly #abort = new AbortController();
  readonly #timers: NodeJS.Timeout[] = [];
  /** The receive loop, awaited by stop() so no receive outlives the queue. */
  #loop?: Promise<void>;

  constructor(private readonly options: QueueFeedOptions) {}

  get #now(): number {
    return (this.options.now ?? Date.now)();
  }

  async start(): Promise<void> {
    const { heartbeatMs = 5 * MINUTE, sweepEveryMs = 15 * MINUTE, logger } = this.options;
    const queueUrl = await this.#setUp();
    this.#loop = this.#receive(queueUrl);
    const sweep = () =>
      this.sweep().catch((error: unknown) => logger.warn("live feed: sweep of orphaned queues failed", { error }));
    void sweep(); // in the background: serving does not wait for other tasks' queues
    this.#timers.push(
      setInterval(() => void this.#markAlive(), heartbeatMs).unref(),
      setInterval(() => void sweep(), sweepEveryMs).unref(),
    );
  }

  /** Creates the queue (marked alive), lets the topic send to it and subscribes it. */
  async #setUp(): Promise<string> {
    const { sqs, sns, topicArn, queueName } = this.options;
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: queueName,
        // Events older than the safety poll are caught up from the table anyway.
        Attributes: {
          MessageRetentionPeriod: "300",
          ReceiveMessageWaitTimeSeconds: "20",
          SqsManagedSseEnabled: "true",
        },
        tags: { [FEED_TAGS.role]: FEED_ROLE, [FEED_TAGS.aliveAt]: new Date(this.#now).toISOString() },
      }),
    );
    const queueUrl = created.QueueUrl!;
    this.#queueUrl = queueUrl;
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
    );
    const queueArn = attributes.Attributes!.QueueArn!;
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          Policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Service: "sns.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: queueArn,
                Condition: { ArnEquals: { "aws:SourceArn": topicArn } },
              },
            ],
          }),
        },
      }),
    );
    const subscribed = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: "sqs",
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: "true" },
        ReturnSubscriptionArn: true,
      }),
    );
    this.#subscriptionArn = subscribed.SubscriptionArn;
    // So a task that sweeps this queue as an orphan can remove the subscription too.
    if (subscribed.SubscriptionArn) {
      await sqs.send(
        new TagQueueCommand({ QueueUrl: queueUrl, Tags: { [FEED_TAGS.subscription]: subscribed.SubscriptionArn } }),
      );
    }
    return queueUrl;
  }

  async #markAlive(): Promise<void> {
    if (this.#stopped || !this.#queueUrl) return;
    try {
      await this.options.sqs.send(
        new TagQueueCommand({
          QueueUrl: this.#queueUrl,
          Tags: { [FEED_TAGS.aliveAt]: new Date(this.#now).toISOString() },
        }),
      );
    } catch (error) {
      // Three misses in a row make the queue an orphan to the others; the receive loop recreates it then.
      this.options.logger.warn("live feed: marking the queue alive failed", { error });
    }
  }

  /** Removes the queues (and their subscriptions) of tasks that stopped marking theirs; returns how many. */
  async sweep(): Promise<number> {
    const { sqs, queuePrefix, logger } = this.options;
    let removed = 0;
    let NextToken: string | undefined;
    do {
      const page = await sqs.send(
        new ListQueuesCommand({ QueueNamePrefix: `${queuePrefix}-`, MaxResults: 1000, NextToken }),
      );
      for (const queueUrl of page.QueueUrls ?? []) {
        if (queueUrl !== this.#queueUrl && (await this.#removeIfOrphaned(queueUrl))) removed++;
      }
      NextToken = page.NextToken;
    } while (NextToken);
    if (removed > 0) logger.info("live feed: removed orphaned queues", { removed });
    return removed;
  }

  async #removeIfOrphaned(queueUrl: string): Promise<boolean> {
    const { sqs, sns, staleAfterMs = 15 * MINUTE } = this.options;
    let tags: Record<string, string>;
    try {
      tags = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }))).Tags ?? {};
    } catch (error) {
      if (queueGone(error)) return false; // another task swept it first
      throw error;
    }
    const aliveAt = Date.parse(tags[FEED_TAGS.aliveAt] ?? "");
    if (tags[FEED_TAGS.role] !== FEED_ROLE || !Number.isFinite(aliveAt) || this.#now - aliveAt < staleAfterMs) {
      return false;
    }
    const subscriptionArn = tags[FEED_TAGS.subscription];
    if (subscriptionArn) {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn })).catch((error: unknown) => {
        if (!subscriptionGone(error)) throw error;
      });
    }
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch((error: unknown) => {
      if (!queueGone(error)) throw error;
    });
    return true;
  }

  async #receive(queueUrl: string): Promise<void> {
    const { sqs, onEnvelope, logger, receiveWaitSeconds = 20 } = this.options;
    while (!this.#stopped) {
      try {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: receiveWaitSeconds,
          }),
          { abortSignal: this.#abort.signal },
        );
        for (const message of Messages) {
          const envelope = envelopeOf(message.Body);
          if (envelope) onEnvelope(envelope);
          else logger.warn("live feed: message without an event", { messageId: message.MessageId });
        }
        if (Messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
      } catch (error) {
        if (this.#stopped) return;
        // The hub's safety poll covers what is missed meanwhile.
        if (queueGone(error)) {
          logger.warn("live feed: the queue was deleted; creating it again");
          queueUrl = await this.#setUp().catch((setUpError: unknown) => {
            // SQS refuses a deleted queue's name for 60 s (QueueDeletedRecently): try again shortly.
            logger.warn("live feed: creating the queue again failed", { error: setUpError });
            return queueUrl;
          });
        } else logger.error("live feed: receive failed", { error });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  /** Unsubscribes and deletes the queue (a task stopped without it leaves an orphan the others sweep). */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#abort.abort();
    await this.#loop;
    const { sqs, sns, logger } = this.options;
    try {
      if (this.#subscriptionArn) await sns.send(new UnsubscribeCommand({ SubscriptionArn: this.#subscriptionArn }));
      if (this.#queueUrl) await sqs.send(new DeleteQueueCommand({ QueueUrl: this.#queueUrl }));
    } catch (error) {
      logger.warn("live feed: cleanup failed", { error });
    }
  }
}

/** One CloudWatch embedded-metric-format line (the awslogs driver turns it into the scaling metric). */
export function connectionMetricLine(namespace: string, service: string, connections: number, now: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        { Namespace: namespace, Dimensions: [["Service"]], Metrics: [{ Name: LIVE_METRIC.name, Unit: "Count" }] },
      ],
    },
    Service: service,
    [LIVE_METRIC.name]: connections,
  });
}

function refuse(res: ServerResponse, error: unknown, path: string): void {
  const body = toProblem(error, path);
  res.writeHead(body.status, { "Content-Type": PROBLEM_CONTENT_TYPE }).end(JSON.stringify(body));
}

/**
 * The host's request handler: the load balancer's health check, then only the SSE routes, only for
 * requests API Gateway forwarded (the secret and the authorizer's context), served by `live`.
 */
export function liveHostHandler(deps: {
  secret: string;
  live: LiveServer;
  logger: Logger;
}): (req: IncomingMessage, res: ServerResponse) => void {
  const { secret, live, logger } = deps;
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const path = url.split("?")[0] ?? "/";
    if (path === LIVE_HEALTH_PATH) {
      res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
      return;
    }
    const principal = principalFromHeaders(req.headers, secret);
    if (!principal) return refuse(res, new UnauthorizedError("Call the API through its stage URL"), path);
    const request = sseRequest(req.method ?? "GET", url, req.headers, principal);
    if (!request) return refuse(res, new NotFoundError("Only the event streams are served here"), path);
    await live.serve(request, res, path);
  }
  return (req, res) => {
    serve(req, res).catch((error: unknown) => {
      logger.error("stream failed to open", { error });
      if (!res.headersSent) refuse(res, error, "/");
      else res.end();
    });
  };
}
