import { onEventStreamBlocks, parseEventStreamBlock } from "./sse-blocks.js";
import { request, type ClientRequest } from "node:http";

/**
 * An SSE watcher over its own raw socket (no fetch: tests hold hundreds) that resumes like EventSource:
 * when the stream ends or the server goes away it reconnects with Last-Event-ID, until closed.
 */
export interface LiveWatcher {
  /** Versions of the events received, in arrival order, across reconnects. */
  versions: number[];
  /** Streams opened (status 200) so far. */
  opened: number;
  heartbeats: number;
  /** Control messages (`end`, `reset`) received. */
  controls: Array<{ event: string; data: unknown }>;
  /** Resolves once the watcher has received this version. */
  reached(version: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

export function liveWatcher(options: {
  url: () => string;
  apiKey: string;
  after: number;
  /** Wait before reconnecting. Default 200 ms. */
  retryMs?: number;
}): LiveWatcher {
  let last = options.after;
  let closed = false;
  let current: ClientRequest | undefined;
  const waiters: Array<{ version: number; resolve: () => void }> = [];
  const watcher: LiveWatcher = {
    versions: [],
    opened: 0,
    heartbeats: 0,
    controls: [],
    reached(version, timeoutMs = 120_000) {
      if (last >= version) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`watcher at ${last} did not reach ${version} (got ${watcher.versions.join(",")})`)),
          timeoutMs,
        );
        waiters.push({
          version,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    close() {
      closed = true;
      current?.destroy();
    },
  };

  const received = (version: number) => {
    watcher.versions.push(version);
    last = version;
    for (const w of waiters.filter((w) => w.version <= last)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };

  const connect = () => {
    if (closed) return;
    const target = new URL(options.url());
    let again = false;
    const reconnect = () => {
      if (again || closed) return;
      again = true;
      setTimeout(connect, options.retryMs ?? 200);
    };
    const req = request(
      {
        host: target.hostname,
        port: Number(target.port),
        path: target.pathname + target.search,
        agent: false,
        headers: {
          Accept: "text/event-stream",
          Authorization: `Bearer ${options.apiKey}`,
          "Last-Event-ID": String(last),
        },
      },
      (res) => {
        if (res.statusCode === 200) watcher.opened++;
        res.setEncoding("utf8");
        res.on(
          "data",
          onEventStreamBlocks((block) => {
            const { id, event, data, comments } = parseEventStreamBlock(block);
            watcher.heartbeats += comments.filter((c) => c.startsWith("heartbeat")).length;
            if (data === undefined) return;
            if (id !== undefined) received(Number(id));
            else watcher.controls.push({ event, data: JSON.parse(data) });
            if (event === "reset") closed = true;
          }),
        );
        res.on("close", reconnect);
        res.on("error", reconnect);
      },
    );
    req.on("error", reconnect);
    req.end();
    current = req;
  };
  connect();
  return watcher;
}

/** Resolves once every watcher has opened its first stream. */
export async function allOpened(watchers: LiveWatcher[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (watchers.some((w) => w.opened === 0)) {
    if (Date.now() > deadline)
      throw new Error(`${watchers.filter((w) => w.opened === 0).length} watchers never opened`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
