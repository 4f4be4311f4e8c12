/** A minimal SSE client over fetch, for tests: parses `id:`, `event:`, `data:` and comments. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export interface SseConnection {
  status: number;
  contentType: string | null;
  /** Resolves with the next message (comments are collected separately). */
  next(timeoutMs?: number): Promise<SseMessage | undefined>;
  comments: string[];
  retry?: number;
  close(): void;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { Accept: "text/event-stream", ...headers },
    signal: controller.signal,
  });
  const queue: SseMessage[] = [];
  const waiters: Array<(m: SseMessage | undefined) => void> = [];
  const connection: SseConnection = {
    status: response.status,
    contentType: response.headers.get("content-type"),
    comments: [],
    close: () => controller.abort(),
    next(timeoutMs = 10_000) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      if (done) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          resolve(undefined);
        }, timeoutMs);
        const waiter = (m: SseMessage | undefined) => {
          clearTimeout(timer);
          resolve(m);
        };
        waiters.push(waiter);
      });
    },
    ended: Promise.resolve(),
  };
  let done = false;
  const deliver = (m: SseMessage | undefined) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else if (m) queue.push(m);
  };
  connection.ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let boundary: number;
        while ((boundary = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const message: SseMessage = { event: "message", data: "" };
          let hasData = false;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) connection.comments.push(line.slice(1).trim());
            else if (line.startsWith("id: ")) message.id = line.slice(4);
            else if (line.startsWith("event: ")) message.event = line.slice(7);
            else if (line.startsWith("data: ")) {
              message.data += (hasData ? "\n" : "") + line.slice(6);
              hasData = true;
            } else if (line.startsWith("retry: ")) connection.retry = Number(line.slice(7));
          }
          if (hasData) deliver(message);
        }
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      while (waiters.length > 0) waiters.shift()!(undefined);
    }
  })();
  return connection;
}
