import type { CortexError } from "./errors.js";
import { attachLive, type LiveOptions } from "./sse.js";
import type { Transport } from "./transport.js";
import type { EventEnvelope } from "./types.js";

/**
 * Live views: the initial value over REST (with the version it is at), then the events after that
 * version over SSE. A view starts with its first `onSnapshot` listener and stops when the last one
 * unsubscribes; a listener that joins later gets the current snapshot first. The views of one aggregate
 * on one client share one SSE connection (see `attachLive`).
 */
export type Unsubscribe = () => void;
export type ErrorListener = (error: CortexError, info: { willRetry: boolean }) => void;
/** Told once when the view stops for good (`willRetry: false`); the listener is then removed. */
export type SnapshotErrorListener = (error: CortexError) => void;

export interface DocumentChange<T> {
  type: "added" | "modified" | "removed";
  id: string;
  data: T;
  /** Index before this change, with every earlier change of the same snapshot applied; -1 when added. */
  oldIndex: number;
  /** Index after this change (earlier changes applied); -1 when removed. */
  newIndex: number;
}

export type SnapshotListener<T> = (value: T | undefined) => void;
export type CollectionListener<T> = (items: T[], changes: DocumentChange<T>[]) => void;

interface ListenerEntry {
  initialized: boolean;
  onError: SnapshotErrorListener | undefined;
}

abstract class Subscription<L> {
  protected readonly listeners = new Map<L, ListenerEntry>();
  readonly #errorListeners = new Set<ErrorListener>();
  #detach: (() => void) | undefined;
  protected loaded = false;
  readonly #transport: Transport;
  readonly #options: LiveOptions;
  readonly #describe: string;

  constructor(transport: Transport, describe: string, options: LiveOptions = {}) {
    this.#transport = transport;
    this.#describe = describe;
    this.#options = options;
  }

  /** Called with a failure to load or stream. `willRetry` is false when the subscription has stopped. */
  onError(listener: ErrorListener): Unsubscribe {
    this.#errorListeners.add(listener);
    return () => void this.#errorListeners.delete(listener);
  }

  /** Removes every listener and closes the stream. */
  close(): void {
    this.listeners.clear();
    this.#stop();
  }

  /** Whether the view is live (some listener is subscribed, and it has not stopped for good). */
  get active(): boolean {
    return this.#detach !== undefined;
  }

