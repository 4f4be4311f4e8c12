import { EventEnvelopeSchema, type EventEnvelope } from "../../kernel/envelope.js";
import { logResourceOf } from "../../events/catalog.js";
import { aggregatePk, eventRangeAfter, type AggregateType } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { formatControl, formatEvent } from "./event-stream.js";

/**
 * Live delivery by in-memory fan-out: ONE feed per watched aggregate per process, however many watchers.
 *
 * A feed knows the last version it delivered. It is fed committed events (`notify`): the next version is
 * written to every watcher with no read; a version that skips ahead makes the feed read the log once
 * (`version > last`) and deliver in order; older versions and duplicates are ignored. A new watcher
 * catches up from the log with one query from its `after` and joins the feed with no gap or duplicate at
 * the seam: a feed's operations (notifications, joins, reads) run one at a time, in order, so nothing is
 * delivered to the feed while a watcher is between its catch-up and its place in the feed. While a feed
 * has watchers and hears nothing, a safety read every `safetyPollMs` catches a lost notification; there
 * are no other reads. One timer for the whole hub sends heartbeats and ends streams at their time limit.
 *
 * A watcher whose socket has more than `maxBufferedBytes` waiting is a slow consumer: it is ended with a
 * resumable close (`event: end`, `reason: "slow_consumer"`, `lastEventId`). Writes never wait for a
 * socket, so one hot aggregate's watchers cannot hold up another aggregate's.
 */
export interface LiveAggregate {
  type: AggregateType;
  tenantId: string;
  projectId: string;
  id: string;
}

/** Where a watcher's stream goes: a node `ServerResponse` fits. */
export interface LiveSink {
  write(chunk: string): unknown;
  end(): unknown;
  /** Bytes written but not yet handed to the network. */
  readonly writableLength: number;
  /** Drops the connection (a slow consumer that still has not read its end message after a grace period). */
  destroy?(): unknown;
}

/** How long a slow consumer's connection may stay after its end message before it is dropped. */
const SLOW_CONSUMER_GRACE_MS = 10_000;

export type WatchEnd = "closed" | "max-duration" | "reset" | "slow-consumer" | "failed" | "hub-closed";

export interface WatchRequest {
  aggregate: LiveAggregate;
  /** Send events with a version greater than this. */
  after: number;
  /** The aggregate's version when the request was checked, if known (`reset` reports it). */
  current?: number;
  /** Event type filter; undefined = everything. */
  matches?: (type: string) => boolean;
  sink: LiveSink;
  onEnd?: (end: WatchEnd) => void;
}

export interface LiveWatch {
  /** The client went away: stop writing to it (no end message). */
  close(): void;
}

export interface LiveHubOptions {
  store: Store;
  heartbeatMs: number;
  /** End a stream cleanly after this long; the client resumes with Last-Event-ID. */
  maxDurationMs: number;
  /** While a feed has watchers and has heard nothing for this long, it reads the log once. Default 20 s. */
  safetyPollMs?: number;
  /** A watcher with more than this many bytes waiting on its socket is dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** The shared timer's period (heartbeats, time limits, safety reads). Default min(250 ms, heartbeat). */
  tickMs?: number;
  /** Events per catch-up page. Default 100. */
  pageSize?: number;
  now?: () => number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface LiveHubStats {
  feeds: number;
  watchers: number;
  /** Event log queries since the hub started (catch-ups, gap fills, safety reads). */
  reads: number;
  /** Events delivered to feeds (each once, whatever the number of watchers). */
  events: number;
  /** Event messages written to watchers. */
  writes: number;
  slowConsumers: number;
}

interface Watcher {
  request: WatchRequest;
  /** The last version this watcher has been sent (or skipped by its filter). */
  last: number;
  started: number;
  lastWrite: number;
  ended: boolean;
  feed: Feed;
}

type Op = { kind: "notify"; event: EventEnvelope } | { kind: "join"; watcher: Watcher } | { kind: "poll" };

interface Feed {
  key: string;
  aggregate: LiveAggregate;
  /** The last version delivered to this feed; undefined until its first read. */
  last: number | undefined;
  watchers: Set<Watcher>;
  ops: Op[];
  running: boolean;
  /** When the feed last heard of its aggregate (a notification or a read). */
  heard: number;
}

export function aggregateKey(a: Pick<LiveAggregate, "tenantId" | "projectId" | "type" | "id">): string {
  return `${a.tenantId}/${a.projectId}/${a.type}:${a.id}`;
}

/** The feed of the aggregate whose log holds the event (a message's annotation: its session's). */
function keyOfEvent(event: EventEnvelope): string {
  return `${event.tenantId}/${event.projectId}/${logResourceOf(event)}`;
}

export class LiveHub {
  private readonly feeds = new Map<string, Feed>();
  private readonly watchers = new Set<Watcher>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly safetyPollMs: number;
  private readonly maxBufferedBytes: number;
  private readonly pageSize: number;
  private readonly log: (message: string, fields?: Record<string, unknown>) => void;
  private closed = false;
  private readonly counters = { reads: 0, events: 0, writes: 0, slowConsumers: 0 };

