/**
 * The summary mailer's logic against DynamoDB Local and the local SES (aws-ses-v2-local behind the front
 * that rejects `.invalid` recipients), through the real SES v2 client: once per (session, invitation)
 * under redelivery and concurrency, a rejected address recorded while the others are sent, a crashed
 * sender's claim taken over after its lease, a sender that could not reach SES freeing its recipient.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../local/ports.js";
import { startLocalSes, type LocalSes } from "../../local/ses.js";
import { AwsClient, SERVICES } from "../../shared/adapters/aws/client/aws-client.js";
import { SesMailer } from "../../shared/adapters/aws/ses-mailer.js";
import {
  DeliveryInProgressError,
  mailSummaryForEvent,
  recipientId,
  SUMMARY_CLAIM_LEASE_MS,
  type SummaryMailingDeps,
} from "../../shared/consumers/summary-mailing.js";
import { sendInvitations } from "../../shared/domain/gatherings/invitations.js";
import { createGathering, startGathering } from "../../shared/domain/gatherings/service.js";
import type { Mailer } from "../../shared/domain/mail/mailer.js";
import { insertAnnotation, sessionAnnotation, sessionAnnotationItem } from "../../shared/domain/plugins/annotations.js";
import type { SessionAnnotation } from "../../shared/domain/plugins/model.js";
import { updatePlugin } from "../../shared/domain/plugins/settings.js";
import { createSession, endSession, updateSession } from "../../shared/domain/sessions/service.js";
import { updateSettings } from "../../shared/domain/sessions/settings.js";
import type { EventEnvelope } from "../../shared/kernel/envelope.js";
import { aggregatePk, summaryDeliveryKey } from "../../shared/store/keys.js";
import { createTestTable, type TestTable } from "../support/dynamodb.js";

let table: TestTable;
let ses: LocalSes;
let sesMailer: SesMailer;
beforeAll(async () => {
  table = await createTestTable();
  ses = await startLocalSes({ inboxPort: await freePort(), frontPort: await freePort() });
  sesMailer = new SesMailer(
    new AwsClient(SERVICES.sesv2, {
      endpoint: ses.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    }),
  );
});
afterAll(async () => {
  await ses?.stop();
  await table?.drop();
});
beforeEach(async () => {
  await fetch(`${ses.inboxUrl}clear-store`, { method: "POST" });
});

interface StoredEmail {
  subject: string;
  destination: { to: string[] };
  body: { text?: string; html?: string };
}

async function inbox(): Promise<StoredEmail[]> {
  return ((await (await fetch(`${ses.inboxUrl}store`)).json()) as { emails: StoredEmail[] }).emails;
}

let now = () => new Date();
function deps(mailer: Mailer = sesMailer): SummaryMailingDeps {
  return {
    store: table.store,
    clock: { now: () => now() },
    eventRetentionSeconds: 3600,
    mailer,
    mail: { from: { email: "recaps@cortex.local", name: "Cortex" } },
  };
}

let projects = 0;
const ctxOf = () => ({
  tenantId: "t",
  projectId: `p${++projects}`,
  actor: { type: "apiKey" as const, id: "key_test" },
});

const SUMMARY = {
  summary: "We ship the beta on Friday. The budget is approved.",
  sentences: [{ messageId: "m1", text: "We ship the beta on Friday." }],
  engine: "extractive-summary@test",
};
const ACTION_ITEMS = {
  items: [{ owner: "Alice", task: "send the release notes", due: "2026-07-03", duePhrase: "Friday", messageId: "m2" }],
  engine: "action-items-rules@test",
};

/** A lobby started with its session, three invitations (one rejected by SES), the session ended. */
async function endedMeeting(ctx = ctxOf()) {
  const d = deps();
  const gathering = await createGathering(d, ctx, { name: "Beta launch", type: "lobby" });
  const started = await startGathering(d, ctx, gathering.id, { autoStartSession: true });
  const sessionId = started.gathering.sessionId!;
  const emails = [
    `ann-${ctx.projectId}@example.com`,
    `bo-${ctx.projectId}@example.invalid`,
    `cy-${ctx.projectId}@example.com`,
  ];
  const { invitations } = await sendInvitations(d, ctx, gathering.id, { emails });
  await endSession(d, ctx, sessionId, "stopped");
  return { ctx, gatheringId: gathering.id, sessionId, emails, invitations };
}

