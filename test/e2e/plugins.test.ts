import { beforeAll, describe, expect, it } from "vitest";
import { ApiClient, mintApiKey, uniqueProject } from "../support/http.js";
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
});
