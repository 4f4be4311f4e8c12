import { beforeAll, describe, expect, it } from "vitest";
import { ApiClient, mintApiKey, uniqueProject } from "../support/http.js";
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

type Annotation = { id: string; type: string; messageId?: string; data: Record<string, any>; current?: boolean };

/** The meeting, re-timed to the last minutes (the API refuses future timestamps): same lines, same order. */
function retimed(base = Date.now() - 10 * 60_000) {
  const first = Date.parse(MEETING[0]!.timestamp);
  return MEETING.map((m) => ({ ...m, timestamp: new Date(base + Date.parse(m.timestamp) - first).toISOString() }));
}

async function holdMeeting(api: ApiClient) {
  const bot = new ApiClient(rt, api.projectId, botKey);
  const created = await api.post("/sessions", {
    title: "Stand-up",
    externalRoomId: `room-${api.projectId}`,
    autoStart: false,
  });
  expect(created.status).toBe(201);
  const session = created.body;
  for (const m of retimed()) {
    const posted = await bot.post(`/sessions/${session.id}/messages`, {
      id: m.id,
      senderName: m.senderName,
      content: m.content,
      timestamp: m.timestamp,
    });
    expect(posted.status).toBe(201);
  }
  return session as { id: string };
}

async function allMessageAnnotations(api: ApiClient, sessionId: string): Promise<Annotation[]> {
  const items: Annotation[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.get(
      `/sessions/${sessionId}/message-annotations?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

describe("plugins", () => {
  it("annotate the scripted meeting: profanity only on the profane line, sentiment signs, summary and action items at the end", async () => {
    const api = new ApiClient(rt, uniqueProject("plugins"));
    const session = await holdMeeting(api);
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
