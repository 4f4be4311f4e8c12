import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "../../shared/kernel/envelope.js";
import type { SentimentEngine } from "../../shared/domain/plugins/engines.js";
import { localEngines } from "../../shared/domain/plugins/local-engines.js";
import { runPlugin, type Engines, type PluginRecord } from "../../shared/domain/plugins/runner.js";
import { WinkSentimentEngine } from "../../shared/domain/plugins/sentiment-wink.js";
import { updatePlugin } from "../../shared/domain/plugins/settings.js";
import type { DebugAudioStore } from "../../shared/domain/sessions/audio.js";
import { postMessage } from "../../shared/domain/sessions/messages.js";
import { sequenceMessages } from "../../shared/domain/sessions/sequencer.js";
import { createSession, deleteSession, endSession } from "../../shared/domain/sessions/service.js";
import { aggregatePk, MESSAGE_ANNOTATION_SK_PREFIX, MESSAGE_SK_PREFIX } from "../../shared/store/keys.js";
import type { Item } from "../../shared/store/store.js";
import { ANNOTATION_ITEM_KIND } from "../../shared/store/table.js";
import { CLEAN, NEGATIVE, POSITIVE, PROFANE } from "../fixtures/meeting.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

/**
 * `runPlugin` against DynamoDB Local, with the local engines (the sentiment one counted, and made to
 * throw where a test says so): what a plugin queue's batch writes and reports when the engine fails once,
 * when the batch is delivered again, and for the events it must leave alone.
 */
let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const noAudio: DebugAudioStore = {
  put: () => Promise.reject(new Error("no audio here")),
  downloadUrl: () => Promise.reject(new Error("no audio here")),
  deletePrefix: async () => 0,
};
const clock = { now: () => new Date() };
const sessionDeps = () => ({ store: table.store, clock, eventRetentionSeconds: 3600, audio: noAudio });

let projects = 0;
/** A project of its own per test (one table for the file). */
function newProject() {
  return { tenantId: "t", projectId: `p${projects++}`, actor: { type: "apiKey" as const, id: "key_test" } };
}
type Ctx = ReturnType<typeof newProject>;

const LINES = [CLEAN, POSITIVE, NEGATIVE, PROFANE];

/**
 * A meeting as the plugin queue sees it: the session, its lines posted by the bot and sequenced, and the
 * committed `message.created` envelopes (the queue message body is the envelope), in transcript order.
 */
async function meeting(ctx: Ctx, options: { systemLine?: boolean } = {}) {
  const session = await createSession(sessionDeps(), ctx, {
    title: "Stand-up",
    externalRoomId: `room-${ctx.projectId}`,
  });
  const bot = { ...ctx, actor: { type: "bot" as const, id: "key_bot" } };
  const base = Date.now() - 60_000;
  for (const [i, line] of LINES.entries()) {
    await postMessage(sessionDeps(), bot, session.id, {
      id: line.id,
      type: "user",
      senderName: line.senderName,
      content: line.content,
      timestamp: new Date(base + i * 1000).toISOString(),
    });
  }
  if (options.systemLine) {
    await postMessage(sessionDeps(), bot, session.id, {
      id: "msg_system",
      type: "system",
      senderName: "Cortex",
      content: "Ana Ruiz left the meeting. What a terrible, awful shame.",
      timestamp: new Date(base + LINES.length * 1000).toISOString(),
    });
  }
  const pk = aggregatePk("session", ctx, session.id);
  const inserted = await table.store.query({ pk, beginsWith: MESSAGE_SK_PREFIX, consistent: true, limit: 100 });
  const sequenced = await sequenceMessages(
    sessionDeps(),
    inserted.items.map((item, i) => ({ key: String(i), item })),
  );
  expect(sequenced.failed).toEqual([]);
  return { session, records: await recordsOf(ctx, session.id, "message.created") };
}