  constructor(private readonly options: LiveHubOptions) {
    this.now = options.now ?? Date.now;
    this.safetyPollMs = options.safetyPollMs ?? 20_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.pageSize = options.pageSize ?? 100;
    this.log = options.log ?? (() => undefined);
    this.timer = setInterval(() => this.tick(), options.tickMs ?? Math.min(250, options.heartbeatMs));
    this.timer.unref();
  }

  stats(): LiveHubStats {
    return { feeds: this.feeds.size, watchers: this.watchers.size, ...this.counters };
  }

  /** True while some feed has a read or a join in progress (tests wait for it to settle). */
  busy(): boolean {
    for (const feed of this.feeds.values()) if (feed.running || feed.ops.length > 0) return true;
    return false;
  }

  /** Starts sending a watcher the aggregate's events after `after`, then live. */
  watch(request: WatchRequest): LiveWatch {
    const key = aggregateKey(request.aggregate);
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = {
        key,
        aggregate: request.aggregate,
        last: undefined,
        watchers: new Set(),
        ops: [],
        running: false,
        heard: this.now(),
      };
      this.feeds.set(key, feed);
    }
    const now = this.now();
    const watcher: Watcher = { request, last: request.after, started: now, lastWrite: now, ended: false, feed };
    this.watchers.add(watcher);
    if (this.closed) this.end(watcher, "hub-closed");
    else this.enqueue(feed, { kind: "join", watcher });
    return { close: () => this.end(watcher, "closed") };
  }

  /** A committed event (from the event stream). Cheap for aggregates nobody watches here. */
  notify(event: EventEnvelope): void {
    const feed = this.feeds.get(keyOfEvent(event));
    if (!feed || this.closed) return;
    // The common case, delivered right here: the feed is idle and this is its next version.
    if (!feed.running && feed.ops.length === 0 && feed.last !== undefined && event.version <= feed.last + 1) {
      feed.heard = this.now();
      if (event.version === feed.last + 1) this.deliver(feed, event);
      return;
    }
    this.enqueue(feed, { kind: "notify", event });
  }

