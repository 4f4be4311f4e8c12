import { CortexConnectionError, CortexError } from "./errors.js";
import { backoffDelay, sleep, type Transport } from "./transport.js";
import type { EventEnvelope } from "./types.js";

/**
 * Server-sent events over `fetch` (no EventSource: it cannot send an Authorization header), so it runs
 * the same in Node ≥ 20 and in browsers.
 */
export interface SseMessage {
  event: string;
  data: string;
  id: string | undefined;
}

export interface SseChunk {
  messages: SseMessage[];
  /** A `retry:` hint, when this chunk carried one. */
  retry?: number;
}

/**
 * Parses an event stream per the WHATWG rules (any line ending, one optional space after the colon,
 * multi-line data, comments, `retry:`), yielding what each network chunk completed, so callers can
 * handle a burst of events as one batch.
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<SseChunk, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let first = true;
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      if (first && buffer.length > 0) {
        if (buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
        first = false;
      }
      const chunk: SseChunk = { messages: [] };
      let start = 0;
      for (;;) {
        const cr = buffer.indexOf("\r", start);
        const lf = buffer.indexOf("\n", start);
        const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
        if (end === -1) break;
        // A CR at the very end may be the first half of CRLF: wait for the next chunk.
        if (end === cr && end === buffer.length - 1 && !done) break;
        const line = buffer.slice(start, end);
        start = end + (buffer[end] === "\r" && buffer[end + 1] === "\n" ? 2 : 1);
        if (line === "") {
          if (data.length > 0) chunk.messages.push({ event: event || "message", data: data.join("\n"), id });
          event = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let fieldValue = colon === -1 ? "" : line.slice(colon + 1);
        if (fieldValue.startsWith(" ")) fieldValue = fieldValue.slice(1);
        if (field === "event") event = fieldValue;
        else if (field === "data") data.push(fieldValue);
        else if (field === "id" && !fieldValue.includes("\0")) id = fieldValue;
        else if (field === "retry" && /^\d+$/.test(fieldValue)) chunk.retry = Number(fieldValue);
      }
      buffer = buffer.slice(start);
      if (chunk.messages.length > 0 || chunk.retry !== undefined) yield chunk;
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** What a live view needs from the stream it shares with the client's other views of one aggregate. */
export interface LiveSource {
  /** The aggregate's event stream path, e.g. `/v1/projects/p/gatherings/g/events`. */
  path: string;
  /** Only these event types (a trailing `.*` matches a family). Absent = every event, with gap detection. */
  types?: readonly string[] | undefined;
  /** Loads (or reloads) the snapshot; returns the aggregate version it is at. */
  load(signal: AbortSignal): Promise<number>;
  /** Applies one event of its types after the snapshot's version, in version order. */
  apply(event: EventEnvelope): void;
  /** Called after a snapshot load or a batch of events: publish the result. */
  flush(): void;
  /** A failure; `willRetry` tells whether the view goes on. */
  fail(error: CortexError, willRetry: boolean): void;
}

export interface LiveOptions {
  /** Without a byte (event or heartbeat) for this long, the connection is presumed dead (default 45 000). */
  idleTimeoutMs?: number | undefined;
  /** Cap of the reconnect backoff (default 30 000). */
  maxBackoffMs?: number | undefined;
}

/** Errors after which retrying cannot help: bad request, bad key, unknown resource. */
function isFatal(error: unknown): boolean {
  return (
    error instanceof CortexError &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 408 &&
    error.status !== 429
  );
}

function asCortexError(error: unknown): CortexError {
  if (error instanceof CortexError) return error;
  return new CortexConnectionError("network_error", error instanceof Error ? error.message : String(error), error);
}

/** Whether an event type passes a filter (undefined = everything; a trailing `.*` matches a family). */
function matchesTypes(types: readonly string[] | undefined, type: string): boolean {
  if (!types) return true;
  return types.some((t) => t === "*" || t === type || (t.endsWith(".*") && type.startsWith(t.slice(0, -1))));
}

/** The filter serving every source: undefined (everything) if one wants everything, else the union in first-seen order. */
function unionTypes(sources: Iterable<{ types?: readonly string[] | undefined }>): string[] | undefined {
  const union: string[] = [];
  for (const { types } of sources) {
    if (!types) return undefined;
    for (const type of types) if (!covers(union, [type])) union.push(type);
  }
  return union;
}

