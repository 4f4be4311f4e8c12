import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DebugAudioStore } from "../../shared/domain/sessions/audio.js";
import { reportAttendance } from "../../shared/domain/sessions/attendance.js";
import { listMessages, postMessage } from "../../shared/domain/sessions/messages.js";
import type { Message } from "../../shared/domain/sessions/model.js";
import { sequenceMessages } from "../../shared/domain/sessions/sequencer.js";
import {
  createSession,
  deleteSession,
  endSession,
  loadSession,
  reportBot,
} from "../../shared/domain/sessions/service.js";
import { aggregatePk } from "../../shared/store/keys.js";
import type { Item } from "../../shared/store/store.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable();
});
afterAll(() => table.drop());

const ctx = { tenantId: "t", projectId: "p", actor: { type: "apiKey" as const, id: "key_test" } };
const bot = { ...ctx, actor: { type: "bot" as const, id: "key_bot" } };
const noAudio: DebugAudioStore = {
  put: () => Promise.reject(new Error("no audio here")),
  downloadUrl: () => Promise.reject(new Error("no audio here")),
  deletePrefix: async () => 0,
};
const deps = () => ({
  store: table.store,
  clock: { now: () => new Date() },
  eventRetentionSeconds: 3600,
  audio: noAudio,
});

/** What the stream would hand the sequencer: the session's message items not yet sequenced. */
async function unsequenced(sessionId: string): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await table.store.query({
      pk: aggregatePk("session", ctx, sessionId),
      beginsWith: "MSG#",
      consistent: true,
      limit: 500,
      ...(cursor && { cursor }),
    });
    items.push(...page.items.filter((i) => i.version === undefined));
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

async function events(sessionId: string) {
  const page = await table.store.query({
    pk: aggregatePk("session", ctx, sessionId),
    beginsWith: "E#",
    consistent: true,
    limit: 5000,
  });
  return page.items.map((i) => i.event as { type: string; version: number; data: { message?: Message } });
}

/** Utterances an hour ago, a second apart (a tie-free order: speaker breaks ties by a millisecond). */
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;

const speak = (sessionId: string, speaker: number, n: number, id = `s${speaker}-m${n}`) =>
  postMessage(deps(), bot, sessionId, {
    id,
    type: "user",
    senderName: `Speaker ${speaker}`,
    peerId: `peer-${speaker}`,
    content: `line ${n} from speaker ${speaker}`,
    timestamp: new Date(BASE + n * 1000 + speaker).toISOString(),
  });