  /** Ends every stream (with no end message: the clients reconnect) and stops the timer. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const watcher of [...this.watchers]) this.end(watcher, "hub-closed");
  }

  private enqueue(feed: Feed, op: Op): void {
    feed.ops.push(op);
    if (feed.running) return;
    feed.running = true;
    void this.drain(feed);
  }

  private async drain(feed: Feed): Promise<void> {
    try {
      for (let op = feed.ops.shift(); op; op = feed.ops.shift()) {
        try {
          if (op.kind === "join") await this.join(feed, op.watcher);
          else if (op.kind === "poll") await this.sync(feed);
          else if (feed.last !== undefined && op.event.version > feed.last) {
            feed.heard = this.now();
            if (op.event.version === feed.last + 1) this.deliver(feed, op.event);
            else await this.sync(feed);
          }
        } catch (error) {
          // The log could not be read: a joining watcher is closed (its client resumes); the feed tries
          // again on its next notification or safety read.
          this.log("live feed read failed", { feed: feed.key, error: (error as Error).message });
          if (op.kind === "join") this.end(op.watcher, "failed");
        }
      }
    } finally {
      feed.running = false;
      this.dropIfUnwatched(feed);
    }
  }

  private dropIfUnwatched(feed: Feed): void {
    if (feed.watchers.size === 0 && feed.ops.length === 0 && !feed.running && this.feeds.get(feed.key) === feed) {
      this.feeds.delete(feed.key);
    }
  }

  /** The aggregate's events after a version, every page (one query when there are few). */
  private async *read(aggregate: LiveAggregate, after: number): AsyncGenerator<EventEnvelope> {
    let cursor: string | undefined;
    do {
      this.counters.reads++;
      const page = await this.options.store.query({
        pk: aggregatePk(aggregate.type, aggregate, aggregate.id),
        between: eventRangeAfter(after),
        consistent: true,
        limit: this.pageSize,
        ...(cursor && { cursor }),
      });
      for (const item of page.items) yield EventEnvelopeSchema.parse(item.event);
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** Reads what the feed has not heard of and delivers it in order. */
  private async sync(feed: Feed): Promise<void> {
    if (feed.last === undefined) return;
    feed.heard = this.now();
    for await (const event of this.read(feed.aggregate, feed.last)) {
      if (event.version !== feed.last + 1) {
        // Events expired under the feed (past the replay window): every watcher must reload.
        for (const watcher of [...feed.watchers]) this.reset(watcher, "replay_window_exceeded", event.version);
        feed.last = event.version - 1;
      }
      this.deliver(feed, event);
    }
  }

  private async join(feed: Feed, watcher: Watcher): Promise<void> {
    if (watcher.ended) return;
    const { after, current } = watcher.request;
    if (feed.last !== undefined && after >= feed.last) {
      // Nothing to catch up on from the log: the feed brings everything after `after`.
      feed.watchers.add(watcher);
      if (after > feed.last) await this.sync(feed);
      if (!watcher.ended && after > feed.last) this.reset(watcher, "version_ahead", feed.last);
      return;
    }
    // Catch up from the log (one query), then take a place in the feed: no feed operation runs in between.
    let first = true;
    let latest = current ?? 0;
    for await (const event of this.read(feed.aggregate, after)) {
      if (watcher.ended) return;
      latest = Math.max(latest, event.version);
      if (first && event.version !== after + 1) {
        this.reset(watcher, "replay_window_exceeded", Math.max(latest, feed.last ?? 0));
        return;
      }
      first = false;
      this.send(watcher, event);
      if (feed.last !== undefined && event.version > feed.last) this.deliver(feed, event);
    }
    if (watcher.ended) return;
    if (first && after < Math.max(current ?? 0, feed.last ?? 0)) {
      this.reset(watcher, "replay_window_exceeded", Math.max(current ?? 0, feed.last ?? 0));
      return;
    }
    // What the log holds, as far as we know: the read, the feed, and the version the request was checked at.
    const known = Math.max(latest, feed.last ?? 0);
    if (current !== undefined && watcher.last > known) {
      this.reset(watcher, "version_ahead", known);
      return;
    }
    if (feed.last === undefined) {
      feed.last = current === undefined ? watcher.last : known;
      feed.heard = this.now();
    }
    feed.watchers.add(watcher);
  }

  /** One event to every watcher of the feed, without waiting for any socket. */
  private deliver(feed: Feed, event: EventEnvelope): void {
    feed.last = event.version;
    this.counters.events++;
    let chunk: string | undefined;
    for (const watcher of feed.watchers) {
      if (event.version !== watcher.last + 1) continue;
      chunk = this.send(watcher, event, chunk);
    }
  }

  private send(watcher: Watcher, event: EventEnvelope, formatted?: string): string | undefined {
    watcher.last = event.version;
    const matches = watcher.request.matches;
    if (matches && !matches(event.type)) return formatted;
    const chunk = formatted ?? formatEvent(event);
    this.write(watcher, chunk);
    this.counters.writes++;
    return chunk;
  }

  private write(watcher: Watcher, chunk: string): void {
    if (watcher.ended) return;
    watcher.request.sink.write(chunk);
    watcher.lastWrite = this.now();
    if (watcher.request.sink.writableLength > this.maxBufferedBytes) {
      this.counters.slowConsumers++;
      this.end(watcher, "slow-consumer", formatControl("end", { reason: "slow_consumer", lastEventId: watcher.last }));
    }
  }

  private reset(watcher: Watcher, reason: "replay_window_exceeded" | "version_ahead", version: number): void {
    this.end(watcher, "reset", formatControl("reset", { reason, version }));
  }

  private end(watcher: Watcher, end: WatchEnd, message?: string): void {
    if (watcher.ended) return;
    watcher.ended = true;
    this.watchers.delete(watcher);
    watcher.feed.watchers.delete(watcher);
    this.dropIfUnwatched(watcher.feed);
    if (end !== "closed") {
      try {
        const { sink } = watcher.request;
        if (message) sink.write(message);
        sink.end();
        if (end === "slow-consumer" && sink.destroy) setTimeout(() => sink.destroy?.(), SLOW_CONSUMER_GRACE_MS).unref();
      } catch {
        // The socket is gone already.
      }
    }
    watcher.request.onEnd?.(end);
  }

  private tick(): void {
    const now = this.now();
    const heartbeat = `: heartbeat ${new Date(now).toISOString()}\n\n`;
    for (const watcher of [...this.watchers]) {
      if (watcher.ended) continue;
      if (now - watcher.started >= this.options.maxDurationMs) {
        this.end(watcher, "max-duration", formatControl("end", { reason: "max_duration", lastEventId: watcher.last }));
      } else if (now - watcher.lastWrite >= this.options.heartbeatMs) {
        this.write(watcher, heartbeat);
      }
    }
    for (const feed of this.feeds.values()) {
      if (feed.watchers.size > 0 && !feed.running && now - feed.heard >= this.safetyPollMs) {
        feed.heard = now;
        this.enqueue(feed, { kind: "poll" });
      }
    }
  }
}