/** Whether a connection with `filter` delivers every event `types` asks for. */
function covers(filter: readonly string[] | undefined, types: readonly string[] | undefined): boolean {
  if (!filter) return true;
  return types !== undefined && types.every((type) => matchesTypes(filter, type));
}

class Restart {
  constructor(readonly reason: "reset" | "gap" | "end") {}
}

/** Events a view keeps while it loads its snapshot, at most; past that it rewinds the stream instead. */
const MAX_BUFFERED = 10_000;

/** Whether a view has left (read through a call: the state changes across awaits). */
const isStopped = (tap: Tap): boolean => tap.state === "stopped";

/** One view on a shared stream. */
interface Tap {
  readonly source: LiveSource;
  state: "loading" | "live" | "stopped";
  /** Live: every event up to this version is in the view (applied, or not of its types). */
  position: number;
  /**
   * Loading: the events of its types the stream delivered after `bufferFrom` (undefined: none kept),
   * replayed onto its snapshot if the stream has moved past the snapshot's version meanwhile.
   */
  buffer: EventEnvelope[];
  bufferFrom: number | undefined;
  load: AbortController | undefined;
  /** The current load failed once: the stream no longer waits for it to start. */
  stalled: boolean;
}

/**
 * One SSE connection for every live view of one aggregate on one client. Each view loads its own
 * snapshot (with the version it is at) and takes the stream's events after that version, filtered to
 * its types; the connection asks for the union of the views' types, and:
 * - opens once the views loading together have their snapshots, from the oldest of their versions;
 * - a view joining later takes the events after its snapshot: those still to come, plus — when the
 *   stream had already delivered past the snapshot — the ones it kept while the view loaded, or, failing
 *   that, the stream rewinds (reconnects from the snapshot's version; the other views drop what they
 *   already have, by version);
 * - reconnects at once with `Last-Event-ID` when a view needs types the connection does not ask for;
 * - resumes with `Last-Event-ID` after `event: end` (at once) or a drop (exponential backoff with
 *   jitter, from the server's `retry:` hint), and reconnects a connection silent for `idleTimeoutMs`;
 * - on `event: reset`, a version gap of an unfiltered stream, or a malformed event, reloads every view
 *   and opens again from their snapshots;
 * - stops every view on a fatal error (4xx), and closes when the last view leaves.
 */
class SharedStream {
  readonly #transport: Transport;
  readonly #path: string;
  readonly #idleTimeoutMs: number;
  readonly #maxBackoffMs: number;
  readonly #onClose: () => void;
  readonly #taps = new Set<Tap>();
  /** Every event up to this version has been delivered to the live views; undefined: not streaming. */
  #position: number | undefined;
  #loop: AbortController | undefined;
  #connection: { controller: AbortController; filter: readonly string[] | undefined } | undefined;
  #reconnectNow = false;
  #retryMs = 1_000;
  #failures = 0;

  constructor(transport: Transport, path: string, options: LiveOptions, onClose: () => void) {
    this.#transport = transport;
    this.#path = path;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.#onClose = onClose;
  }

  attach(source: LiveSource): () => void {
    const tap: Tap = {
      source,
      state: "loading",
      position: 0,
      buffer: [],
      bufferFrom: undefined,
      load: undefined,
      stalled: false,
    };
    this.#taps.add(tap);
    void this.#load(tap);
    // A connection that does not carry this view's types resumes at once with the union.
    if (this.#connection && !covers(this.#connection.filter, source.types)) this.#reconnect();
    return () => this.#detach(tap);
  }

  #detach(tap: Tap): void {
    if (tap.state === "stopped") return;
    tap.state = "stopped";
    tap.load?.abort();
    this.#taps.delete(tap);
    if (this.#taps.size === 0) this.#close();
    else this.#maybeStart();
  }

  #close(): void {
    this.#loop?.abort();
    this.#loop = undefined;
    this.#connection?.controller.abort();
    this.#connection = undefined;
    this.#position = undefined;
    this.#onClose();
  }

  /** Aborts the current connection; the loop reconnects from `#position` without a pause. */
  #reconnect(): void {
    if (!this.#connection) return;
    this.#reconnectNow = true;
    this.#connection.controller.abort();
  }

