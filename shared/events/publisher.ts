import type { EventEnvelope } from "../kernel/envelope.js";
import { EVENT_SOURCE } from "../kernel/envelope.js";

/**
 * From committed event items to the event bus, within the PutEvents limits: at most 10 entries and
 * 256 KB per request. Only entries the bus reports as failed are resent; what still fails after the
 * attempts is returned so the caller can report those stream records as batch item failures.
 */
export const PUT_EVENTS_MAX_ENTRIES = 10;
export const PUT_EVENTS_MAX_BYTES = 256 * 1024;

export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Time: Date;
  Resources: string[];
}

/** The event-bus port: returns, per entry, an error code or undefined for success. */
export interface EventBusPort {
  putEvents(entries: BusEntry[]): Promise<Array<string | undefined>>;
}

export function toBusEntry(event: EventEnvelope): BusEntry {
  return {
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(event),
    Time: new Date(event.occurredAt),
    Resources: [],
  };
}

/** The size EventBridge charges an entry against the 256 KB limit. */
export function entrySize(entry: BusEntry): number {
  return (
    14 + // Time
    Buffer.byteLength(entry.Source) +
    Buffer.byteLength(entry.DetailType) +
    Buffer.byteLength(entry.Detail) +
    entry.Resources.reduce((n, r) => n + Buffer.byteLength(r), 0)
  );
}

/** Pure: splits items into PutEvents-sized chunks, keeping their order. */
export function chunkEntries<T>(items: T[], entryOf: (item: T) => BusEntry): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = entrySize(entryOf(item));
    if (size > PUT_EVENTS_MAX_BYTES) throw new Error(`event entry of ${size} bytes exceeds the PutEvents limit`);
    if (current.length === PUT_EVENTS_MAX_ENTRIES || bytes + size > PUT_EVENTS_MAX_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface PublishOptions {
  attempts?: number;
  backoffMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Publishes events keyed by an opaque record id; resolves to the keys that could not be published.
 */
export async function publishEvents<K>(
  bus: EventBusPort,
  events: Array<{ key: K; event: EventEnvelope }>,
  options: PublishOptions = {},
): Promise<K[]> {
  const attempts = options.attempts ?? 3;
  const backoff = options.backoffMs ?? ((attempt) => 100 * 2 ** attempt);
  const sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  let pending = events.map(({ key, event }) => ({ key, entry: toBusEntry(event) }));
  for (let attempt = 0; attempt < attempts && pending.length > 0; attempt++) {
    if (attempt > 0) await sleep(backoff(attempt));
    const failed: typeof pending = [];
    for (const chunk of chunkEntries(pending, (p) => p.entry)) {
      let results: Array<string | undefined>;
      try {
        results = await bus.putEvents(chunk.map((p) => p.entry));
      } catch {
        // The whole request failed (network, throttling): every entry in it is retried.
        results = chunk.map(() => "RequestFailed");
      }
      chunk.forEach((p, i) => {
        if (results[i] !== undefined) failed.push(p);
      });
    }
    pending = failed;
  }
  return pending.map((p) => p.key);
}
