import { beforeAll, describe, expect, it } from "vitest";
import { MEETING } from "../fixtures/meeting.js";
import { ApiClient, committedEvents, mintApiKey, uniqueProject } from "../support/http.js";
import { eventually, sharedRuntime } from "../support/runtime.js";

/**
 * The summary email end to end on the local runtime: a lobby's session transcribes the scripted meeting
 * through the bot API, is stopped, the plugins write its summary and action items, and the summary mailer
 * emails every invitation of the lobby through the local SES (one address it rejects).
 */
const rt = sharedRuntime();
let botKey: string;
beforeAll(async () => {
  botKey = await mintApiKey(rt, "local", undefined, "bot");
});

interface StoredEmail {
  subject: string;
  destination: { to: string[] };
  body: { text?: string; html?: string };
}

async function summaryEmailsTo(address: string): Promise<StoredEmail[]> {
  const { emails } = (await (await fetch(`${rt.inboxUrl}store`)).json()) as { emails: StoredEmail[] };
  return emails.filter((e) => e.subject.startsWith("Summary:") && e.destination.to.some((t) => t.includes(address)));
}

/** The meeting, re-timed to the last minutes (the API refuses future timestamps): same lines, same order. */
function retimed(base = Date.now() - 10 * 60_000) {
  const first = Date.parse(MEETING[0]!.timestamp);
  return MEETING.map((m) => ({ ...m, timestamp: new Date(base + Date.parse(m.timestamp) - first).toISOString() }));
}

/** A lobby with invitations, started with its session, the meeting held through the bot API, then stopped. */
async function holdMeeting(api: ApiClient, name: string, invite: { emails: string[]; participantIds?: string[] }) {
  const lobby = await api.create({ name, type: "lobby" });
  expect((await api.post(`/gatherings/${lobby.id}/invitations`, invite)).status).toBe(201);
  const started = await api.post(`/gatherings/${lobby.id}/start`, { autoStartSession: true });
  expect(started.status).toBe(200);
  const sessionId = started.body.sessionId as string;
  await transcribeAndStop(api, sessionId);
  return { gatheringId: lobby.id as string, sessionId };
}

async function transcribeAndStop(api: ApiClient, sessionId: string) {
  const bot = new ApiClient(rt, api.projectId, botKey);
  for (const m of retimed()) {
    const posted = await bot.post(`/sessions/${sessionId}/messages`, {
      id: m.id,
      senderName: m.senderName,
      content: m.content,
      timestamp: m.timestamp,
    });
    expect(posted.status).toBe(201);
  }
  expect((await api.post(`/sessions/${sessionId}/stop`)).status).toBe(202);
}

