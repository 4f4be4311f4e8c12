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

/** What a live view needs from the stream loop. */
export interface LiveSource {
  /** The aggregate's event stream path, e.g. `/v1/projects/p/gatherings/g/events`. */
  path: string;
  /** Only these event types (a trailing `.*` matches a family). Absent = every event, with gap detection. */
  types?: readonly string[] | undefined;
  /** Loads (or reloads) the snapshot; returns the aggregate version it is at. */
  load(signal: AbortSignal): Promise<number>;
  /** Applies one event after the snapshot's version, in version order. */
  apply(event: EventEnvelope): void;
  /** Called after a snapshot load or a batch of events: publish the result. */
  flush(): void;
  /** A failure; `willRetry` tells whether the loop goes on. */
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

class Restart {
  constructor(readonly reason: "reset" | "gap" | "end" | "idle") {}
}

/**
 * Snapshot, then the events after its version, for as long as `signal` is not aborted:
 * - resumes with `Last-Event-ID` after the server ends the stream (`event: end`, at once) or the
 *   connection drops (exponential backoff with jitter, starting at the server's `retry:` hint);
 * - reloads the snapshot on `event: reset`, and — on an unfiltered stream, whose versions are consecutive —
 *   on a gap; duplicates (version ≤ the last one) are dropped;
 * - stops on a fatal error (4xx), after reporting it.
 */
export async function runLive(
  transport: Transport,
  source: LiveSource,
  signal: AbortSignal,
  options: LiveOptions = {},
): Promise<void> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  let version: number | undefined;
  let retryMs = 1_000;
  let failures = 0;
  const query = source.types ? { types: source.types.join(",") } : undefined;

  const pause = async () => {
    await sleep(backoffDelay(failures, retryMs, maxBackoffMs), signal);
    failures++;
  };

  while (!signal.aborted) {
    try {
      if (version === undefined) {
        version = await source.load(signal);
        source.flush();
      }
      const connection = new AbortController();
      const abort = () => connection.abort();
      signal.addEventListener("abort", abort, { once: true });
      let idleTimer: ReturnType<typeof setTimeout> | undefined;
      let idled = false;
      const touch = () => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => {
          idled = true;
          connection.abort();
        }, idleTimeoutMs);
      };
      try {
        touch();
        const response = await transport.openStream(source.path, {
          query,
          lastEventId: version,
          signal: connection.signal,
        });
        failures = 0;
        touch();
        for await (const chunk of readEventStream(response.body!)) {
          touch();
          if (chunk.retry !== undefined) retryMs = Math.max(100, chunk.retry);
          let applied = 0;
          try {
            for (const message of chunk.messages) {
              if (message.event === "reset") throw new Restart("reset");
              if (message.event === "end") {
                const last = Number((JSON.parse(message.data) as { lastEventId?: unknown }).lastEventId);
                // Everything up to lastEventId was sent or filtered out: resume after it.
                if (Number.isInteger(last) && last > version) version = last;
                throw new Restart("end");
              }
              const envelope = JSON.parse(message.data) as EventEnvelope;
              if (typeof envelope.version !== "number" || envelope.version <= version) continue;
              if (!source.types && envelope.version !== version + 1) throw new Restart("gap");
              source.apply(envelope);
              version = envelope.version;
              applied++;
            }
          } finally {
            // What was applied is published, even when the chunk ends in a restart.
            if (applied > 0) source.flush();
          }
        }
        if (idled) throw new Restart("idle");
        // The connection closed without `event: end`: a drop. Resume after a pause.
        if (!signal.aborted) await pause();
      } catch (error) {
        if (idled && !signal.aborted) throw new Restart("idle");
        throw error;
      } finally {
        clearTimeout(idleTimer);
        signal.removeEventListener("abort", abort);
        connection.abort();
      }
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof Restart) {
        if (error.reason === "reset" || error.reason === "gap") version = undefined;
        if (error.reason === "idle") {
          source.fail(
            new CortexConnectionError("timeout", `no data from ${source.path} for ${idleTimeoutMs} ms`),
            true,
          );
          await pause().catch(() => undefined);
        }
        continue;
      }
      if (error instanceof SyntaxError) {
        // A malformed event: reload rather than guess.
        version = undefined;
        source.fail(asCortexError(error), true);
        await pause().catch(() => undefined);
        continue;
      }
      const failure = asCortexError(error);
      if (isFatal(failure)) {
        source.fail(failure, false);
        return;
      }
      source.fail(failure, true);
      await pause().catch(() => undefined);
    }
  }
}
