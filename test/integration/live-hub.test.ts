import { createServer, get, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventEnvelopeSchema, type EventEnvelope } from "../../shared/kernel/envelope.js";
import { createGathering, updateGathering } from "../../shared/domain/gatherings/service.js";
import { LiveHub, type LiveAggregate, type LiveSink, type WatchEnd } from "../../shared/app/live/hub.js";
import { createLiveServer } from "../../shared/app/live/server.js";
import type { ApiRequest } from "../../shared/app/http/request.js";
import { aggregatePk, eventRangeAfter } from "../../shared/store/keys.js";
import type { Store } from "../../shared/store/store.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

/** The live hub against DynamoDB Local: one feed per aggregate, reads counted at the store. */
let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const ctx = { tenantId: "t", projectId: "p", actor: { type: "apiKey" as const, id: "key_test" } };
const deps = () => ({ store: table.store, clock: { now: () => new Date() }, eventRetentionSeconds: 3600 });

/** The table's store, counting the reads the hub makes. */
function countingStore(): Store & { reads: number } {
  const counted = {
    reads: 0,
    transact: (ops: Parameters<Store["transact"]>[0]) => table.store.transact(ops),
    get: (...args: Parameters<Store["get"]>) => (counted.reads++, table.store.get(...args)),
    query: (...args: Parameters<Store["query"]>) => (counted.reads++, table.store.query(...args)),
  };
  return counted;
}

/** A socket stand-in: records what is written; a stalled one never drains. */
class Sink implements LiveSink {
  chunks: string[] = [];
  ended = false;
  writableLength = 0;
  constructor(private readonly stalled = false) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    if (this.stalled) this.writableLength += chunk.length;
    return !this.stalled;
  }
  end(): void {
    this.ended = true;
  }
  /** Versions of the event messages received, in order. */
  versions(): number[] {
    return this.chunks.flatMap((c) => (/^id: (\d+)\n/.exec(c) ? [Number(/^id: (\d+)\n/.exec(c)![1])] : []));
  }
  controls(): Array<{ event: string; data: any }> {
    return this.chunks.flatMap((c) => {
      const m = /^event: (reset|end)\ndata: (.*)\n\n$/.exec(c);
      return m ? [{ event: m[1]!, data: JSON.parse(m[2]!) }] : [];
    });
  }
}