/** The session's committed events of a type, as plugin queue records. */
async function recordsOf(ctx: Ctx, sessionId: string, type: string): Promise<PluginRecord[]> {
  const log = await table.store.query({
    pk: aggregatePk("session", ctx, sessionId),
    beginsWith: "E#",
    consistent: true,
    limit: 1000,
  });
  return log.items
    .map((item) => item.event as EventEnvelope)
    .filter((e) => e.type === type)
    .map((envelope) => ({ key: `sqs-${envelope.id}`, envelope }));
}

async function messageAnnotations(ctx: Ctx, sessionId: string): Promise<Item[]> {
  const page = await table.store.query({
    pk: aggregatePk("session", ctx, sessionId),
    beginsWith: MESSAGE_ANNOTATION_SK_PREFIX,
    consistent: true,
    limit: 1000,
  });
  return page.items;
}

/** The local engines, with every sentiment call recorded and the first `failing` calls thrown. */
function countedEngines(failing = 0) {
  const local = localEngines();
  const calls: string[][] = [];
  let failures = failing;
  const engines: Engines = {
    ...local,
    sentiment: async () => {
      const real = await local.sentiment();
      const counted: SentimentEngine = {
        engine: real.engine,
        score: async (texts) => {
          calls.push([...texts]);
          if (failures > 0) {
            failures--;
            throw new Error("the sentiment engine is down");
          }
          return real.score(texts);
        },
      };
      return counted;
    },
  };
  return { engines, calls };
}