  protected addListener(listener: L, onError?: SnapshotErrorListener): Unsubscribe {
    const entry: ListenerEntry = { initialized: false, onError };
    this.listeners.set(listener, entry);
    if (this.loaded) {
      // Late joiners get the current snapshot on their own, right away (but never synchronously).
      queueMicrotask(() => {
        if (this.listeners.get(listener) !== entry || entry.initialized) return;
        entry.initialized = true;
        this.deliverInitial(listener);
      });
    }
    if (!this.#detach) this.#start();
    return () => {
      if (this.listeners.get(listener) !== entry) return;
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.#stop();
    };
  }

  protected abstract deliverInitial(listener: L): void;
  protected abstract load(signal: AbortSignal): Promise<number>;
  protected abstract apply(event: EventEnvelope): void;
  protected abstract flush(): void;
  protected abstract get path(): string;
  protected get types(): readonly string[] | undefined {
    return undefined;
  }

  /** Runs a listener so that one throwing cannot break the stream or the other listeners. */
  protected safely(run: () => void): void {
    try {
      run();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #start(): void {
    let detached = false;
    const detach = attachLive(
      this.#transport,
      {
        path: this.path,
        types: this.types,
        load: (signal) => this.load(signal),
        apply: (event) => this.apply(event),
        flush: () => {
          if (detached) return;
          this.loaded = true;
          this.flush();
        },
        fail: (error, willRetry) => {
          if (detached) return;
          if (!willRetry) {
            detached = true;
            if (this.#detach === stop) this.#detach = undefined;
          }
          this.#fail(error, willRetry);
        },
      },
      this.#options,
    );
    const stop = () => {
      detached = true;
      detach();
    };
    this.#detach = stop;
  }

  #stop(): void {
    this.#detach?.();
    this.#detach = undefined;
    // A listener that subscribes later waits for a fresh snapshot rather than getting a stale one.
    this.loaded = false;
  }

  #fail(error: CortexError, willRetry: boolean): void {
    let told = false;
    if (!willRetry) {
      // Firestore's contract: a listener's error callback is its last call.
      for (const [listener, entry] of [...this.listeners]) {
        if (!entry.onError) continue;
        this.listeners.delete(listener);
        told = true;
        const onError = entry.onError;
        this.safely(() => onError(error));
      }
      if (this.listeners.size === 0) this.loaded = false;
    }
    if (this.#errorListeners.size === 0) {
      // Never silent: a view that stops with nobody told says so on the console.
      if (!willRetry && !told) globalThis.console?.error(`[cortex] ${this.#describe} stopped: ${error.message}`);
      return;
    }
    for (const listener of [...this.#errorListeners]) this.safely(() => listener(error, { willRetry }));
  }
}

export interface DocumentSource<T> {
  path: string;
  describe: string;
  load(signal: AbortSignal): Promise<T>;
  /**
   * The document as of an event: the one it carries, or the current one with the event folded in (a
   * session's `message.created` carries only the message). Undefined: the event changes nothing here;
   * its version still counts for the stream.
   */
  fromEvent(event: EventEnvelope, current: T | undefined): T | undefined;
  /** Whether an event removes the document (`current` becomes undefined), e.g. `session.deleted`. */
  removes?: ((event: EventEnvelope) => boolean) | undefined;
  versionOf(value: T): number;
  /** Sees every newer value (e.g. to keep a live object in step). */
  observe?: ((value: T) => void) | undefined;
  options?: LiveOptions | undefined;
}

/** One live document (a gathering, a session). `current` is undefined until the first snapshot. */
export class DocumentSubscription<T> extends Subscription<SnapshotListener<T>> {
  readonly #source: DocumentSource<T>;
  #current: T | undefined;
  #emittedVersion: number | undefined;

  constructor(transport: Transport, source: DocumentSource<T>) {
    super(transport, source.describe, source.options);
    this.#source = source;
  }

  get current(): T | undefined {
    return this.#current;
  }

  /**
   * Called with the document now (once loaded) and on every change; returns the unsubscribe function.
   * `onError`, if given, is told when the view stops for good (e.g. the document is gone, or the key may
   * not read it) and is the listener's last call; passing it keeps that failure off the console.
   */
  onSnapshot(listener: SnapshotListener<T>, onError?: SnapshotErrorListener): Unsubscribe {
    return this.addListener(listener, onError);
  }

  protected override get path(): string {
    return this.#source.path;
  }

  protected override deliverInitial(listener: SnapshotListener<T>): void {
    this.safely(() => listener(this.#current));
  }

  protected override async load(signal: AbortSignal): Promise<number> {
    const value = await this.#source.load(signal);
    this.#set(value);
    return this.#source.versionOf(value);
  }

  protected override apply(event: EventEnvelope): void {
    if (this.#source.removes?.(event)) {
      this.#current = undefined;
      return;
    }
    const value = this.#source.fromEvent(event, this.#current);
    if (value !== undefined) this.#set(value);
  }

  #set(value: T): void {
    if (this.#current !== undefined && this.#source.versionOf(value) < this.#source.versionOf(this.#current)) return;
    this.#current = value;
    this.#source.observe?.(value);
  }

  protected override flush(): void {
    const version = this.#current === undefined ? undefined : this.#source.versionOf(this.#current);
    const fresh = version !== this.#emittedVersion;
    this.#emittedVersion = version;
    for (const [listener, entry] of this.listeners) {
      if (entry.initialized && !fresh) continue;
      entry.initialized = true;
      this.safely(() => listener(this.#current));
    }
  }
}

export interface CollectionSource<T> {
  path: string;
  types: readonly string[];
  describe: string;
  idOf(item: T): string;
  /** The stable order of `items` (must be total: ties broken by id). */
  compare(a: T, b: T): number;
  /** The snapshot: the aggregate version read first, then every item (all pages). */
  load(signal: AbortSignal): Promise<{ version: number; items: T[] }>;
  /** Folds one event into the items (by id). */
  apply(items: Map<string, T>, event: EventEnvelope): void;
  observe?: ((event: EventEnvelope) => void) | undefined;
  options?: LiveOptions | undefined;
}

/** A live list (members, invitations) with Firestore-style changes. */
export class CollectionSubscription<T> extends Subscription<CollectionListener<T>> {
  readonly #source: CollectionSource<T>;
  #items = new Map<string, T>();
  #emitted: T[] = [];
  #everEmitted = false;

  constructor(transport: Transport, source: CollectionSource<T>) {
    super(transport, source.describe, source.options);
    this.#source = source;
  }

  /** The items as of the last snapshot, in their stable order. */
  get current(): T[] {
    return [...this.#emitted];
  }

  /**
   * Called with every item and what changed: the first call reports each item as `added`; later calls
   * report only changes, in an order whose `oldIndex`/`newIndex` can be applied one after another.
   * `onError`, if given, is told when the view stops for good and is the listener's last call.
   */
  onSnapshot(listener: CollectionListener<T>, onError?: SnapshotErrorListener): Unsubscribe {
    return this.addListener(listener, onError);
  }

  protected override get path(): string {
    return this.#source.path;
  }

  protected override get types(): readonly string[] {
    return this.#source.types;
  }

  protected override deliverInitial(listener: CollectionListener<T>): void {
    const items = [...this.#emitted];
    this.safely(() => listener(items, allAdded(items, this.#source.idOf)));
  }

  protected override async load(signal: AbortSignal): Promise<number> {
    const { version, items } = await this.#source.load(signal);
    this.#items = new Map(items.map((item) => [this.#source.idOf(item), item]));
    return version;
  }

  protected override apply(event: EventEnvelope): void {
    this.#source.apply(this.#items, event);
    this.#source.observe?.(event);
  }

  protected override flush(): void {
    const next = [...this.#items.values()].sort(this.#source.compare);
    const changes = diffLists(this.#emitted, next, this.#source.idOf);
    const first = !this.#everEmitted;
    this.#everEmitted = true;
    this.#emitted = next;
    for (const [listener, entry] of this.listeners) {
      if (!entry.initialized) {
        entry.initialized = true;
        const items = [...next];
        this.safely(() => listener(items, allAdded(items, this.#source.idOf)));
      } else if (changes.length > 0 || first) {
        const items = [...next];
        this.safely(() => listener(items, changes));
      }
    }
  }
}

function allAdded<T>(items: T[], idOf: (item: T) => string): DocumentChange<T>[] {
  return items.map((data, i) => ({ type: "added", id: idOf(data), data, oldIndex: -1, newIndex: i }));
}

/**
 * The changes that turn `before` into `after` (both sorted), applied one after another: removals first,
 * then additions and modifications in `after` order, each inserted right after its predecessor in
 * `after` (which is already in place). Items whose data did not change are never reported.
 */
export function diffLists<T>(
  before: readonly T[],
  after: readonly T[],
  idOf: (item: T) => string,
): DocumentChange<T>[] {
  const previous = new Map(before.map((item) => [idOf(item), item]));
  const present = new Set(after.map(idOf));
  const work = before.map(idOf);
  const changes: DocumentChange<T>[] = [];
  for (const item of before) {
    const id = idOf(item);
    if (present.has(id)) continue;
    const oldIndex = work.indexOf(id);
    work.splice(oldIndex, 1);
    changes.push({ type: "removed", id, data: item, oldIndex, newIndex: -1 });
  }
  for (let rank = 0; rank < after.length; rank++) {
    const item = after[rank]!;
    const id = idOf(item);
    const old = previous.get(id);
    if (old !== undefined && deepEqual(old, item)) continue;
    let oldIndex = -1;
    if (old !== undefined) {
      oldIndex = work.indexOf(id);
      work.splice(oldIndex, 1);
    }
    const newIndex = rank === 0 ? 0 : work.indexOf(idOf(after[rank - 1]!)) + 1;
    work.splice(newIndex, 0, id);
    changes.push({ type: old === undefined ? "added" : "modified", id, data: item, oldIndex, newIndex });
  }
  return changes;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
