import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CortexClient, type GatheringData, type Member } from "../../sdk/src/index.js";
import { uniqueProject } from "../support/http.js";
import { advanceClock, eventually, startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * Live views across the server's limits, against a runtime whose streams end after 2 s and whose events
 * expire after 3 s: resume with Last-Event-ID after `event: end`, and a fresh snapshot after `event: reset`.
 */
let rt: RunningRuntime;
beforeAll(async () => {
  rt = await startRuntime(["--in-memory"], {
    SSE_MAX_DURATION_SECONDS: "2",
    SSE_HEARTBEAT_SECONDS: "1",
    EVENT_REPLAY_WINDOW_DAYS: String(3 / 86_400),
  });
});
afterAll(async () => {
  rt.process.kill("SIGINT");
  await rt.exited;
});

/** A fetch that records every event-stream request and what the server sent on it, and can cut them off. */
function instrumentedFetch() {
  const streams: Array<{ lastEventId: string | null; text: string }> = [];
  const open = new Set<TransformStreamDefaultController<Uint8Array>>();
  const state = {
    offline: false,
    /** Drops every open stream, as a lost network would, and refuses new ones until back online. */
    goOffline() {
      state.offline = true;
      for (const controller of open) controller.error(new TypeError("network lost"));
      open.clear();
    },
  };
  const fetchImpl = async (url: string, init: RequestInit): Promise<Response> => {
    if (!new URL(url).pathname.endsWith("/events")) return fetch(url, init);
    if (state.offline) throw new TypeError("fetch failed (the test cut the network)");
    const record = { lastEventId: new Headers(init.headers).get("last-event-id"), text: "" };
    streams.push(record);
    const response = await fetch(url, init);
    if (state.offline) {
      // Connected just as the network went away: gone too.
      await response.body?.cancel();
      throw new TypeError("fetch failed (the test cut the network)");
    }
    const decoder = new TextDecoder();
    const tee = new TransformStream<Uint8Array, Uint8Array>({
      start(controller) {
        open.add(controller);
      },
      transform(chunk, controller) {
        record.text += decoder.decode(chunk, { stream: true });
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body!.pipeThrough(tee), { status: response.status, headers: response.headers });
  };
  return { fetchImpl, streams, state };
}

describe("live views across stream ends and resets", () => {
  it("resumes with Last-Event-ID after the server ends the stream, missing nothing", async () => {
    const { fetchImpl, streams } = instrumentedFetch();
    const client = new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey, fetch: fetchImpl });
    const lobby = await client.project(uniqueProject("end")).gatherings.create({ name: "Long", type: "lobby" });
    const view = lobby.watchMembers();
    const errors: string[] = [];
    view.onError((e) => errors.push(e.message));
    let members: Member[] = [];
    view.onSnapshot((items) => (members = items));
    await eventually(async () => (streams.length > 0 ? true : undefined));

    await lobby.addMember({ participantId: "early" });
    // Outlive two stream lifetimes, changing things in between.
    await eventually(async () => (streams.length >= 2 ? true : undefined), 10_000);
    await lobby.addMember({ participantId: "middle" });
    await eventually(async () => (streams.length >= 3 ? true : undefined), 10_000);
    await lobby.ready("early");
    await eventually(async () =>
      members.find((m) => m.participantId === "early")?.status === "ready" ? true : undefined,
    );
    view.close();

    expect(members.map((m) => [m.participantId, m.status])).toEqual([
      ["early", "ready"],
      ["middle", "joined"],
    ]);
    expect(streams[0]!.text).toMatch(/event: end\ndata: \{"reason":"max_duration"/);
    // Each reconnect resumes where the last stream ended (its `end` names the last version it covered).
    for (let i = 1; i < streams.length; i++) {
      const ended = /event: end\ndata: (\{.*\})/.exec(streams[i - 1]!.text);
      if (!ended) continue;
      expect(streams[i]!.lastEventId).toBe(String(JSON.parse(ended[1]!).lastEventId));
    }
    expect(streams.every((s) => !s.text.includes("event: reset"))).toBe(true);
    expect(errors).toEqual([]);
  });

  it("reloads the snapshot when it comes back after its events expired (event: reset), ending equal to the server", async () => {
    const { fetchImpl, streams, state } = instrumentedFetch();
    const client = new CortexClient({
      baseUrl: rt.apiUrl,
      apiKey: rt.apiKey,
      fetch: fetchImpl,
      live: { maxBackoffMs: 1000 },
    });
    const project = client.project(uniqueProject("reset"));
    const lobby = await project.gatherings.create({ name: "Away", type: "lobby" });
    const other = await project.gatherings.get(lobby.id);
    const seen: GatheringData[] = [];
    const errors: Array<[string, boolean]> = [];
    const view = lobby.watch();
    view.onError((e, { willRetry }) => errors.push([e.code, willRetry]));
    view.onSnapshot((g) => seen.push(g!));
    // Connected: the server's opening comment has arrived.
    await eventually(async () => (seen.length > 0 && streams[0]?.text.includes("watching") ? true : undefined));

    // Offline while things change, and until those changes have left the 3-second replay window.
    state.goOffline();
    await other.addMember({ participantId: "a" });
    await other.addMember({ participantId: "b" });
    await other.update({ name: "Changed while away" });
    const offlineStreams = streams.length;
    // The runtime's clock moves past the window instead of the test waiting it out.
    await advanceClock(rt, 4.5);
    state.offline = false;

    await eventually(async () => (seen.at(-1)?.name === "Changed while away" ? true : undefined), 15_000);
    view.close();
    const reset = streams.slice(offlineStreams).find((s) => s.text.includes("event: reset"));
    expect(reset, "a reconnect was told to reset").toBeDefined();
    expect(reset!.text).toMatch(/"reason":"replay_window_exceeded"/);
    expect(seen.at(-1)).toEqual(JSON.parse(JSON.stringify(await other.refresh())));
    expect(lobby).toMatchObject({ name: "Changed while away", memberCount: 2 });
    // The outage was reported as transient; nothing stopped the view.
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every(([, willRetry]) => willRetry)).toBe(true);
  });
});