  async #load(tap: Tap): Promise<void> {
    const controller = new AbortController();
    tap.load = controller;
    tap.state = "loading";
    tap.stalled = false;
    tap.buffer = [];
    // A stream already running keeps, from here on, what this view will need if its snapshot is older.
    tap.bufferFrom = this.#position;
    let failures = 0;
    for (;;) {
      try {
        const version = await tap.source.load(controller.signal);
        if (controller.signal.aborted || isStopped(tap)) return;
        tap.load = undefined;
        this.#join(tap, version);
        return;
      } catch (error) {
        if (controller.signal.aborted || isStopped(tap)) return;
        const failure = asCortexError(error);
        if (isFatal(failure)) {
          this.#stop(tap, failure);
          return;
        }
        tap.source.fail(failure, true);
        if (!tap.stalled) {
          tap.stalled = true;
          this.#maybeStart();
        }
        await sleep(backoffDelay(failures++, this.#retryMs, this.#maxBackoffMs), controller.signal).catch(
          () => undefined,
        );
        if (controller.signal.aborted || isStopped(tap)) return;
      }
    }
  }

  /** A view has its snapshot at `version`: it goes live, taking every event of its types after it. */
  #join(tap: Tap, version: number): void {
    const { buffer, bufferFrom } = tap;
    tap.buffer = [];
    tap.bufferFrom = undefined;
    tap.state = "live";
    tap.position = version;
    const streamed = this.#position;
    if (streamed !== undefined && version < streamed) {
      if (bufferFrom !== undefined && bufferFrom <= version) {
        // The stream delivered past the snapshot while it loaded: replay what it kept.
        for (const event of buffer) {
          if (event.version <= tap.position) continue;
          tap.source.apply(event);
          tap.position = event.version;
        }
        tap.position = streamed;
      } else {
        // Nothing kept reaches back to the snapshot: the stream rewinds to it (the others skip what they have).
        this.#position = version;
        this.#reconnect();
      }
    }
    tap.source.flush();
    this.#maybeStart();
  }

  /** A view stops for good. Its error is told last, so a listener that starts a new view finds the stream settled. */
  #stop(tap: Tap, failure: CortexError): void {
    if (tap.state === "stopped") return;
    tap.state = "stopped";
    tap.load?.abort();
    this.#taps.delete(tap);
    if (this.#taps.size === 0) this.#close();
    else this.#maybeStart();
    tap.source.fail(failure, false);
  }

  /** Opens the stream once no view is still loading its first snapshot, from the oldest live version. */
  #maybeStart(): void {
    if (this.#loop || this.#taps.size === 0) return;
    const taps = [...this.#taps];
    const live = taps.filter((tap) => tap.state === "live");
    if (live.length === 0 || taps.some((tap) => tap.state === "loading" && !tap.stalled)) return;
    this.#position = Math.min(...live.map((tap) => tap.position));
    for (const tap of taps) {
      if (tap.state === "loading") {
        tap.buffer = [];
        tap.bufferFrom = this.#position;
      }
    }
    const loop = new AbortController();
    this.#loop = loop;
    this.#failures = 0;
    void this.#run(loop.signal);
  }

  /** Every view reloads its snapshot; the stream opens again from them. */
  #reloadAll(): void {
    this.#loop?.abort();
    this.#loop = undefined;
    this.#connection?.controller.abort();
    this.#connection = undefined;
    this.#position = undefined;
    for (const tap of [...this.#taps]) {
      if (tap.state === "live") void this.#load(tap);
      else if (tap.state === "loading") {
        tap.buffer = [];
        tap.bufferFrom = undefined;
      }
    }
  }

  #live(): Tap[] {
    return [...this.#taps].filter((tap) => tap.state === "live");
  }

  #failLive(error: CortexError): void {
    for (const tap of this.#live()) if (tap.state === "live") tap.source.fail(error, true);
  }

  async #pause(signal: AbortSignal): Promise<void> {
    await sleep(backoffDelay(this.#failures, this.#retryMs, this.#maxBackoffMs), signal).catch(() => undefined);
    this.#failures++;
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const controller = new AbortController();
      const filter = unionTypes([...this.#taps].map((tap) => tap.source));
      const connection = { controller, filter };
      this.#connection = connection;
      this.#reconnectNow = false;
      let idleTimer: ReturnType<typeof setTimeout> | undefined;
      let idled = false;
      const touch = () => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          idled = true;
          controller.abort();
        }, this.#idleTimeoutMs);
      };
      try {
        touch();
        const response = await this.#transport.openStream(this.#path, {
          query: filter ? { types: filter.join(",") } : undefined,
          lastEventId: this.#position,
          signal: controller.signal,
        });
        this.#failures = 0;
        touch();
        for await (const chunk of readEventStream(response.body!)) {
          if (controller.signal.aborted) break;
          touch();
          if (chunk.retry !== undefined) this.#retryMs = Math.max(100, chunk.retry);
          this.#deliver(chunk.messages, filter === undefined);
        }
        if (!controller.signal.aborted && !signal.aborted) {
          // The connection closed without `event: end`: a drop. Resume after a pause.
          this.#connection = undefined;
          await this.#pause(signal);
          continue;
        }
        throw new Error("connection aborted");
      } catch (error) {
        if (signal.aborted) return;
        if (this.#connection === connection) this.#connection = undefined;
        if (this.#reconnectNow) {
          this.#reconnectNow = false;
          continue;
        }
        if (idled) {
          this.#failLive(
            new CortexConnectionError("timeout", `no data from ${this.#path} for ${this.#idleTimeoutMs} ms`),
          );
          await this.#pause(signal);
          continue;
        }
        if (error instanceof Restart) {
          if (error.reason === "end") continue;
          this.#reloadAll();
          return;
        }
        if (error instanceof SyntaxError) {
          // A malformed event: reload rather than guess.
          this.#failLive(asCortexError(error));
          await this.#pause(signal);
          if (!signal.aborted) this.#reloadAll();
          return;
        }
        const failure = asCortexError(error);
        if (isFatal(failure)) {
          // The aggregate is gone or out of reach: every view stops.
          const taps = [...this.#taps];
          for (const tap of taps) {
            tap.state = "stopped";
            tap.load?.abort();
          }
          this.#taps.clear();
          this.#close();
          for (const tap of taps) tap.source.fail(failure, false);
          return;
        }
        this.#failLive(failure);
        await this.#pause(signal);
      } finally {
        clearTimeout(idleTimer);
        controller.abort();
        if (this.#connection === connection) this.#connection = undefined;
      }
    }
  }

  /** Hands one network chunk's events to the views, each flushed once if it took any. */
  #deliver(messages: SseMessage[], unfiltered: boolean): void {
    const touched = new Set<Tap>();
    try {
      for (const message of messages) {
        const position = this.#position!;
        if (message.event === "reset") throw new Restart("reset");
        if (message.event === "end") {
          const last = Number((JSON.parse(message.data) as { lastEventId?: unknown }).lastEventId);
          // Everything up to lastEventId was sent or filtered out: resume after it.
          if (Number.isInteger(last) && last > position) {
            this.#position = last;
            for (const tap of this.#taps) if (tap.state === "live") tap.position = Math.max(tap.position, last);
          }
          throw new Restart("end");
        }
        const event = JSON.parse(message.data) as EventEnvelope;
        if (typeof event.version !== "number" || event.version <= position) continue;
        if (unfiltered && event.version !== position + 1) throw new Restart("gap");
        this.#position = event.version;
        for (const tap of this.#taps) {
          const wanted = matchesTypes(tap.source.types, event.type);
          if (tap.state === "live") {
            if (event.version <= tap.position) continue;
            if (wanted) {
              tap.source.apply(event);
              touched.add(tap);
            }
            tap.position = event.version;
          } else if (tap.state === "loading" && tap.bufferFrom !== undefined && wanted) {
            if (tap.buffer.length < MAX_BUFFERED) tap.buffer.push(event);
            else {
              tap.buffer = [];
              tap.bufferFrom = undefined;
            }
          }
        }
      }
    } finally {
      // What was applied is published, even when the chunk ends in a restart.
      for (const tap of touched) if (tap.state === "live") tap.source.flush();
    }
  }
}

const sharedStreams = new WeakMap<Transport, Map<string, SharedStream>>();

/**
 * Attaches a live view to its aggregate's stream on this transport (one client), opening the stream
 * for the first view; returns the detach function, which closes the stream with the last view.
 */
export function attachLive(transport: Transport, source: LiveSource, options: LiveOptions = {}): () => void {
  let byPath = sharedStreams.get(transport);
  if (!byPath) sharedStreams.set(transport, (byPath = new Map()));
  const paths = byPath;
  let stream = paths.get(source.path);
  if (!stream) {
    const created: SharedStream = new SharedStream(transport, source.path, options, () => {
      if (paths.get(source.path) === created) paths.delete(source.path);
    });
    stream = created;
    paths.set(source.path, stream);
  }
  return stream.attach(source);
}
