import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLEAN, MEETING, NEGATIVE, POSITIVE, PROFANE } from "../fixtures/meeting.js";
import {
  SENTIMENT_TARGET,
  startComprehendServer,
  type ComprehendServer,
  type RecordedRequest,
} from "../support/comprehend-server.js";
import { ApiClient, committedEvents, uniqueProject } from "../support/http.js";
import { allMessageAnnotations, holdMeeting, type Annotation } from "../support/meetings.js";
import { eventually, startRuntime, type RunningRuntime } from "../support/runtime.js";

/**
 * Issue 13's fault acceptance on a runtime of its own, with the profanity and sentiment plugins on
 * Amazon Comprehend — a stand-in on 127.0.0.1 with the local engines behind it (test/support/
 * comprehend-server.ts) that fails when told to: a plugin that throws once is retried by its queue and
 * writes its annotation once; a plugin that always throws lands in its dead-letter queue while the
 * other plugins go on, and a redrive after the fix annotates what it missed.
 */
let comprehend: ComprehendServer;
let rt: RunningRuntime;
beforeAll(async () => {
  comprehend = await startComprehendServer();
  rt = await startRuntime(["--in-memory"], {
    SENTIMENT_ENGINE: "comprehend",
    PROFANITY_ENGINE: "comprehend",
    // The runtime sets the region and local credentials the SDK signs with; only the endpoint is ours.
    AWS_ENDPOINT_URL_COMPREHEND: comprehend.url,
  });
});
afterAll(async () => {
  if (rt && rt.process.exitCode === null && rt.process.signalCode === null) {
    rt.process.kill("SIGINT");
    await rt.exited;
  }
  await comprehend?.close();
});

const SENTIMENT_ENGINE = "amazon-comprehend:BatchDetectSentiment";
const TOXICITY_ENGINE = "amazon-comprehend:DetectToxicContent";
const SAID = MEETING.map((m) => m.content);

async function health() {
  const response = await fetch(`${rt.apiUrl}/health`);
  return {
    status: response.status,
    body: (await response.json()) as { consumers: Array<{ rule: string; deadLetters: number }> },
  };
}

/** The texts of the sentiment requests answered with `status`, one entry per text sent. */
const textsSent = (requests: readonly RecordedRequest[], status: number): string[] =>
  requests.filter((r) => r.status === status).flatMap((r) => r.body.TextList as string[]);

const count = <T>(values: readonly T[]) => {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
};

/** Waits until every utterance of the meeting has a sentiment annotation; returns all the session's. */
function sentimentOfEveryUtterance(api: ApiClient, sessionId: string, utterances = MEETING.length) {
  return eventually(async () => {
    const all = await allMessageAnnotations(api, sessionId);
    return all.filter((a) => a.type === "sentiment").length >= utterances ? all : undefined;
  }, 120_000);
}

function profanityOf(api: ApiClient, sessionId: string) {
  return eventually(async () => {
    const found = (await allMessageAnnotations(api, sessionId)).filter((a) => a.type === "profanity");
    return found.length > 0 ? found : undefined;
  }, 120_000);
}

/** Per (message, plugin): how many annotations the API lists, and how many events the session's log has. */
async function annotationCounts(api: ApiClient, sessionId: string, annotations: Annotation[]) {
  const listed = count(annotations.map((a) => `${a.messageId} ${a.pluginId}`));
  const events = (await committedEvents(rt, api.projectId, sessionId)).filter(
    (e) => e.type === "message.annotation.created",
  );
  const published = count(
    events.map((e) => {
      const annotation = e.data.annotation as { messageId: string; pluginId: string };
      return `${annotation.messageId} ${annotation.pluginId}`;
    }),
  );
  return { listed, published };
}

/**
 * The later marker: the session's end, whose sentiment roll-up is inserted after every message annotation
 * (the caller has seen them all) and so published after them. Needs no Comprehend call, every utterance
 * being scored already.
 */
async function endAndAwaitRollUp(api: ApiClient, sessionId: string) {
  const sentimentCalls = comprehend.requestsFor(SENTIMENT_TARGET).length;
  expect((await api.post(`/sessions/${sessionId}/stop`)).status).toBe(202);
  await eventually(async () => {
    const events = await committedEvents(rt, api.projectId, sessionId);
    const rolledUp = events.some(
      (e) =>
        e.type === "session.annotation.created" && (e.data.annotation as { pluginId: string }).pluginId === "sentiment",
    );
    return rolledUp ? true : undefined;
  }, 120_000);
  expect(comprehend.requestsFor(SENTIMENT_TARGET)).toHaveLength(sentimentCalls);
}

/** One sentiment annotation per utterance of the meeting, and one profanity annotation (the profane line). */
const ONE_EACH = new Map([
  ...MEETING.map((m) => [`${m.id} sentiment`, 1] as const),
  [`${PROFANE.id} profanity`, 1] as const,
]);