/** What the plugin writes at the end, and the event the sequencer publishes for it. */
async function annotate(
  ctx: { tenantId: string; projectId: string },
  sessionId: string,
  pluginId: "summary" | "action_items",
  id = `evt_${pluginId}_${sessionId}`,
): Promise<EventEnvelope> {
  const made = sessionAnnotation(
    ctx,
    sessionId,
    {
      pluginId,
      type: pluginId,
      data: pluginId === "summary" ? SUMMARY : ACTION_ITEMS,
      trigger: { kind: "session.ended" },
    },
    new Date(),
  );
  expect(await insertAnnotation(table.store, sessionAnnotationItem(made))).toBe(true);
  const annotation: SessionAnnotation = { ...made, current: true, version: 9 };
  return {
    id,
    type: "session.annotation.created",
    version: 9,
    tenantId: ctx.tenantId,
    projectId: ctx.projectId,
    resource: `session:${sessionId}`,
    occurredAt: new Date().toISOString(),
    data: { annotation },
  };
}

async function gatheringEvents(ctx: { tenantId: string; projectId: string }, gatheringId: string) {
  const page = await table.store.query({
    pk: aggregatePk("gathering", ctx, gatheringId),
    beginsWith: "E#",
    consistent: true,
    limit: 1000,
  });
  return page.items.map((i) => i.event as EventEnvelope);
}

const to = (emails: StoredEmail[], address: string) =>
  emails.filter((e) => e.destination.to.some((t) => t.includes(address)));