describe("runPlugin against DynamoDB Local", () => {
  it("an engine that throws once fails every record of the batch and writes nothing; the redelivery writes one annotation per utterance", async () => {
    const ctx = newProject();
    const { session, records } = await meeting(ctx);
    expect(records).toHaveLength(LINES.length);
    const { engines, calls } = countedEngines(1);
    const deps = { store: table.store, clock, engines };

    const first = await runPlugin(deps, "sentiment", records);
    expect(first.failed.sort()).toEqual(records.map((r) => r.key).sort());
    expect(new Set(first.errors.map((e) => (e as Error).message))).toEqual(new Set(["the sentiment engine is down"]));
    expect(first.counts).toEqual({ annotated: 0, already: 0, skipped: 0 });
    expect(await messageAnnotations(ctx, session.id)).toEqual([]);

    const second = await runPlugin(deps, "sentiment", records);
    expect(second.failed).toEqual([]);
    expect(second.counts).toEqual({ annotated: LINES.length, already: 0, skipped: 0 });
    // The retry sent the engine the same utterances.
    expect(calls).toHaveLength(2);
    expect([...calls[1]!].sort()).toEqual([...calls[0]!].sort());
    expect([...calls[0]!].sort()).toEqual(LINES.map((l) => l.content).sort());

    const written = await messageAnnotations(ctx, session.id);
    expect(written.map((a) => a.messageId).sort()).toEqual(LINES.map((l) => l.id).sort());
    const wink = await new WinkSentimentEngine().score(LINES.map((l) => l.content));
    for (const [i, line] of LINES.entries()) {
      const annotation = written.find((a) => a.messageId === line.id)!;
      expect(annotation).toMatchObject({
        pluginId: "sentiment",
        type: "sentiment",
        trigger: { kind: "message.created" },
      });
      expect(annotation.data).toEqual(wink[i]);
    }
    expect(written.find((a) => a.messageId === POSITIVE.id)!.data).toMatchObject({ label: "positive" });
    expect(written.find((a) => a.messageId === NEGATIVE.id)!.data).toMatchObject({ label: "negative" });
  });

  it("a record delivered again once annotated writes nothing new and costs no engine call", async () => {
    const ctx = newProject();
    const { session, records } = await meeting(ctx);
    const { engines, calls } = countedEngines();
    const deps = { store: table.store, clock, engines };
    expect((await runPlugin(deps, "sentiment", records)).counts.annotated).toBe(LINES.length);
    const before = await messageAnnotations(ctx, session.id);
    expect(calls).toHaveLength(1);

    const again = await runPlugin(deps, "sentiment", records);
    expect(again.failed).toEqual([]);
    expect(again.counts).toEqual({ annotated: 0, already: LINES.length, skipped: 0 });
    expect(calls).toHaveLength(1);
    expect(await messageAnnotations(ctx, session.id)).toEqual(before);
  });

  it("a batch mixing annotated and new records sends the engine only the new ones", async () => {
    const ctx = newProject();
    const { session, records } = await meeting(ctx);
    const { engines, calls } = countedEngines();
    const deps = { store: table.store, clock, engines };
    expect((await runPlugin(deps, "sentiment", records.slice(0, 2))).counts.annotated).toBe(2);
    const mixed = await runPlugin(deps, "sentiment", records);
    expect(mixed.counts).toEqual({ annotated: LINES.length - 2, already: 2, skipped: 0 });
    const content = (r: PluginRecord) => (r.envelope.data.message as { content: string }).content;
    // The engine's order within a call is not the transcript's: compare as sets.
    expect(calls.map((texts) => [...texts].sort())).toEqual([
      records.slice(0, 2).map(content).sort(),
      records.slice(2).map(content).sort(),
    ]);
    expect(await messageAnnotations(ctx, session.id)).toHaveLength(LINES.length);
  });

  it("a plugin the project disabled skips its events: no engine call, nothing written", async () => {
    const ctx = newProject();
    const { session, records } = await meeting(ctx);
    await updatePlugin(table.store, ctx, "sentiment", { enabled: false }, new Date().toISOString());
    const { engines, calls } = countedEngines();
    const result = await runPlugin({ store: table.store, clock, engines }, "sentiment", records);
    expect(result.failed).toEqual([]);
    expect(result.counts).toEqual({ annotated: 0, already: 0, skipped: LINES.length });
    expect(calls).toEqual([]);
    expect(await messageAnnotations(ctx, session.id)).toEqual([]);
  });

  it("system messages are skipped: only utterances are scored and annotated", async () => {
    const ctx = newProject();
    const { session, records } = await meeting(ctx, { systemLine: true });
    expect(records).toHaveLength(LINES.length + 1);
    const { engines, calls } = countedEngines();
    const result = await runPlugin({ store: table.store, clock, engines }, "sentiment", records);
    expect(result.failed).toEqual([]);
    expect(result.counts).toEqual({ annotated: LINES.length, already: 0, skipped: 1 });
    expect(calls.flat().sort()).toEqual(LINES.map((l) => l.content).sort());
    const written = await messageAnnotations(ctx, session.id);
    expect(written.map((a) => a.messageId)).not.toContain("msg_system");
    expect(written).toHaveLength(LINES.length);
  });

  it("the events of a session deleted since are done, not failed: no engine call, nothing written", async () => {
    const ctx = newProject();
    const { session, records } = await meeting(ctx);
    await endSession(sessionDeps(), ctx, session.id, "stopped");
    const ended = await recordsOf(ctx, session.id, "session.ended");
    expect(ended).toHaveLength(1);
    await deleteSession(sessionDeps(), ctx, session.id);

    const { engines, calls } = countedEngines();
    const deps = { store: table.store, clock, engines };
    for (const pluginId of ["sentiment", "summary", "action_items"] as const) {
      const result = await runPlugin(deps, pluginId, ended);
      expect(result.failed).toEqual([]);
      expect(result.counts).toEqual({ annotated: 0, already: 0, skipped: 1 });
    }
    for (const pluginId of ["sentiment", "profanity"] as const) {
      const result = await runPlugin(deps, pluginId, records);
      expect(result.failed).toEqual([]);
      expect(result.counts).toEqual({ annotated: 0, already: 0, skipped: LINES.length });
    }
    expect(calls).toEqual([]);
    const partition = aggregatePk("session", ctx, session.id);
    expect((await table.scan()).filter((i) => i.PK === partition && i.kind === ANNOTATION_ITEM_KIND)).toEqual([]);
  });
});
