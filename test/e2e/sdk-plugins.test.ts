import { beforeAll, describe, expect, it } from "vitest";
import {
  CortexClient,
  type MessageAnnotation,
  type Project,
  type Session,
  type SessionAnnotation,
  type SessionData,
} from "../../sdk/src/index.js";
import { CortexBot, type BotSession } from "../../sdk/src/bot.js";
import { mintApiKey, uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";
import { MEETING, PROFANE } from "../fixtures/meeting.js";

/**
 * Seed 003's plugin half of the Session through the SDK, against the shared local runtime: the scripted
 * meeting posted by a bot, the annotations live (watchMessageAnnotations(), watchSessionAnnotations())
 * and read afresh, regenerateSummary(), getActions() and project.plugins.
 */
const rt = sharedRuntime();
let botKey: string;
beforeAll(async () => {
  botKey = await mintApiKey(rt, "local", undefined, "bot");
});

const newProject = (prefix: string) =>
  new CortexClient({ baseUrl: rt.apiUrl, apiKey: rt.apiKey }).project(uniqueProject(prefix));

async function newSession(project: Project): Promise<{ session: Session; bot: BotSession }> {
  const session = await project.sessions.create({
    title: "Stand-up",
    externalRoomId: `room-${project.id}`,
    autoStart: false,
  });
  return { session, bot: new CortexBot({ baseUrl: rt.apiUrl, botKey }).session(project.id, session.id) };
}

/** The meeting, re-timed to the last minutes (the API refuses future timestamps): same lines, same order. */
async function holdMeeting(bot: BotSession): Promise<void> {
  const first = Date.parse(MEETING[0]!.timestamp);
  const base = Date.now() - 10 * 60_000;
  for (const m of MEETING) {
    const timestamp = new Date(base + Date.parse(m.timestamp) - first).toISOString();
    await bot.postMessage({ id: m.id, senderName: m.senderName, content: m.content, timestamp });
  }
}

let said = 0;
/** One line, said a moment ago (each later than the last). */
function say(bot: BotSession, id: string, content: string) {
  return bot.postMessage({
    id,
    senderName: "Carol Diaz",
    content,
    timestamp: new Date(Date.now() - 1000 + said++).toISOString(),
  });
}

/** The latest value a live view delivered, and a wait for one that satisfies a condition. */
function latest<T>(subscribe: (listener: (value: T) => void) => () => void) {
  let value: T | undefined;
  const waiters: Array<() => void> = [];
  const unsubscribe = subscribe((next) => {
    value = next;
    for (const w of waiters.splice(0)) w();
  });
  return {
    unsubscribe,
    async until(done: (value: T) => boolean, ms = 90_000): Promise<T> {
      const deadline = Date.now() + ms;
      while (value === undefined || !done(value)) {
        if (Date.now() > deadline) throw new Error(`live view did not get there: ${JSON.stringify(value)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 1000);
        });
      }
      return value;
    },
  };
}

const utterances = MEETING.length;
/** Every utterance scored, and the profane one flagged: all the message annotations the meeting gets. */
const meetingAnnotated = (items: MessageAnnotation[]) =>
  items.filter((a) => a.type === "sentiment").length === utterances && items.some((a) => a.type === "profanity");
/** The summary, the action items and the meeting's sentiment: what the session's end produces. */
const endAnnotated = (items: SessionAnnotation[]) =>
  ["summary", "action_items", "sentiment"].every((type) => items.some((a) => a.type === type));

describe("the SDK's annotations, live (seed 003)", () => {
  it("watchMessageAnnotations(), watchSessionAnnotations() and watch() opened before the meeting end equal fresh reads after it", async () => {
    const project = newProject("sdk-plugins-live");
    const { session, bot } = await newSession(project);
    const messages = latest<MessageAnnotation[]>((l) => session.watchMessageAnnotations().onSnapshot(l));
    const sessions = latest<SessionAnnotation[]>((l) => session.watchSessionAnnotations().onSnapshot(l));
    const document = latest<SessionData | undefined>((l) => session.watch().onSnapshot(l));
    // Open (snapshot in) before the first line is said.
    expect(await messages.until(() => true)).toEqual([]);
    expect(await sessions.until(() => true)).toEqual([]);
    await document.until((s) => s !== undefined);

    await holdMeeting(bot);
    await session.stop();
    const liveMessages = await messages.until(meetingAnnotated);
    const liveSession = await sessions.until(endAnnotated);

    const freshMessages = await session.getMessageAnnotations();
    expect(liveMessages).toEqual(freshMessages);
    expect(freshMessages.filter((a) => a.type === "profanity").map((a) => a.messageId)).toEqual([PROFANE.id]);
    // The listing's order: by message id, then plugin.
    const keys = freshMessages.map((a) => `${a.messageId}#${a.pluginId}`);
    expect(keys).toEqual([...keys].sort());
    const freshSession = await session.getSessionAnnotations();
    expect(liveSession).toEqual(freshSession);
    expect(freshSession.map((a) => [a.type, a.current]).sort()).toEqual([
      ["action_items", true],
      ["sentiment", true],
      ["summary", true],
    ]);
    // Every annotation event advanced the watched session's version, as the server committed it.
    const fresh = (await project.sessions.get(session.id)).toJSON();
    expect(fresh.version).toBeGreaterThan(utterances + freshMessages.length + freshSession.length);
    expect(await document.until((s) => s!.version === fresh.version)).toEqual(fresh);
    for (const view of [messages, sessions, document]) view.unsubscribe();
  });

  it("regenerateSummary() adds a new current summary and keeps the old one, current: false — live and in a fresh read", async () => {
    const project = newProject("sdk-plugins-regenerate");
    const { session, bot } = await newSession(project);
    await holdMeeting(bot);
    await session.stop();
    // Every end-of-session annotation first (summary, action items, the sentiment roll-up), so the live view
    // and the fresh read below differ only by what regenerateSummary() adds.
    const [first] = await eventually(async () => {
      const all = await session.getSessionAnnotations();
      const types = new Set(all.map((a) => a.type));
      const complete = ["summary", "action_items", "sentiment"].every((t) => types.has(t as never));
      return complete ? all.filter((a) => a.type === "summary") : undefined;
    });
    expect(first).toBeDefined();
    expect(first).toMatchObject({ current: true, trigger: { kind: "session.ended" } });

    const view = latest<SessionAnnotation[]>((l) => session.watchSessionAnnotations().onSnapshot(l));
    await view.until((items) => items.some((a) => a.id === first!.id));
    expect(await session.regenerateSummary()).toBeUndefined();
    const live = await view.until((items) => items.filter((a) => a.type === "summary").length === 2);
    view.unsubscribe();

    const summaries = live.filter((a) => a.type === "summary");
    expect(summaries.map((a) => [a.id, a.current])).toEqual([
      [first!.id, false],
      [summaries[1]!.id, true],
    ]);
    expect(summaries[1]!.trigger).toMatchObject({ kind: "action", actionId: "generate-minutes" });
    expect(summaries[1]!.data.sentences).toEqual(first!.data.sentences);
    expect(live).toEqual(await session.getSessionAnnotations());
  });
});

describe("the SDK's plugin settings and actions", () => {
  it("getActions() lists the enabled plugins only: disabling summary takes it (and regenerateSummary()) away", async () => {
    const project = newProject("sdk-plugins-actions");
    const { session } = await newSession(project);
    const before = await session.getActions();
    expect(before.sessionId).toBe(session.id);
    expect(before.plugins.map((p) => p.id)).toEqual(["profanity", "sentiment", "summary", "action_items"]);
    expect(before.plugins.find((p) => p.id === "summary")!.actions.map((a) => a.id)).toEqual(["generate-minutes"]);

    const disabled = await project.plugins.update("summary", { enabled: false });
    expect(disabled).toMatchObject({ id: "summary", enabled: false, updatedAt: expect.any(String) });
    expect((await project.plugins.get("summary"))!.enabled).toBe(false);
    expect((await session.getActions()).plugins.map((p) => p.id)).toEqual(["profanity", "sentiment", "action_items"]);
    await expect(session.regenerateSummary()).rejects.toMatchObject({ status: 409, code: "plugin_disabled" });

    await project.plugins.update("summary", { enabled: true });
    expect((await session.getActions()).plugins.map((p) => p.id)).toContain("summary");
    expect((await project.plugins.list()).every((p) => p.enabled)).toBe(true);
  });

  it("disabling profanity stops its new annotations: a profane line said while it is off is never flagged", async () => {
    const project = newProject("sdk-plugins-off");
    const { session, bot } = await newSession(project);
    expect(await project.plugins.update("profanity", { enabled: false })).toMatchObject({ enabled: false });
    await say(bot, "off-1", "This deploy script is a piece of shit.");
    // Its sentiment annotation: the bus has delivered the line's event to the plugin queues (to every
    // matching rule at once), so it is on the profanity queue before anything posted from now on.
    await eventually(
      async () =>
        (await session.getMessageAnnotations({ messageId: "off-1" })).some((a) => a.type === "sentiment") || undefined,
    );

    // The marker: a profane line of another project (profanity on), posted after it. The profanity queue
    // hands out its oldest messages first, one batch at a time, and the consumer reads each project's
    // setting per batch: once the marker is flagged, the line above has been through the consumer, off.
    const other = newProject("sdk-plugins-marker");
    const marker = await newSession(other);
    await say(marker.bot, "marker-1", "What a load of shit.");
    await eventually(
      async () =>
        (await marker.session.getMessageAnnotations({ messageId: "marker-1" })).some((a) => a.type === "profanity") ||
        undefined,
    );
    const off = await session.getMessageAnnotations({ messageId: "off-1" });
    expect(off.map((a) => a.type)).toEqual(["sentiment"]);

    // On again, a profane line is flagged (so the absence above is the setting, not the line).
    await project.plugins.update("profanity", { enabled: true });
    await say(bot, "on-1", "The staging box is a piece of shit again.");
    const flagged = await eventually(async () =>
      (await session.getMessageAnnotations({ messageId: "on-1" })).find((a) => a.type === "profanity"),
    );
    expect(flagged.data.flagged).toBe(true);
    expect(
      (await session.getMessageAnnotations()).filter((a) => a.type === "profanity").map((a) => a.messageId),
    ).toEqual(["on-1"]);
  });
});