async function until<T>(probe: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function gathering(): Promise<{ aggregate: LiveAggregate; commit: () => Promise<EventEnvelope> }> {
  const g = await createGathering(deps(), ctx, { name: "g", type: "open" });
  const aggregate: LiveAggregate = { type: "gathering", tenantId: "t", projectId: "p", id: g.id };
  let n = 0;
  return {
    aggregate,
    /** Commits one more event and returns it as the log holds it. */
    async commit() {
      await updateGathering(deps(), ctx, g.id, { name: `g${++n}` });
      const page = await table.store.query({
        pk: aggregatePk("gathering", aggregate, g.id),
        between: eventRangeAfter(0),
        consistent: true,
        descending: true,
        limit: 1,
      });
      return EventEnvelopeSchema.parse(page.items[0]!.event);
    },
  };
}

function hubOf(store: Store, options: Partial<ConstructorParameters<typeof LiveHub>[0]> = {}): LiveHub {
  return new LiveHub({ store, heartbeatMs: 60_000, maxDurationMs: 600_000, safetyPollMs: 600_000, ...options });
}

describe("the live hub", () => {
  it("delivers a notified next version to every watcher with no read, and ignores duplicates and older versions", async () => {
    const store = countingStore();
    const hub = hubOf(store);
    const { aggregate, commit } = await gathering();
    const sinks = [new Sink(), new Sink(), new Sink()];
    for (const sink of sinks) hub.watch({ aggregate, after: 1, current: 1, sink });
    await until(() => !hub.busy());
    const readsAfterJoin = store.reads;
    expect(readsAfterJoin).toBe(1); // the first watcher's catch-up; the others join the feed as it is

    const v2 = await commit();
    hub.notify(v2);
    hub.notify(v2);
    const v3 = await commit();
    hub.notify(v3);
    hub.notify(v2);
    for (const sink of sinks) await until(() => sink.versions().length === 2);
    expect(sinks.map((s) => s.versions())).toEqual([
      [2, 3],
      [2, 3],
      [2, 3],
    ]);
    expect(store.reads).toBe(readsAfterJoin);
    expect(hub.stats()).toMatchObject({ feeds: 1, watchers: 3, events: 2, writes: 6 });
    hub.close();
  });

  it("fills a skipped range with one read and delivers it in order", async () => {
    const store = countingStore();
    const hub = hubOf(store);
    const { aggregate, commit } = await gathering();
    const sink = new Sink();
    hub.watch({ aggregate, after: 1, current: 1, sink });
    await until(() => !hub.busy());
    const before = store.reads;
    await commit();
    await commit();
    hub.notify(await commit());
    await until(() => sink.versions().length === 3);
    expect(sink.versions()).toEqual([2, 3, 4]);
    expect(store.reads - before).toBe(1);
    hub.close();
  });

  it("a watcher joining mid-stream catches up with one query and joins the feed with no gap or duplicate", async () => {
    const store = countingStore();
    const hub = hubOf(store);
    const { aggregate, commit } = await gathering();
    const early = new Sink();
    hub.watch({ aggregate, after: 1, current: 1, sink: early });
    await until(() => !hub.busy());
    for (let i = 0; i < 3; i++) hub.notify(await commit());
    const before = store.reads;
    // v5 is committed before the late watcher's catch-up reads, and notified while it reads.
    const v5 = await commit();
    const late = new Sink();
    hub.watch({ aggregate, after: 2, current: 5, sink: late });
    hub.notify(v5);
    hub.notify(await commit());
    await until(() => late.versions().length === 4 && early.versions().length === 5);
    expect(late.versions()).toEqual([3, 4, 5, 6]);
    expect(early.versions()).toEqual([2, 3, 4, 5, 6]);
    expect(store.reads - before).toBe(1);
    hub.close();
  });

  it("a lost notification is caught by the safety read while the feed has watchers", async () => {
    const store = countingStore();
    const hub = hubOf(store, { safetyPollMs: 200, tickMs: 50 });
    const { aggregate, commit } = await gathering();
    const sink = new Sink();
    hub.watch({ aggregate, after: 1, current: 1, sink });
    await commit(); // never notified
    await until(() => sink.versions().length === 1);
    expect(sink.versions()).toEqual([2]);
    hub.close();
  });

  it("drops a slow consumer with a resumable end and keeps serving the others", async () => {
    const hub = hubOf(countingStore(), { maxBufferedBytes: 1_500 });
    const { aggregate, commit } = await gathering();
    const slow = new Sink(true);
    const fast = new Sink();
    let slowEnd: WatchEnd | undefined;
    hub.watch({ aggregate, after: 1, current: 1, sink: slow, onEnd: (end) => (slowEnd = end) });
    hub.watch({ aggregate, after: 1, current: 1, sink: fast });
    await until(() => !hub.busy());
    for (let i = 0; i < 6; i++) hub.notify(await commit());
    await until(() => fast.versions().length === 6);
    expect(slowEnd).toBe("slow-consumer");
    expect(slow.ended).toBe(true);
    const last = slow.versions().at(-1)!;
    expect(last).toBeLessThan(7);
    expect(slow.controls()).toEqual([{ event: "end", data: { reason: "slow_consumer", lastEventId: last } }]);
    expect(fast.versions()).toEqual([2, 3, 4, 5, 6, 7]);
    expect(hub.stats()).toMatchObject({ watchers: 1, slowConsumers: 1 });
    hub.close();
  });

  it("tells a watcher ahead of the log to reload, and drops a feed once its last watcher leaves", async () => {
    const hub = hubOf(countingStore());
    const { aggregate } = await gathering();
    const ahead = new Sink();
    hub.watch({ aggregate, after: 9, current: 1, sink: ahead });
    await until(() => ahead.ended);
    expect(ahead.controls()).toEqual([{ event: "reset", data: { reason: "version_ahead", version: 1 } }]);
    const watch = hub.watch({ aggregate, after: 1, current: 1, sink: new Sink() });
    await until(() => !hub.busy());
    expect(hub.stats().feeds).toBe(1);
    watch.close();
    expect(hub.stats()).toMatchObject({ feeds: 0, watchers: 0 });
    hub.close();
  });
});

describe("the live server", () => {
  let server: Server;
  let hub: LiveHub;
  let url: string;
  let gatheringId: string;
  beforeAll(async () => {
    hub = hubOf(table.store);
    const live = createLiveServer({ hub, store: table.store, maxStreamsPerKey: 2 });
    gatheringId = (await gathering()).aggregate.id;
    server = createServer((req, res) => {
      const request: ApiRequest = {
        operationId: "streamGatheringEvents",
        params: { projectId: "p", gatheringId },
        query: {},
        headers: {},
        body: undefined,
        principal: { tenantId: "t", projectScope: "*", keyId: "key_limited" },
        requestId: "req",
      };
      void live.serve(request, res, req.url);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/events`;
  });
  afterAll(async () => {
    hub.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const open = () =>
    new Promise<{ status: number; type: string; body: () => Promise<string>; close: () => void }>((resolve) => {
      const req = get(url, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        const done = new Promise<string>((r) => res.on("end", () => r(text)));
        resolve({
          status: res.statusCode ?? 0,
          type: String(res.headers["content-type"]),
          body: () => done,
          close: () => req.destroy(),
        });
      });
    });

  it("answers 429 problem+json past the per-key stream limit, and accepts again once a stream closes", async () => {
    const first = await open();
    const second = await open();
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.type).toBe("text/event-stream");
    const third = await open();
    expect(third.status).toBe(429);
    expect(third.type).toBe("application/problem+json");
    expect(JSON.parse(await third.body())).toMatchObject({ status: 429, code: "too_many_streams", limit: 2 });
    first.close();
    await until(() => hub.stats().watchers === 1);
    const fourth = await open();
    expect(fourth.status).toBe(200);
    second.close();
    fourth.close();
  });
});