describe("the summary email", () => {
  it("reaches every invitation of the gathering once, email-only invitee included; the rejected address is recorded failed", async () => {
    const api = new ApiClient(rt, uniqueProject("recap"));
    const dee = `dee-${api.projectId}@example.com`;
    expect((await api.request("PUT", "/participants/p-dee", { displayName: "Dee", email: dee })).status).toBeLessThan(
      300,
    );
    const emailOnly = `eve-${api.projectId}@example.com`;
    const rejected = `bad-${api.projectId}@example.invalid`;
    const { gatheringId, sessionId } = await holdMeeting(api, "Sprint review", {
      emails: [emailOnly, rejected],
      participantIds: ["p-dee"],
    });

    const events = await eventually(async () => {
      const all = await committedEvents(rt, api.projectId, gatheringId);
      const summary = all.filter((e) => e.type.startsWith("gathering.summary."));
      return summary.length === 3 ? summary : undefined;
    }, 90_000);
    const invitations = (await api.get(`/gatherings/${gatheringId}/invitations`)).body.items as Array<{
      id: string;
      email: string;
    }>;
    const idOf = (email: string) => invitations.find((i) => i.email === email)!.id;
    const outcome = new Map(events.map((e) => [(e.data.invitation as { id: string }).id, e]));
    expect(outcome.get(idOf(dee))?.type).toBe("gathering.summary.sent");
    expect(outcome.get(idOf(emailOnly))?.type).toBe("gathering.summary.sent");
    expect(outcome.get(idOf(rejected))).toMatchObject({
      type: "gathering.summary.failed",
      data: { sessionId, error: "MessageRejected" },
    });
    for (const e of events) expect(e.data.sessionId).toBe(sessionId);
    // The outcome is recorded on each invitation too (its status stays about the invitation email).
    const recorded = (await api.get(`/gatherings/${gatheringId}/invitations`)).body.items as Array<{
      id: string;
      summaryEmail?: { sessionId: string; status: string; error?: string };
    }>;
    const summaryOf = (email: string) => recorded.find((i) => i.id === idOf(email))!.summaryEmail;
    expect(summaryOf(dee)).toMatchObject({ sessionId, status: "sent" });
    expect(summaryOf(emailOnly)).toMatchObject({ sessionId, status: "sent" });
    expect(summaryOf(rejected)).toMatchObject({ sessionId, status: "failed", error: "MessageRejected" });

    for (const address of [dee, emailOnly]) {
      const [mail, ...more] = await summaryEmailsTo(address);
      expect(more).toHaveLength(0);
      expect(mail!.subject).toBe("Summary: Sprint review");
      // Both parts: a sentence of the meeting (the extractive summary quotes it) and the action item.
      const said = MEETING.map((m) => m.content);
      expect(said.some((line) => mail!.body.text!.includes(line))).toBe(true);
      expect(mail!.body.text).toMatch(/Alice: .*migration guide/);
      expect(mail!.body.html).toMatch(/<li>Alice: .*migration guide/);
      expect(mail!.body.text).toMatch(/Summarized by \S+/);
      expect(mail!.body.html).toContain("<!DOCTYPE html>");
    }
    expect(await summaryEmailsTo(rejected)).toHaveLength(0);
  });

  it("the project setting off sends nothing (a later meeting of a project with it on is the marker)", async () => {
    const off = new ApiClient(rt, uniqueProject("recap-off"));
    expect((await off.patch("/settings", { summaryEmailEnabled: false })).body).toMatchObject({
      summaryEmailEnabled: false,
    });
    const quiet = `quiet-${off.projectId}@example.com`;
    const first = await holdMeeting(off, "Off the record", { emails: [quiet] });
    // Both end-of-meeting annotations are published: their events are on the bus before the marker's.
    await eventually(async () => {
      const items = (await off.get(`/sessions/${first.sessionId}/annotations`)).body.items as Array<{
        type: string;
        version?: number;
      }>;
      const published = items.filter((a) => a.version !== undefined).map((a) => a.type);
      return published.includes("summary") && published.includes("action_items") ? true : undefined;
    }, 90_000);

    const on = new ApiClient(rt, uniqueProject("recap-on"));
    const marker = `marker-${on.projectId}@example.com`;
    await holdMeeting(on, "On the record", { emails: [marker] });
    await eventually(async () => ((await summaryEmailsTo(marker)).length === 1 ? true : undefined), 90_000);

    expect(await summaryEmailsTo(quiet)).toHaveLength(0);
    const types = (await committedEvents(rt, off.projectId, first.gatheringId)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith("gathering.summary."))).toEqual([]);
  });

  it("a session without a gathering mails the recipients given on it, and refuses a list that is not addresses", async () => {
    const api = new ApiClient(rt, uniqueProject("recap-given"));
    const bad = await api.post("/sessions", { title: "x", externalRoomId: "r", summaryRecipients: ["nope"] });
    expect(bad.status).toBe(400);
    const given = `gia-${api.projectId}@example.com`;
    const created = await api.post("/sessions", {
      title: "Hallway chat",
      externalRoomId: `room-${api.projectId}`,
      autoStart: false,
      summaryRecipients: [given],
    });
    expect(created.status).toBe(201);
    expect(created.body.summaryRecipients).toEqual([given]);
    await transcribeAndStop(api, created.body.id);
    const [mail] = await eventually(async () => {
      const mails = await summaryEmailsTo(given);
      return mails.length > 0 ? mails : undefined;
    }, 90_000);
    expect(mail!.subject).toBe("Summary: Hallway chat");
    expect(mail!.body.text).toMatch(/Alice: .*migration guide/);
  });
});