describe("the summary mailer", () => {
  it("waits for both parts, then mails every invitation once; the rejected one is recorded failed, the others sent", async () => {
    const { ctx, gatheringId, sessionId, emails, invitations } = await endedMeeting();
    const first = await annotate(ctx, sessionId, "summary");
    expect(await mailSummaryForEvent(deps(), first)).toMatchObject({ skipped: "waiting for the other part" });
    expect(await inbox()).toHaveLength(0);

    const second = await annotate(ctx, sessionId, "action_items");
    const result = await mailSummaryForEvent(deps(), second);
    const [ann, bo, cy] = invitations;
    expect(result.outcome).toEqual({ [ann!.id]: "sent", [bo!.id]: "failed", [cy!.id]: "sent" });
    // The log names ids and outcomes only.
    expect(JSON.stringify(result)).not.toContain("@");

    const mails = await inbox();
    expect(mails).toHaveLength(2);
    for (const address of [emails[0]!, emails[2]!]) {
      const [mail, ...more] = to(mails, address);
      expect(more).toHaveLength(0);
      expect(mail!.subject).toBe("Summary: Beta launch");
      expect(mail!.body.text).toContain("We ship the beta on Friday.");
      expect(mail!.body.text).toContain("Alice: send the release notes (due 2026-07-03, “Friday”)");
      expect(mail!.body.text).toContain("Summarized by extractive-summary@test.");
      expect(mail!.body.html).toContain("<li>Alice: send the release notes (due 2026-07-03, “Friday”)</li>");
    }
    expect(to(mails, emails[1]!)).toHaveLength(0);

    const events = (await gatheringEvents(ctx, gatheringId)).filter((e) => e.type.startsWith("gathering.summary."));
    expect(events.map((e) => [e.type, (e.data.invitation as { id: string }).id, e.data.sessionId])).toEqual([
      ["gathering.summary.sent", ann!.id, sessionId],
      ["gathering.summary.failed", bo!.id, sessionId],
      ["gathering.summary.sent", cy!.id, sessionId],
    ]);
    expect(events[1]!.data.error).toBe("MessageRejected");
    const marker = await table.store.get(summaryDeliveryKey(ctx, sessionId, bo!.id));
    expect(marker).toMatchObject({ status: "failed", error: "MessageRejected", invitationId: bo!.id });

    // Redelivery of either event, even both at once: nothing more is sent or recorded.
    const again = await Promise.all([mailSummaryForEvent(deps(), second), mailSummaryForEvent(deps(), first)]);
    for (const r of again) {
      expect(Object.values(r.outcome as Record<string, string>).sort()).toEqual([
        "already failed",
        "already sent",
        "already sent",
      ]);
    }
    expect(await inbox()).toHaveLength(2);
    expect(
      (await gatheringEvents(ctx, gatheringId)).filter((e) => e.type.startsWith("gathering.summary.")),
    ).toHaveLength(3);
  });

  it("both parts' events handled concurrently (and each twice) send exactly one email per invitation", async () => {
    const { ctx, gatheringId, sessionId, emails } = await endedMeeting();
    const a = await annotate(ctx, sessionId, "summary");
    const b = await annotate(ctx, sessionId, "action_items");
    const results = await Promise.allSettled([
      mailSummaryForEvent(deps(), a),
      mailSummaryForEvent(deps(), b),
      mailSummaryForEvent(deps(), a),
      mailSummaryForEvent(deps(), b),
    ]);
    // A duplicate of the same event finding its twin mid-send is told to retry later, never to send again.
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(DeliveryInProgressError);
    }
    const mails = await inbox();
    expect(to(mails, emails[0]!)).toHaveLength(1);
    expect(to(mails, emails[2]!)).toHaveLength(1);
    expect(mails).toHaveLength(2);
    // The retries of any event that was told to wait find every recipient done.
    await mailSummaryForEvent(deps(), a);
    await mailSummaryForEvent(deps(), b);
    expect(await inbox()).toHaveLength(2);
    const types = (await gatheringEvents(ctx, gatheringId)).map((e) => e.type);
    expect(types.filter((t) => t === "gathering.summary.sent")).toHaveLength(2);
    expect(types.filter((t) => t === "gathering.summary.failed")).toHaveLength(1);
  });

  it("a sender that died after claiming: its claim holds until the lease passes, then a redelivery takes it over", async () => {
    const { ctx, sessionId, emails, invitations } = await endedMeeting();
    await annotate(ctx, sessionId, "summary");
    const event = await annotate(ctx, sessionId, "action_items");
    const [ann] = invitations;
    // A crash between claim and send leaves this marker behind.
    await table.store.transact([
      {
        op: "put",
        item: {
          ...summaryDeliveryKey(ctx, sessionId, ann!.id),
          kind: "summaryDelivery",
          status: "claimed",
          eventId: event.id,
          claimToken: "crashed",
          leaseUntil: new Date(Date.now() + SUMMARY_CLAIM_LEASE_MS).toISOString(),
        },
      },
    ]);
    // The same event again while the lease runs: the others are mailed, this one is retried later.
    await expect(mailSummaryForEvent(deps(), event)).rejects.toBeInstanceOf(DeliveryInProgressError);
    expect(to(await inbox(), emails[0]!)).toHaveLength(0);
    expect(to(await inbox(), emails[2]!)).toHaveLength(1);

    now = () => new Date(Date.now() + SUMMARY_CLAIM_LEASE_MS + 1000);
    try {
      const result = await mailSummaryForEvent(deps(), event);
      expect((result.outcome as Record<string, string>)[ann!.id]).toBe("sent");
    } finally {
      now = () => new Date();
    }
    expect(to(await inbox(), emails[0]!)).toHaveLength(1);
    expect(to(await inbox(), emails[2]!)).toHaveLength(1);
  });

  it("SES unreachable: the event fails, nothing is recorded, and its retry sends to everyone", async () => {
    const { ctx, gatheringId, sessionId, emails } = await endedMeeting();
    await annotate(ctx, sessionId, "summary");
    const event = await annotate(ctx, sessionId, "action_items");
    const down: Mailer = { send: () => Promise.reject(new Error("connect ECONNREFUSED")) };
    await expect(mailSummaryForEvent(deps(down), event)).rejects.toThrow("ECONNREFUSED");
    expect((await gatheringEvents(ctx, gatheringId)).some((e) => e.type.startsWith("gathering.summary."))).toBe(false);

    const result = await mailSummaryForEvent(deps(), event);
    expect(Object.values(result.outcome as Record<string, string>).sort()).toEqual(["failed", "sent", "sent"]);
    expect(to(await inbox(), emails[0]!)).toHaveLength(1);
  });

  it("with the action-items plugin off, the summary alone completes the set", async () => {
    const ctx = ctxOf();
    await updatePlugin(table.store, ctx, "action_items", { enabled: false }, new Date().toISOString());
    const { sessionId, emails } = await endedMeeting(ctx);
    const result = await mailSummaryForEvent(deps(), await annotate(ctx, sessionId, "summary"));
    expect(Object.values(result.outcome as Record<string, string>)).toContain("sent");
    const [mail] = to(await inbox(), emails[0]!);
    expect(mail!.body.text).toContain("We ship the beta on Friday.");
    expect(mail!.body.text).not.toContain("Action items");
  });

  it("the project setting off: nothing is sent or claimed; back on, the next event sends", async () => {
    const ctx = ctxOf();
    await updateSettings(table.store, ctx, { summaryEmailEnabled: false }, new Date().toISOString());
    const { sessionId, invitations } = await endedMeeting(ctx);
    await annotate(ctx, sessionId, "summary");
    const event = await annotate(ctx, sessionId, "action_items");
    expect(await mailSummaryForEvent(deps(), event)).toMatchObject({ skipped: "turned off" });
    expect(await inbox()).toHaveLength(0);
    expect(await table.store.get(summaryDeliveryKey(ctx, sessionId, invitations[0]!.id))).toBeUndefined();
    await updateSettings(table.store, ctx, { summaryEmailEnabled: true }, new Date().toISOString());
    await mailSummaryForEvent(deps(), event);
    expect(await inbox()).toHaveLength(2);
  });

  it("a session without a gathering sends nothing, unless recipients are given: then each once, recorded on the session", async () => {
    const ctx = ctxOf();
    const silent = await createSession(deps(), ctx, { title: "Ad hoc", externalRoomId: "room-1", autoStart: false });
    await endSession(deps(), ctx, silent.id, "stopped");
    await annotate(ctx, silent.id, "summary");
    const result = await mailSummaryForEvent(deps(), await annotate(ctx, silent.id, "action_items"));
    expect(result).toMatchObject({ skipped: "no recipients" });
    expect(await inbox()).toHaveLength(0);

    const given = [`gil-${ctx.projectId}@example.com`, `hal-${ctx.projectId}@example.invalid`];
    const session = await createSession(deps(), ctx, {
      title: "Ad hoc <sync>",
      externalRoomId: "room-2",
      autoStart: false,
      summaryRecipients: given,
    });
    await endSession(deps(), ctx, session.id, "stopped");
    const a = await annotate(ctx, session.id, "summary");
    const b = await annotate(ctx, session.id, "action_items");
    const results = await Promise.allSettled([mailSummaryForEvent(deps(), a), mailSummaryForEvent(deps(), b)]);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(DeliveryInProgressError);
    await mailSummaryForEvent(deps(), b);
    const logged = JSON.stringify(await mailSummaryForEvent(deps(), a));
    expect(logged).not.toContain("@");
    expect(logged).toContain(recipientId(session.id, given[0]!));

    const [mail, ...more] = to(await inbox(), given[0]!);
    expect(more).toHaveLength(0);
    expect(mail!.subject).toBe("Summary: Ad hoc <sync>");
    expect(await inbox()).toHaveLength(1);
    expect(
      await table.store.get(summaryDeliveryKey(ctx, session.id, recipientId(session.id, given[0]!))),
    ).toMatchObject({
      status: "sent",
      email: given[0],
    });
    expect(
      await table.store.get(summaryDeliveryKey(ctx, session.id, recipientId(session.id, given[1]!))),
    ).toMatchObject({
      status: "failed",
      error: "MessageRejected",
    });
  });

  it("a given address that is also an invitation's gets one email, as the invitation; other given addresses get theirs", async () => {
    const ctx = ctxOf();
    const { gatheringId, sessionId, emails } = await endedMeeting(ctx);
    const extra = `ida-${ctx.projectId}@example.com`;
    await updateSession(deps(), ctx, sessionId, { summaryRecipients: [emails[0]!.toUpperCase(), extra] });
    await annotate(ctx, sessionId, "summary");
    await mailSummaryForEvent(deps(), await annotate(ctx, sessionId, "action_items"));
    const mails = await inbox();
    expect(to(mails, emails[0]!)).toHaveLength(1);
    expect(mails.filter((m) => m.destination.to.some((t) => t.includes(emails[0]!.toUpperCase())))).toHaveLength(0);
    expect(to(mails, extra)).toHaveLength(1);
    const types = (await gatheringEvents(ctx, gatheringId)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith("gathering.summary."))).toHaveLength(3);
  });
});
