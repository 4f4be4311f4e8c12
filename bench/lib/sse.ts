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
        let buffer = "";
        let endResolve!: () => void;
        const ended = new Promise<void>((r) => (endResolve = r));
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffer += chunk;
          let boundary: number;
          while ((boundary = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, boundary);
            buffer = buffer.slice(boundary + 2);
            const message: SseEvent = { event: "message", data: "", at: Date.now() };
            let hasData = false;
            for (const line of block.split("\n")) {
              if (line.startsWith("id: ")) message.id = line.slice(4);
              else if (line.startsWith("event: ")) message.event = line.slice(7);
              else if (line.startsWith("data: ")) {
                message.data += (hasData ? "\n" : "") + line.slice(6);
                hasData = true;
              }
            }
            if (hasData) onEvent(message);
          }
        });
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
