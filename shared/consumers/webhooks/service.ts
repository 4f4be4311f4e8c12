import { NotFoundError, ValidationError } from "../../kernel/errors.js";
import { listActivityEvent } from "../activity.js";
import { EventEnvelopeSchema, type EventEnvelope } from "../../kernel/envelope.js";
import * as z from "../../kernel/zod.js";
import { EVENT_TYPES } from "../../events/catalog.js";
import type { Scope } from "../../kernel/tenancy.js";
import { isId, newId } from "../../kernel/ids.js";
import type { Clock } from "../../kernel/clock.js";
import {
  eventAttemptsPk,
  webhookAttemptKeys,
  webhookAttemptsPk,
  webhookFanoutKey,
  webhookKey,
  webhooksPk,
} from "../../store/keys.js";
import { TransactionCancelledError, type Page, type Store } from "../../store/store.js";
import { deliverWebhook, type DeliveryResult } from "./deliver.js";
import { matchesFilters, validateEventFilters } from "../../events/filter.js";
import {
  DeliveryAttemptSchema,
  WebhookEndpointSchema,
  type CreateWebhookBody,
  type DeliveryAttempt,
  type UpdateWebhookBody,
  type WebhookEndpoint,
} from "./model.js";
import { retryDelayMs } from "./retry-schedule.js";
import { activeSecrets, generateWebhookSecret, webhookHeaders, type EndpointSecret } from "./signature.js";
import { validateWebhookUrl, type UrlPolicy } from "./url-guard.js";

/**
 * Webhook endpoints, fan-out and delivery. Fan-out (an EventBridge rule target) puts one message per
 * matching endpoint on the delivery queue; the delivery worker (the queue's consumer) makes one attempt,
 * records it, and schedules the next per the Standard Webhooks schedule. Queues, not the publisher, carry
 * retries; messages that keep failing for infrastructure reasons land in the queue's DLQ.
 */
export const DeliveryMessageSchema = z.object({
  tenantId: z.string(),
  projectId: z.string(),
  webhookId: z.string(),
  event: EventEnvelopeSchema,
  attempt: z.number().check(z.int(), z.positive()),
  replay: z.boolean(),
  /** Epoch ms before which the attempt must not run (retries longer than the queue's 15-minute delay). */
  notBefore: z.optional(z.number()),
});
export type DeliveryMessage = z.infer<typeof DeliveryMessageSchema>;

/** The delivery-queue port (SQS on AWS and locally). */
export interface DeliveryQueue {
  send(message: DeliveryMessage, delaySeconds: number): Promise<void>;
}

export interface WebhookConfig extends UrlPolicy {
  /** Multiplies the retry schedule (1 on AWS; small locally and in tests). */
  retryScale: number;
  timeoutMs: number;
}

export interface WebhookDeps {
  store: Store;
  clock: Clock;
  queue: DeliveryQueue;
  config: WebhookConfig;
}

const DEFAULT_GRACE_SECONDS = 24 * 3600;
/** SQS's longest message delay. */
const MAX_QUEUE_DELAY_SECONDS = 900;

interface StoredEndpoint extends WebhookEndpoint {
  /** Not public (the endpoint's key carries it); kept so the item names its owner. */
  tenantId: string;
  secrets: EndpointSecret[];
}

function toPublic(stored: StoredEndpoint): WebhookEndpoint {
  return WebhookEndpointSchema.parse(stored);
}

function validate(body: { url?: string; events?: string[] }, config: UrlPolicy): void {
  const issues = [
    ...(body.url !== undefined ? validateWebhookUrl(body.url, config) : []),
    ...(body.events !== undefined ? validateEventFilters(body.events, EVENT_TYPES, "events") : []),
  ];
  if (issues.length > 0) throw new ValidationError("The webhook endpoint is not valid", issues);
}

async function load(store: Store, scope: Scope, webhookId: string): Promise<StoredEndpoint> {
  if (!isId("webhook", webhookId)) throw new NotFoundError(`webhook ${webhookId} not found`);
  const item = await store.get(webhookKey(scope, webhookId), { consistent: true });
  if (!item) throw new NotFoundError(`webhook ${webhookId} not found`);
  return item as unknown as StoredEndpoint;
}

async function save(store: Store, endpoint: StoredEndpoint): Promise<void> {
  await store.transact([{ op: "put", item: { ...webhookKey(endpoint, endpoint.id), kind: "webhook", ...endpoint } }]);
}