describe("plugin faults", () => {
  it("a sentiment call that fails once is retried by the queue: one annotation and one event per utterance", async () => {
    const api = new ApiClient(rt, uniqueProject("fault-once"));
    const seen = comprehend.requests.length;
    comprehend.failNext(1, { target: SENTIMENT_TARGET, status: 400, type: "InvalidRequestException" });
    const session = await holdMeeting(api, rt.botKey);

    const annotations = await sentimentOfEveryUtterance(api, session.id);
    const sentiment = annotations.filter((a) => a.type === "sentiment");
    expect(sentiment.map((a) => a.messageId).sort()).toEqual(MEETING.map((m) => m.id).sort());
    for (const a of sentiment) expect(a.data.engine).toBe(SENTIMENT_ENGINE);
    // Scored by wink behind the stand-in, mapped back by the adapter.
    const scoreOf = (id: string) => sentiment.find((a) => a.messageId === id)!.data;
    expect(scoreOf(POSITIVE.id)).toMatchObject({ label: "positive" });
    expect(scoreOf(POSITIVE.id).score).toBeGreaterThan(0);
    expect(scoreOf(NEGATIVE.id)).toMatchObject({ label: "negative" });
    expect(scoreOf(NEGATIVE.id).score).toBeLessThan(0);

    // The one failed request, and its texts sent again by the retry: each utterance scored exactly once,
    // no engine call repeated for an utterance already annotated.
    const requests = comprehend.requestsFor(SENTIMENT_TARGET).filter((r) => comprehend.requests.indexOf(r) >= seen);
    const failed = requests.filter((r) => r.status !== 200);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.status).toBe(400);
    const retried = requests.slice(requests.indexOf(failed[0]!) + 1).flatMap((r) => r.body.TextList as string[]);
    expect(retried).toEqual(expect.arrayContaining(failed[0]!.body.TextList as string[]));
    expect(textsSent(requests, 200).sort()).toEqual([...SAID].sort());
    expect(rt.output()).toMatch(/a record will be retried/);

    // Profanity, on Comprehend too, flagged the profane line only.
    const profanity = await profanityOf(api, session.id);
    expect(profanity.map((a) => a.messageId)).toEqual([PROFANE.id]);
    expect(profanity[0]!.data.engine).toBe(TOXICITY_ENGINE);

    await endAndAwaitRollUp(api, session.id);
    const { listed, published } = await annotationCounts(api, session.id, await allMessageAnnotations(api, session.id));
    expect(listed).toEqual(ONE_EACH);
    expect(published).toEqual(ONE_EACH);
    // Nothing was dead-lettered.
    expect((await health()).body.consumers).toEqual([]);
  });

  it("a sentiment engine that always fails dead-letters its records while profanity goes on; a redrive after the fix annotates them", async () => {
    const api = new ApiClient(rt, uniqueProject("fault-always"));
    const seen = comprehend.requests.length;
    comprehend.failAlways({ target: SENTIMENT_TARGET });
    const session = await holdMeeting(api, rt.botKey);

    // The profanity plugin, on its own queue, annotates the meeting meanwhile.
    const profanity = await profanityOf(api, session.id);
    expect(profanity.map((a) => a.messageId)).toEqual([PROFANE.id]);

    // Every utterance's sentiment record is received 4 times (retried after 1 s, 3 s, 12 s), then
    // dead-lettered.
    const sick = await eventually(async () => {
      const report = await health();
      const dead = report.body.consumers.find((c) => c.rule === "plugin-sentiment");
      return dead && dead.deadLetters >= MEETING.length ? report : undefined;
    }, 120_000);
    expect(sick.status).toBe(503);
    expect(sick.body.consumers).toEqual([
      expect.objectContaining({ rule: "plugin-sentiment", deadLetters: MEETING.length }),
    ]);
    const requests = comprehend.requestsFor(SENTIMENT_TARGET).filter((r) => comprehend.requests.indexOf(r) >= seen);
    expect(requests.every((r) => r.status === 400)).toBe(true);
    const attempts = count(textsSent(requests, 400));
    expect(attempts).toEqual(new Map(SAID.map((text) => [text, 4] as const)));
    // The backoff between one utterance's attempts.
    const times = requests.filter((r) => (r.body.TextList as string[]).includes(CLEAN.content)).map((r) => r.at);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    [1000, 3000, 12_000].forEach((delay, i) => expect(gaps[i]).toBeGreaterThanOrEqual(delay - 50));
    expect((await allMessageAnnotations(api, session.id)).filter((a) => a.type === "sentiment")).toEqual([]);

    // A later session's profanity is annotated too: nothing else stopped.
    const later = await holdMeeting(api, rt.botKey, [CLEAN, PROFANE]);
    const laterProfanity = await profanityOf(api, later.id);
    expect(laterProfanity.map((a) => a.messageId)).toEqual([PROFANE.id]);

    // The fix, then the redrive: the dead-lettered records go back to their queue and are annotated.
    comprehend.stopFailing();
    const redrive = await fetch(`${rt.apiUrl}/local/redrive`, {
      method: "POST",
      headers: { Authorization: `Bearer ${rt.apiKey}` },
    });
    expect(redrive.status).toBe(200);
    const report = (await redrive.json()) as { queued?: Record<string, number> };
    // The later session's records may have been dead-lettered too, or retried in time.
    expect(report.queued?.["plugin-sentiment"]).toBeGreaterThanOrEqual(MEETING.length);

    const annotations = await sentimentOfEveryUtterance(api, session.id);
    const sentiment = annotations.filter((a) => a.type === "sentiment");
    expect(sentiment.map((a) => a.messageId).sort()).toEqual(MEETING.map((m) => m.id).sort());
    for (const a of sentiment) expect(a.data.engine).toBe(SENTIMENT_ENGINE);
    const laterSentiment = (await sentimentOfEveryUtterance(api, later.id, 2)).filter((a) => a.type === "sentiment");
    expect(laterSentiment.map((a) => a.messageId).sort()).toEqual([CLEAN.id, PROFANE.id].sort());

    const healed = await eventually(async () => {
      const h = await health();
      return h.status === 200 ? h : undefined;
    }, 60_000);
    expect(healed.body.consumers).toEqual([]);

    await endAndAwaitRollUp(api, session.id);
    const { listed, published } = await annotationCounts(api, session.id, await allMessageAnnotations(api, session.id));
    expect(listed).toEqual(ONE_EACH);
    expect(published).toEqual(ONE_EACH);
  });
});
