import { beforeAll, describe, expect, it } from "vitest";
import { ApiClient, mintApiKey, projectItems, uniqueProject } from "../support/http.js";
import { allMessageAnnotations, holdMeeting, type Annotation } from "../support/meetings.js";
import { eventually, sharedRuntime } from "../support/runtime.js";
import { ALICE_COMMITMENT, CLEAN, MEETING, NEGATIVE, POSITIVE, PROFANE } from "../fixtures/meeting.js";

/**
 * The plugins end to end on the local runtime: the scripted meeting posted through the bot API, the
 * annotations the four built-in plugins make of it (through the rules, the plugin queues and the
 * sequencer), the annotations API, actions and per-project plugin settings.
 */
const rt = sharedRuntime();
let botKey: string;
beforeAll(async () => {
  botKey = await mintApiKey(rt, "local", undefined, "bot");
});

describe("plugins", () => {
  it("annotate the scripted meeting: profanity only on the profane line, sentiment signs, summary and action items at the end", async () => {
    const api = new ApiClient(rt, uniqueProject("plugins"));
    const session = await holdMeeting(api, botKey);
    const utterances = MEETING.length;
    // Every utterance gets a sentiment; only the profane one a profanity annotation.
    const annotations = await eventually(async () => {
      const all = await allMessageAnnotations(api, session.id);
      return all.filter((a) => a.type === "sentiment").length === utterances && all.some((a) => a.type === "profanity")
        ? all
        : undefined;
    });
    const profanity = annotations.filter((a) => a.type === "profanity");
    expect(profanity.map((a) => a.messageId)).toEqual([PROFANE.id]);
    const [span] = profanity[0]!.data.matches;
    expect(PROFANE.content.slice(span.start, span.end).toLowerCase()).toContain("shit");
    expect(profanity[0]!.data.engine).toMatch(/^obscenity@/);
    const sentimentOf = (id: string) => annotations.find((a) => a.type === "sentiment" && a.messageId === id)!.data;
    expect(sentimentOf(POSITIVE.id).score).toBeGreaterThan(0);
    expect(sentimentOf(NEGATIVE.id).score).toBeLessThan(0);
    expect(sentimentOf(CLEAN.id).engine).toMatch(/^wink-nlp@/);

    expect((await api.post(`/sessions/${session.id}/stop`)).status).toBe(202);
    const sessionAnnotations = await eventually(async () => {
      const { body } = await api.get(`/sessions/${session.id}/annotations`);
      const types = new Set(body.items.map((a: Annotation) => a.type));
      return types.has("summary") && types.has("action_items") && types.has("sentiment") ? body.items : undefined;
    });
    const summary = sessionAnnotations.find((a: Annotation) => a.type === "summary");
    expect(summary.current).toBe(true);
    expect(summary.data.engine).toMatch(/extractive-summary/);
    const said = MEETING.map((m) => m.content).join(" ");
    expect(summary.data.sentences.length).toBeGreaterThan(0);
    for (const sentence of summary.data.sentences) expect(said).toContain(sentence.text);
    const items = sessionAnnotations.find((a: Annotation) => a.type === "action_items").data.items;
    const alice = items.find((i: { owner?: string }) => i.owner === "Alice");
    expect(alice).toMatchObject({ messageId: ALICE_COMMITMENT.id, duePhrase: expect.stringMatching(/friday/i) });
    expect(new Date(`${alice.due}T00:00:00Z`).getUTCDay()).toBe(5);
  });

  it("lists the catalog with each project's settings, and refuses a bad update with a 400 that changes nothing", async () => {
    const api = new ApiClient(rt, uniqueProject("plugins"));
    const listed = await api.get("/plugins");
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((p: { id: string; enabled: boolean }) => [p.id, p.enabled])).toEqual([
      ["profanity", true],
      ["sentiment", true],
      ["summary", true],
      ["action_items", true],
    ]);
    const summary = listed.body.items.find((p: { id: string }) => p.id === "summary");
    expect(summary).toMatchObject({
      pluginInstanceId: `${api.projectId}/summary`,
      writes: ["summary"],
      config: { maxSentences: 3 },
      actions: [{ id: "generate-minutes", name: "Generate minutes" }],
    });
    expect(summary).not.toHaveProperty("updatedAt");

    const before = await projectItems(rt, api.projectId);
    const bad = await api.request("PUT", "/plugins/summary", { config: { maxSentences: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(["config.maxSentences"]);
    expect((await api.request("PUT", "/plugins/summary", {})).status).toBe(400);
    expect((await api.request("PUT", "/plugins/summary", { enabled: "yes" })).status).toBe(400);
    expect((await api.request("PUT", "/plugins/summary", { config: { shout: true } })).status).toBe(400);
    const unknown = await api.request("PUT", "/plugins/translation", { enabled: true });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain("profanity, sentiment, summary, action_items");
    expect(await projectItems(rt, api.projectId)).toEqual(before);

    const changed = await api.request("PUT", "/plugins/summary", { config: { maxSentences: 2 } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ enabled: true, config: { maxSentences: 2 }, updatedAt: expect.any(String) });
    expect((await api.get("/plugins")).body.items[2].config).toEqual({ maxSentences: 2 });
  });

  it("lists the actions of enabled plugins only; a disabled plugin's action is a 409 and an unknown one a 404", async () => {
    const api = new ApiClient(rt, uniqueProject("plugins"));
    const created = await api.post("/sessions", { title: "Actions", externalRoomId: "room-actions", autoStart: false });
    const base = `/sessions/${created.body.id}`;
    const actions = await api.get(`${base}/actions`);
    expect(actions.body.sessionId).toBe(created.body.id);
    expect(actions.body.plugins.map((p: { id: string }) => p.id)).toEqual([
      "profanity",
      "sentiment",
      "summary",
      "action_items",
    ]);
    expect(actions.body.plugins[2].actions.map((a: { id: string }) => a.id)).toEqual(["generate-minutes"]);

    expect((await api.request("PUT", "/plugins/summary", { enabled: false })).status).toBe(200);
    const fewer = await api.get(`${base}/actions`);
    expect(fewer.body.plugins.map((p: { id: string }) => p.id)).toEqual(["profanity", "sentiment", "action_items"]);
    const before = await projectItems(rt, api.projectId);
    const disabled = await api.post(`${base}/summary/regenerate`);
    expect([disabled.status, disabled.body.code]).toEqual([409, "plugin_disabled"]);
    expect((await api.post(`${base}/actions/summary/generate-minutes`)).status).toBe(409);
    expect((await api.post(`${base}/actions/action_items/generate-minutes`)).status).toBe(404);
    expect((await api.post(`${base}/actions/nothing/generate-minutes`)).status).toBe(404);
    expect(
      (await api.post(`/sessions/sess_01aaaaaaaaaaaaaaaaaaaaaaaa/actions/action_items/extract-action-items`)).status,
    ).toBe(404);
    expect(await projectItems(rt, api.projectId)).toEqual(before);
  });

  it("regenerates the summary on request: a new current summary naming the request, the old one kept; a retried request runs once", async () => {
    const api = new ApiClient(rt, uniqueProject("plugins"));
    const session = await holdMeeting(api, botKey);
    expect((await api.post(`/sessions/${session.id}/stop`)).status).toBe(202);
    const summaries = async () =>
      (await api.get(`/sessions/${session.id}/annotations?type=summary`)).body.items as Array<
        Annotation & { trigger: { kind: string; requestId?: string } }
      >;
    const [first] = await eventually(async () => ((await summaries()).length === 1 ? summaries() : undefined));
    expect(first).toMatchObject({ current: true, trigger: { kind: "session.ended" } });

    const headers = { "Idempotency-Key": "regenerate-once" };
    const accepted = await api.post(`/sessions/${session.id}/summary/regenerate`, undefined, headers);
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      pluginId: "summary",
      actionId: "generate-minutes",
      requestId: expect.stringMatching(/^req_/),
    });
    const retried = await api.post(`/sessions/${session.id}/summary/regenerate`, undefined, headers);
    expect(retried.body.requestId).toBe(accepted.body.requestId);
    await eventually(async () => ((await summaries()).length >= 2 ? true : undefined));
    // A second, different request: its summary is the marker that the retried one made nothing more.
    const second = await api.post(`/sessions/${session.id}/actions/summary/generate-minutes`);
    expect(second.status).toBe(202);
    const all = await eventually(async () => {
      const items = await summaries();
      return items.some((a) => a.trigger.requestId === second.body.requestId) ? items : undefined;
    });
    expect(all.map((a) => [a.trigger.requestId ?? a.trigger.kind, a.current])).toEqual([
      ["session.ended", false],
      [accepted.body.requestId, false],
      [second.body.requestId, true],
    ]);
    expect(all[1]!.data.sentences).toEqual(first!.data.sentences);
  });
});