export async function createWebhook(deps: Omit<WebhookDeps, "queue">, scope: Scope, body: CreateWebhookBody) {
  validate(body, deps.config);
  const at = deps.clock.now().toISOString();
  const secret = generateWebhookSecret();
  const endpoint: StoredEndpoint = {
    id: newId("webhook"),
    tenantId: scope.tenantId,
    projectId: scope.projectId,
    url: body.url,
    events: body.events ?? [],
    enabled: body.enabled ?? true,
    ...(body.description !== undefined && { description: body.description }),
    secrets: [{ secret }],
    createdAt: at,
    updatedAt: at,
  };
  await save(deps.store, endpoint);
  return { ...toPublic(endpoint), secret };
}

export async function getWebhook(store: Store, scope: Scope, webhookId: string): Promise<WebhookEndpoint> {
  return toPublic(await load(store, scope, webhookId));
}

export async function listWebhooks(
  store: Store,
  scope: Scope,
  page: { limit?: number; cursor?: string },
): Promise<Page<WebhookEndpoint>> {
  const result = await store.query({
    pk: webhooksPk(scope),
    consistent: true,
    limit: page.limit ?? 50,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
  });
  return {
    items: result.items.map((i) => toPublic(i as unknown as StoredEndpoint)),
    ...(result.nextCursor && { nextCursor: result.nextCursor }),
  };
}

export async function updateWebhook(
  deps: Omit<WebhookDeps, "queue">,
  scope: Scope,
  webhookId: string,
  body: UpdateWebhookBody,
): Promise<WebhookEndpoint> {
  validate(body, deps.config);
  const current = await load(deps.store, scope, webhookId);
  const next: StoredEndpoint = { ...current, ...body, updatedAt: deps.clock.now().toISOString() };
  // Re-enabling clears the reason it was switched off.
  if (body.enabled === true) delete next.disabledReason;
  await save(deps.store, next);
  return toPublic(next);
}

export async function deleteWebhook(store: Store, scope: Scope, webhookId: string): Promise<void> {
  await load(store, scope, webhookId);
  await store.transact([{ op: "delete", key: webhookKey(scope, webhookId) }]);
}

/** A new secret signs from now on; the previous one keeps signing until the grace period ends. */
export async function rotateWebhookSecret(
  deps: Omit<WebhookDeps, "queue">,
  scope: Scope,
  webhookId: string,
  graceSeconds = DEFAULT_GRACE_SECONDS,
) {
  const current = await load(deps.store, scope, webhookId);
  const now = deps.clock.now();
  const secret = generateWebhookSecret();
  const until = new Date(now.getTime() + graceSeconds * 1000).toISOString();
  const kept = current.secrets
    .filter((s) => s.expiresAt === undefined || Date.parse(s.expiresAt) > now.getTime())
    .map((s) => ({
      secret: s.secret,
      expiresAt: s.expiresAt !== undefined && s.expiresAt < until ? s.expiresAt : until,
    }));
  const next: StoredEndpoint = { ...current, secrets: [{ secret }, ...kept], updatedAt: now.toISOString() };
  await save(deps.store, next);
  return { ...toPublic(next), secret };
}

export async function listAttempts(
  store: Store,
  scope: Scope,
  by: { webhookId: string } | { eventId: string },
  page: { limit?: number; cursor?: string },
): Promise<Page<DeliveryAttempt>> {
  if ("webhookId" in by) await load(store, scope, by.webhookId);
  const result = await store.query({
    ...("webhookId" in by
      ? { pk: webhookAttemptsPk(scope, by.webhookId), consistent: true }
      : { pk: eventAttemptsPk(scope, by.eventId), index: "GSI1" }),
    descending: true,
    limit: page.limit ?? 50,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
  });
  return {
    items: result.items.map((i) => DeliveryAttemptSchema.parse(i)),
    ...(result.nextCursor && { nextCursor: result.nextCursor }),
  };
}

/** Delivers one recorded event to an endpoint again, now (attempt numbering starts over, marked replay). */
export async function replayEvent(deps: WebhookDeps, scope: Scope, webhookId: string, eventId: string): Promise<void> {
  await load(deps.store, scope, webhookId);
  const event = await listActivityEvent(deps.store, scope, eventId);
  if (!event) throw new NotFoundError(`event ${eventId} not found (events are kept for the replay window)`);
  await deps.queue.send(
    { tenantId: scope.tenantId, projectId: scope.projectId, webhookId, event, attempt: 1, replay: true },
    0,
  );
}

