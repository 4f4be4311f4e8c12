import { onEventStreamBlocks, parseEventStreamBlock } from "../../test/support/sse-blocks.js";
import { request } from "node:http";

/**
 * A minimal server-sent-events reader over its own socket that stamps each event with the wall clock
 * when its block is complete — the moment a browser's EventSource would fire `onmessage`.
 */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
  at: number;
}

export interface SseWatch {
  status: number;
  close(): void;
  /** Resolves when the stream ends (server end, error or close()). */
  ended: Promise<void>;
}

export function watchSse(url: string, apiKey: string, onEvent: (event: SseEvent) => void): Promise<SseWatch> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: Number(target.port),
        path: target.pathname + target.search,
        agent: false,
        headers: { Accept: "text/event-stream", Authorization: `Bearer ${apiKey}` },
      },
      (res) => {
        let endResolve!: () => void;
        const ended = new Promise<void>((r) => (endResolve = r));
        res.setEncoding("utf8");
        res.on(
          "data",
          onEventStreamBlocks((block) => {
            const parsed = parseEventStreamBlock(block);
            if (parsed.data === undefined) return;
            onEvent({
              event: parsed.event,
              data: parsed.data,
              at: Date.now(),
              ...(parsed.id !== undefined && { id: parsed.id }),
            });
          }),
        );
        res.on("end", endResolve);
        res.on("error", endResolve);
        res.on("close", endResolve);
        resolve({ status: res.statusCode ?? 0, close: () => req.destroy(), ended });
      },
    );
    req.on("error", (error) => {
      if ((error as NodeJS.ErrnoException).code !== "ECONNRESET") reject(error);
    });
    req.end();
  });
}

/** A watcher saw versions 1..max, each once. */
export const gapless = (versions: Set<number>) => versions.size > 0 && Math.max(...versions) === versions.size;
