import { describe, expect, it } from "vitest";
import { ApiClient, committedEvents, mintApiKey, uniqueProject } from "../support/http.js";
import { eventually, scheduleWrites, sharedRuntime } from "../support/runtime.js";

/**
 * idleTimeout: a session ends by itself (`idle`, the bot released) after that long without an utterance,
 * through one Scheduler deadline that its target re-arms lazily — never a schedule write per message.
 */
const rt = sharedRuntime();

describe("idle stop", () => {
  it("talk every second keeps a 3 s idleTimeout session alive; silence ends it with idle; schedule writes follow idle windows, not messages", async () => {
    const api = new ApiClient(rt, uniqueProject("idle"));
    const bot = new ApiClient(rt, api.projectId, await mintApiKey(rt, "local", api.projectId, "bot"));
    const created = await api.post("/sessions", { title: "Idle", externalRoomId: "quiet-room", idleTimeout: 3 });
    const sessionId = created.body.id as string;
    const report = await bot.post(`/sessions/${sessionId}/bot`, {
      state: "in_room",
      commandId: created.body.bot.commandId,
    });
    expect(report.status).toBe(200);
    const inRoomAt = Date.now();

    // Ten seconds of talk: five speakers, one line each, every second.
    let messages = 0;
    let lastTick = 0;
    for (let second = 0; second < 10; second++) {
      const tick = Date.now();
      lastTick = tick;
      await Promise.all(
        Array.from({ length: 5 }, (_, s) =>
          bot.post(`/sessions/${sessionId}/messages`, {
            senderName: `Speaker ${s}`,
            content: `second ${second}`,
            timestamp: new Date().toISOString(),
          }),
        ),
      );
      messages += 5;
      const session = await api.get(`/sessions/${sessionId}`);
      expect(session.body.status, `ended after ${second} s of talk`).toBe("active");
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - tick))));
    }
    // The last words were posted after lastTick, so the session is silent from then at the earliest.

    // Silence: the session ends with idle, and the bot is released.
    const ended = await eventually(async () => {
      const session = await api.get(`/sessions/${sessionId}`);
      return session.body.status === "ended" ? session.body : undefined;
    }, 60_000);
    expect(ended).toMatchObject({ endedReason: "idle", bot: { state: "leaving" } });
    expect(Date.parse(ended.endedAt)).toBeGreaterThanOrEqual(lastTick + 3000);
    // The plugins annotate the session asynchronously (their annotations are session events too, and may land
    // after the end): the lifecycle is the rest.
    const types = (await committedEvents(rt, api.projectId, sessionId))
      .map((e) => e.type)
      .filter((t) => !t.endsWith(".annotation.created"));
    expect(types.slice(-2)).toEqual(["session.bot.released", "session.ended"]);

    // The idle deadline was set (or deleted) once per lifecycle change and re-armed once per idle window of
    // talk, at most. (`total` counts the writes that took effect; a put may also make one refused create.)
    const windows = Math.ceil((Date.parse(ended.endedAt) - inRoomAt) / 3000);
    const lifecycle = types.filter((t) => t !== "message.created").length;
    const { total: writes } = await scheduleWrites(rt, `${sessionId}-idle`);
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThanOrEqual(windows + lifecycle);
    expect(writes).toBeLessThan(messages / 2);
  });
});