/** Fan-out: one delivery message per enabled endpoint whose filters match; a redelivered event is not fanned out twice. */
export async function fanOut(
  deps: Pick<WebhookDeps, "store" | "queue" | "clock">,
  event: EventEnvelope,
): Promise<number> {
  let queued = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.query({ pk: webhooksPk(event), limit: 100, ...(cursor && { cursor }) });
    for (const item of page.items) {
      const endpoint = item as unknown as StoredEndpoint;
      if (!endpoint.enabled || !matchesFilters(endpoint.events, event.type)) continue;
      const marker = webhookFanoutKey(event, endpoint.id, event.id);
      if (await deps.store.get(marker)) continue;
      await deps.queue.send(
        {
          tenantId: event.tenantId,
          projectId: event.projectId,
          webhookId: endpoint.id,
          event,
          attempt: 1,
          replay: false,
        },
        0,
      );
      // Written after the send: a crash in between repeats the message (same webhook-id), never loses it.
      await deps.store.transact([
        {
          op: "put",
          item: { ...marker, kind: "fanout", expiresAt: Math.floor(deps.clock.now().getTime() / 1000) + 7 * 86_400 },
        },
      ]);
      queued++;
    }
    cursor = page.nextCursor;
  } while (cursor);
  return queued;
}

/** One delivery attempt, recorded; the next one is queued per the schedule, or the endpoint is disabled on 410. */
export async function attemptDelivery(
  deps: WebhookDeps,
  message: DeliveryMessage,
): Promise<DeliveryResult | "deferred" | "skipped"> {
  const now = deps.clock.now();
  if (message.notBefore !== undefined && message.notBefore > now.getTime()) {
    const wait = Math.ceil((message.notBefore - now.getTime()) / 1000);
    await deps.queue.send(message, Math.min(wait, MAX_QUEUE_DELAY_SECONDS));
    return "deferred";
  }
  const item = await deps.store.get(webhookKey(message, message.webhookId), { consistent: true });
  const endpoint = item as unknown as StoredEndpoint | undefined;
  if (!endpoint || !endpoint.enabled) return "skipped";

  const payload = JSON.stringify(message.event);
  const headers = webhookHeaders({
    msgId: message.event.id,
    timestamp: Math.floor(now.getTime() / 1000),
    payload,
    secrets: activeSecrets(endpoint.secrets, now),
  });
  const result = await deliverWebhook({
    url: endpoint.url,
    body: payload,
    headers,
    timeoutMs: deps.config.timeoutMs,
    allowPrivate: deps.config.allowPrivate,
    allowHttp: deps.config.allowHttp,
  });
  const attemptId = newId("attempt", deps.clock.now().getTime());
  const attempt: DeliveryAttempt = {
    id: attemptId,
    webhookId: endpoint.id,
    eventId: message.event.id,
    eventType: message.event.type,
    attempt: message.attempt,
    ok: result.ok,
    ...(result.status !== undefined && { status: result.status }),
    ...(result.error !== undefined && { error: result.error }),
    durationMs: Math.round(result.durationMs),
    replay: message.replay,
    at: now.toISOString(),
  };
  await deps.store.transact([
    {
      op: "put",
      item: {
        ...webhookAttemptKeys(message, endpoint.id, message.event.id, attemptId),
        kind: "webhookAttempt",
        ...attempt,
        expiresAt: Math.floor(now.getTime() / 1000) + 30 * 86_400,
      },
    },
  ]);
  if (result.ok) return result;
  if (result.gone) {
    // 410 Gone: the receiver asks us to stop. Other failures only retry.
    await updateEndpointIfPresent(deps, endpoint, { enabled: false, disabledReason: "the receiver answered 410 Gone" });
    return result;
  }
  const delay = retryDelayMs(message.attempt + 1, deps.config.retryScale);
  if (delay !== undefined) {
    await deps.queue.send(
      { ...message, attempt: message.attempt + 1, notBefore: now.getTime() + delay },
      Math.min(Math.ceil(delay / 1000), MAX_QUEUE_DELAY_SECONDS),
    );
  }
  return result;
}

async function updateEndpointIfPresent(
  deps: Pick<WebhookDeps, "store" | "clock">,
  endpoint: StoredEndpoint,
  change: Partial<StoredEndpoint>,
): Promise<void> {
  try {
    await deps.store.transact([
      {
        op: "put",
        item: {
          ...webhookKey(endpoint, endpoint.id),
          kind: "webhook",
          ...endpoint,
          ...change,
          updatedAt: deps.clock.now().toISOString(),
        },
        condition: { kind: "exists" },
      },
    ]);
  } catch (error) {
    if (!(error instanceof TransactionCancelledError)) throw error; // deleted meanwhile: nothing to disable
  }
}
