import { afterEach, describe, expect, it } from "vitest";
import { LiveHub, type LiveAggregate, type LiveSink } from "../../shared/app/live/hub.js";
import { EVENT_CATALOG, EVENT_TYPES, logResourceOf } from "../../shared/events/catalog.js";
import type { EventEnvelope } from "../../shared/kernel/envelope.js";
import type { Store } from "../../shared/store/store.js";

/**
 * Which stream a notified event goes to: the aggregate whose log holds it. A message's annotation names
 * the message as its `resource` but is committed to its session's log, so the session's watchers must get
 * it from the notification, with no read (before, it waited for the next event or the 20 s safety read).
 */
const session: LiveAggregate = { type: "session", tenantId: "t", projectId: "p", id: "sess_1" };

function emptyLog(): Store & { reads: number } {
  const store = {
    reads: 0,
    query: async () => (store.reads++, { items: [] }),
    get: async () => undefined,
    transact: async () => undefined,
  };
  return store as unknown as Store & { reads: number };
}

function sink(): LiveSink & { versions: number[] } {
  const versions: number[] = [];
  return {
    versions,
    writableLength: 0,
    write: (chunk: string) => {
      const id = /^id: (\d+)\n/.exec(chunk);
      if (id) versions.push(Number(id[1]));
      return true;
    },
    end: () => undefined,
  };
}

async function until(probe: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

const annotation = (version: number): EventEnvelope => ({
  id: `evt_${version}`,
  type: "message.annotation.created",
  version,
  tenantId: "t",
  projectId: "p",
  resource: "message:msg_1",
  occurredAt: "2026-11-28T12:00:00.000Z",
  data: { annotation: { sessionId: "sess_1", messageId: "msg_1" } },
});

let hub: LiveHub | undefined;
afterEach(() => hub?.close());

describe("live delivery of events about a part of an aggregate", () => {
  it("gives a message's annotation to the watchers of its session from the notification, with no read", async () => {
    const store = emptyLog();
    // A safety read far away: only the notification can deliver within the test.
    hub = new LiveHub({ store, heartbeatMs: 60_000, maxDurationMs: 600_000, safetyPollMs: 600_000 });
    const watcher = sink();
    hub.watch({ aggregate: session, after: 0, current: 0, sink: watcher });
    await until(() => !hub!.busy());
    const readsAfterJoin = store.reads;
    hub.notify(annotation(1));
    await until(() => watcher.versions.length === 1);
    expect(watcher.versions).toEqual([1]);
    expect(store.reads).toBe(readsAfterJoin);
  });

  it("names the log of every event in the catalog: its resource, or its session for a message's annotation", () => {
    expect(logResourceOf(annotation(1))).toBe("session:sess_1");
    expect(logResourceOf({ type: "message.created", resource: "session:sess_2", data: {} })).toBe("session:sess_2");
    // Every event with its own resource says where its log is.
    for (const type of EVENT_TYPES) {
      const definition = EVENT_CATALOG[type] as { resource?: unknown; aggregateId?: unknown };
      expect(definition.aggregateId === undefined, type).toBe(definition.resource === undefined);
    }
  });
});
