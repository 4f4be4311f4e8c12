import { describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../shared/kernel/envelope.js";
import {
  chunkEntries,
  entrySize,
  publishEvents,
  PUT_EVENTS_MAX_BYTES,
  toBusEntry,
  type BusEntry,
  type EventBusPort,
} from "../../shared/events/publisher.js";

function envelope(i: number, padding = 0): EventEnvelope {
  return {
    id: `evt_${i}`,
    type: "gathering.created",
    version: i,
    projectId: "p",
    tenantId: "t",
    resource: "gathering:g",
    occurredAt: "2026-01-01T00:00:00.000Z",
    data: { pad: "x".repeat(padding) },
  };
}

class RecordingBus implements EventBusPort {
  calls: BusEntry[][] = [];
  constructor(private readonly fail: (entry: BusEntry, call: number) => string | undefined = () => undefined) {}
  async putEvents(entries: BusEntry[]) {
    this.calls.push(entries);
    return entries.map((e) => this.fail(e, this.calls.length));
  }
}

const noSleep = { sleep: async () => undefined };

describe("publishing events to the bus", () => {
  it("sends at most 10 entries per PutEvents, in order", async () => {
    const bus = new RecordingBus();
    const failed = await publishEvents(
      bus,
      Array.from({ length: 23 }, (_, i) => ({ key: i, event: envelope(i + 1) })),
      noSleep,
    );
    expect(failed).toEqual([]);
    expect(bus.calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(bus.calls.flat().map((e) => JSON.parse(e.Detail).version)).toEqual(
      Array.from({ length: 23 }, (_, i) => i + 1),
    );
  });

  it("splits by the 256 KB request limit before the entry limit", () => {
    const big = toBusEntry(envelope(1, 100 * 1024));
    const chunks = chunkEntries([big, big, big, big], (e) => e);
    expect(chunks.map((c) => c.length)).toEqual([2, 2]);
    for (const chunk of chunks)
      expect(chunk.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(PUT_EVENTS_MAX_BYTES);
  });

  it("refuses an entry larger than the limit instead of sending it", () => {
    expect(() => chunkEntries([toBusEntry(envelope(1, PUT_EVENTS_MAX_BYTES))], (e) => e)).toThrow(/exceeds/);
  });

  it("resends only the entries the bus reported as failed", async () => {
    const bus = new RecordingBus((entry, call) =>
      call === 1 && JSON.parse(entry.Detail).version === 2 ? "ThrottlingException" : undefined,
    );
    const failed = await publishEvents(
      bus,
      [1, 2, 3].map((v) => ({ key: `seq-${v}`, event: envelope(v) })),
      noSleep,
    );
    expect(failed).toEqual([]);
    expect(bus.calls.map((c) => c.map((e) => JSON.parse(e.Detail).version))).toEqual([[1, 2, 3], [2]]);
  });

  it("returns the keys of events still failing after every attempt", async () => {
    const bus = new RecordingBus((entry) => (JSON.parse(entry.Detail).version === 3 ? "InternalFailure" : undefined));
    const failed = await publishEvents(
      bus,
      [1, 2, 3].map((v) => ({ key: `seq-${v}`, event: envelope(v) })),
      { ...noSleep, attempts: 3 },
    );
    expect(failed).toEqual(["seq-3"]);
    expect(bus.calls).toHaveLength(3);
  });

  it("treats a request that throws as every entry in it failed", async () => {
    let calls = 0;
    const bus: EventBusPort = {
      async putEvents(entries) {
        calls++;
        if (calls === 1) throw new Error("socket hang up");
        return entries.map(() => undefined);
      },
    };
    expect(await publishEvents(bus, [{ key: "a", event: envelope(1) }], noSleep)).toEqual([]);
    expect(calls).toBe(2);
  });
});