describe("messages and the sequencer, against DynamoDB Local", () => {
  it("5 speakers × 60 concurrent posts with retries are 300 messages, sequenced by two racing sequencers into a gapless log", async () => {
    const session = await createSession(deps(), ctx, { title: "stand-up", externalRoomId: "room-1" });
    const posts = [];
    for (let n = 0; n < 60; n++) for (let s = 0; s < 5; s++) posts.push(speak(session.id, s, n));
    // Every tenth post is retried with the same id while the first may still be in flight.
    for (let n = 0; n < 60; n += 2) posts.push(speak(session.id, n % 5, n));
    const results = await Promise.all(posts);
    expect(results.filter((r) => r.created)).toHaveLength(300);

    const pending = await unsequenced(session.id);
    expect(pending).toHaveLength(300);
    const records = pending.map((item, i) => ({ key: String(i), item }));
    // Two sequencers (a split shard, a redelivered batch) over overlapping halves, at once.
    const [a, b] = await Promise.all([
      sequenceMessages(deps(), records.slice(0, 200)),
      sequenceMessages(deps(), records.slice(100)),
    ]);
    expect(a.failed).toEqual([]);
    expect(b.failed).toEqual([]);
    expect(a.counts.sequenced + b.counts.sequenced).toBe(300);

    const log = await events(session.id);
    expect(log.map((e) => e.version)).toEqual(log.map((_, i) => i + 1));
    const created = log.filter((e) => e.type === "message.created").map((e) => e.data.message!.id);
    expect(created).toHaveLength(300);
    expect(new Set(created).size).toBe(300);
    const root = await loadSession(table.store, ctx, session.id);
    expect(root.messageCount).toBe(300);
    expect(root.version).toBe(log.length);

    // Sequencing the same records again (a redelivery) publishes nothing.
    const again = await sequenceMessages(deps(), records);
    expect(again.counts.sequenced).toBe(0);
    expect(await events(session.id)).toHaveLength(log.length);
  });

  it("the transcript lists in chronological order (timestamp, then id) across pages", async () => {
    const session = await createSession(deps(), ctx, { title: "order", externalRoomId: "room-2" });
    await Promise.all([3, 1, 2, 0].map((n) => speak(session.id, 0, n)));
    // Two utterances at the same instant: the id breaks the tie.
    const tie = new Date(BASE + 1500).toISOString();
    for (const id of ["tie-b", "tie-a"]) {
      await postMessage(deps(), bot, session.id, { id, type: "user", senderName: "B", content: id, timestamp: tie });
    }
    const first = await listMessages(table.store, ctx, session.id, { limit: 2 });
    const second = await listMessages(table.store, ctx, session.id, { limit: 10, cursor: first.nextCursor! });
    expect([...first.items, ...second.items].map((m) => m.id)).toEqual([
      "s0-m0",
      "s0-m1",
      "tie-a",
      "tie-b",
      "s0-m2",
      "s0-m3",
    ]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("the same id with other content is a 409 and writes nothing", async () => {
    const session = await createSession(deps(), ctx, { title: "reuse", externalRoomId: "room-3" });
    await speak(session.id, 0, 0, "dup");
    const before = await table.scan();
    await expect(
      postMessage(deps(), bot, session.id, {
        id: "dup",
        type: "user",
        senderName: "Speaker 0",
        content: "something else",
        timestamp: new Date().toISOString(),
      }),
    ).rejects.toMatchObject({ status: 409, code: "message_id_reused" });
    expect(await table.scan()).toEqual(before);
  });

  it("an utterance after the session ended is refused; one spoken before the end is kept", async () => {
    const session = await createSession(deps(), ctx, { title: "late", externalRoomId: "room-4" });
    const before = new Date(Date.now() - 1000).toISOString();
    await endSession(deps(), ctx, session.id, "stopped");
    const late = new Date(Date.now() + 60_000).toISOString();
    const post = (timestamp: string, id: string) =>
      postMessage(deps(), bot, session.id, { id, type: "user", senderName: "A", content: "x", timestamp });
    await expect(post(late, "late")).rejects.toMatchObject({ status: 409, code: "session_ended" });
    await expect(post(before, "flushed")).resolves.toMatchObject({ created: true });
  });

  it("attendance keeps intervals, adds system messages once per report, and ignores retries", async () => {
    const session = await createSession(deps(), ctx, { title: "attendance", externalRoomId: "room-5" });
    const at = (s: number) => new Date(BASE + s * 1000).toISOString();
    const report = (event: "joined" | "left", s: number) =>
      reportAttendance(deps(), bot, session.id, { peerId: "peer-a", displayName: "Ada", event, at: at(s) });
    await report("joined", 0);
    await report("joined", 0);
    await report("left", 10);
    const back = await report("joined", 20);
    expect(back.present).toBe(true);
    expect(back.intervals).toEqual([{ joinedAt: at(0), leftAt: at(10) }, { joinedAt: at(20) }]);
    const system = (await unsequenced(session.id)).map((i) => i.content);
    expect(system).toEqual(["Ada joined", "Ada left", "Ada joined"]);
    const types = (await events(session.id)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith("session.attendance."))).toEqual([
      "session.attendance.joined",
      "session.attendance.left",
      "session.attendance.joined",
    ]);
  });

  it("a bot report for an old command is a 409 stale_command; in_room then left ends the session with bot_left", async () => {
    const session = await createSession(deps(), ctx, { title: "bot", externalRoomId: "room-6" });
    const commandId = session.bot.commandId!;
    await expect(reportBot(deps(), bot, session.id, { state: "in_room", commandId: "cmd_old" })).rejects.toMatchObject({
      status: 409,
      code: "stale_command",
    });
    await reportBot(deps(), bot, session.id, { state: "in_room", commandId });
    const { session: after } = await reportBot(deps(), bot, session.id, { state: "left", commandId });
    expect(after).toMatchObject({ status: "ended", endedReason: "bot_left", bot: { state: "left" } });
  });

  it("deleting removes the transcript, attendance and older events, and leaves a tombstone and session.deleted", async () => {
    const session = await createSession(deps(), ctx, { title: "delete", externalRoomId: "room-7" });
    await speak(session.id, 0, 0);
    await reportAttendance(deps(), bot, session.id, { peerId: "p", event: "joined", at: new Date().toISOString() });
    await deleteSession(deps(), ctx, session.id);
    const left = (await table.scan()).filter((i) => i.PK === aggregatePk("session", ctx, session.id));
    expect(left.map((i) => i.SK).sort()).toEqual(["#ROOT", expect.stringMatching(/^E#/)].sort());
    expect(left.find((i) => i.SK !== "#ROOT")?.event).toMatchObject({ type: "session.deleted" });
    await expect(loadSession(table.store, ctx, session.id)).rejects.toMatchObject({ status: 404 });
    // A retry of the delete (after a crash mid-purge) finishes without error.
    await expect(deleteSession(deps(), ctx, session.id)).resolves.toBeUndefined();
  });
});
