import { EventEnvelopeSchema, type EventEnvelope } from "../../kernel/envelope.js";
import { aggregatePk, aggregateRootKey, eventRangeAfter, type AggregateType } from "../../store/keys.js";
import type { Store } from "../../store/store.js";

/**
 * Server-sent events for one aggregate: everything after a version, in version order, then live.
 *
 * The stream tails the aggregate's event items (consistent Query on `version >`), so what a watcher gets
 * is exactly the committed log: `id:` is the version, versions are consecutive, and a reconnect with
 * Last-Event-ID resumes with no gap and no duplicate. When the requested version is older than the
 * replay window (its events have expired), the client is told to reload its snapshot (`event: reset`).
 */
export interface EventStreamOptions {
  store: Store;
  aggregate: { type: AggregateType; tenantId: string; projectId: string; id: string };
  /** Send events with a version greater than this. */
  after: number;
  /** Event type filter (already validated); undefined = everything. */
  matches?: (type: string) => boolean;
  write: (chunk: string) => void;
  isClosed: () => boolean;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  pollMs: number;
  heartbeatMs: number;
  /** End cleanly before the platform's limit; the client reconnects with Last-Event-ID. */
  maxDurationMs: number;
  retryMs: number;
}

export function formatEvent(event: EventEnvelope): string {
  return `id: ${event.version}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function formatControl(name: string, data: Record<string, unknown>): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Parses a Last-Event-ID / ?after= value: a non-negative integer version. */
export function parseVersion(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  return /^\d{1,15}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
}

async function eventsAfter(options: EventStreamOptions, after: number, limit: number): Promise<EventEnvelope[]> {
  const page = await options.store.query({
    pk: aggregatePk(options.aggregate.type, options.aggregate, options.aggregate.id),
    between: eventRangeAfter(after),
    consistent: true,
    limit,
  });
  return page.items.map((item) => EventEnvelopeSchema.parse(item.event));
}

export type StreamEnd = "closed" | "max-duration" | "reset" | "gone";

export async function streamEvents(options: EventStreamOptions): Promise<StreamEnd> {
  const started = options.now();
  const { write } = options;
  write(
    `retry: ${options.retryMs}\n: watching ${options.aggregate.type}:${options.aggregate.id} after ${options.after}\n\n`,
  );

  const root = await options.store.get(
    aggregateRootKey(options.aggregate.type, options.aggregate, options.aggregate.id),
    { consistent: true },
  );
  const current = typeof root?.version === "number" ? root.version : 0;
  if (options.after > current) {
    write(formatControl("reset", { reason: "version_ahead", version: current }));
    return "reset";
  }
  const first = options.after < current ? (await eventsAfter(options, options.after, 1))[0] : undefined;
  if (options.after < current && first?.version !== options.after + 1) {
    // The events right after `after` expired: the client must reload its snapshot and watch from it.
    write(formatControl("reset", { reason: "replay_window_exceeded", version: current }));
    return "reset";
  }

  let last = options.after;
  let lastWrite = options.now();
  while (!options.isClosed()) {
    if (options.now() - started >= options.maxDurationMs) {
      write(formatControl("end", { reason: "max_duration", lastEventId: last }));
      return "max-duration";
    }
    const batch = await eventsAfter(options, last, 100);
    for (const event of batch) {
      if (event.version !== last + 1) {
        // Only possible if events expired while we were streaming.
        write(formatControl("reset", { reason: "replay_window_exceeded", version: event.version }));
        return "reset";
      }
      last = event.version;
      if (options.matches && !options.matches(event.type)) continue;
      write(formatEvent(event));
      lastWrite = options.now();
    }
    if (batch.length === 100) continue;
    if (options.now() - lastWrite >= options.heartbeatMs) {
      write(`: heartbeat ${new Date(options.now()).toISOString()}\n\n`);
      lastWrite = options.now();
    }
    await options.sleep(options.pollMs);
  }
  return "closed";
}
