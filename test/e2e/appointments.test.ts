import ICAL from "ical.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiClient, committedEvents, projectItems, uniqueProject } from "../support/http.js";
import { advanceClock, eventually, sharedRuntime, startRuntime, type RuntimeEndpoints } from "../support/runtime.js";

/** Appointments over the local runtime: scheduled auto-start/end, calendar invitations through local SES, RSVP. */
const rt = sharedRuntime();

const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d{3}Z$/, "Z");

interface StoredEmail {
  messageId: string;
  subject: string;
  destination: { to: string[] };
  body: { html?: string; text?: string };
  attachments: Array<{ content: string; contentType: string; filename?: string }>;
}

async function inbox(runtime: RuntimeEndpoints): Promise<StoredEmail[]> {
  return ((await (await fetch(`${runtime.inboxUrl}store`)).json()) as { emails: StoredEmail[] }).emails;
}

function icsOf(email: StoredEmail): string {
  const attachment = email.attachments.find((a) => a.filename === "invite.ics");
  if (!attachment) throw new Error("no invite.ics attachment");
  const text = attachment.content.includes("BEGIN:VCALENDAR")
    ? attachment.content
    : Buffer.from(attachment.content, "base64").toString("utf8");
  return text;
}

function parseIcs(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const event = calendar.getFirstSubcomponent("vevent")!;
  return {
    method: calendar.getFirstPropertyValue("method"),
    uid: event.getFirstPropertyValue("uid"),
    sequence: event.getFirstPropertyValue("sequence"),
    organizer: event.getFirstPropertyValue("organizer"),
    attendee: event.getFirstProperty("attendee"),
    dtstart: event.getFirstProperty("dtstart"),
    dtend: event.getFirstProperty("dtend"),
  };
}

async function emailsTo(runtime: RuntimeEndpoints, address: string): Promise<StoredEmail[]> {
  return (await inbox(runtime)).filter((e) => e.destination.to.some((to) => to.includes(address)));
}

describe("appointments: scheduled auto-start", () => {
  it("starts at startsAt with its session — even across a restart of the local runtime in between", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cortex-appt-"));
    let runtime = await startRuntime(["--data-dir", dataDir]);
    const api = new ApiClient(runtime, uniqueProject("appt"));
    const startsAt = iso(3_600_000);
    const appt = await api.create({
      name: "Standup",
      type: "appointment",
      startsAt,
      endsAt: iso(7_200_000),
      autoStartSession: true,
    });
    // Restart before it is due: the schedule (or, if its sync had not run yet, the journaled event that
    // creates it) survives the restart.
    await eventually(async () => ((await api.get(`/activity?limit=100`)).body.items.length >= 1 ? true : undefined));
    runtime.process.kill("SIGINT");
    await runtime.exited;
    runtime = await startRuntime(["--data-dir", dataDir]);
    try {
      const again = new ApiClient(runtime, api.projectId);
      // An hour later on the restarted runtime's clock, instead of an hour of waiting.
      await advanceClock(runtime, 3_600 + 60);
      const started = await eventually(async () => {
        const events = await committedEvents(runtime, api.projectId, appt.id);
        return events.find((e) => e.type === "gathering.started");
      }, 30_000);
      // It started at (not before) startsAt, by its schedule.
      expect(Date.parse(started.occurredAt)).toBeGreaterThanOrEqual(Date.parse(startsAt));
      expect(started.actor).toEqual({ type: "schedule", id: `${appt.id}-start` });
      const gathering = (await again.get(`/gatherings/${appt.id}`)).body;
      expect(gathering.status).toBe("started");
      const session = (await again.get(`/sessions/${gathering.sessionId}`)).body;
      expect(session).toMatchObject({
        status: "active",
        title: "Standup",
        externalRoomId: appt.id,
        gatheringId: appt.id,
      });
      const activity = await eventually(async () => {
        const items = (await again.get(`/activity?limit=100`)).body.items as Array<{ type: string; resource: string }>;
        // Deliveries are asynchronous and unordered across events: wait for both.
        const types = items.map((e) => e.type);
        return types.includes("session.created") && types.includes("gathering.started") ? items : undefined;
      });
      expect(activity.filter((e) => e.type === "gathering.started")).toHaveLength(1);
      expect(activity.find((e) => e.type === "session.created")!.resource).toBe(`session:${gathering.sessionId}`);
    } finally {
      runtime.process.kill("SIGINT");
      await runtime.exited;
    }
  });

  it("a rescheduled appointment starts at the new time only; a cancelled one never starts", async () => {
    // A runtime of its own: its clock is moved forward instead of waiting for the start times.
    const own = await startRuntime(["--in-memory", "--port", "0"]);
    try {
      const api = new ApiClient(own, uniqueProject("appt"));
      const at = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
      const appointment = (name: string) =>
        api.create({ name, type: "appointment", startsAt: at(1), endsAt: at(5), autoStartSession: true });
      const [moved, cancelled, marker] = await Promise.all([
        appointment("Moved"),
        appointment("Off"),
        appointment("On time"),
      ]);
      const newStart = at(3);
      expect((await api.patch(`/gatherings/${moved.id}`, { startsAt: newStart })).body.calendarSequence).toBe(1);
      expect((await api.post(`/gatherings/${cancelled.id}/cancel`)).status).toBe(200);
      const status = async (id: string) => (await api.get(`/gatherings/${id}`)).body.status as string;
      // The schedules follow the changes (the sync consumer is asynchronous): wait until they show.
      const scheduled = async () => {
        const items = (await api.get("/activity?limit=100")).body.items as Array<{ type: string; resource: string }>;
        const seen = (id: string, type: string) =>
          items.some((e) => e.resource === `gathering:${id}` && e.type === type);
        return seen(moved.id, "gathering.updated") && seen(cancelled.id, "gathering.cancelled") ? true : undefined;
      };
      await eventually(scheduled);
      // Past the old start time: the untouched appointment is the marker that the old time came and went.
      await advanceClock(own, 2 * 3600);
      await eventually(async () => ((await status(marker.id)) === "started" ? true : undefined));
      expect((await api.get(`/gatherings/${moved.id}`)).body).toMatchObject({
        status: "scheduled",
        startsAt: newStart,
      });
      expect(await status(cancelled.id)).toBe("cancelled");
      // Past the new start time: the moved one starts, the cancelled one still never does.
      await advanceClock(own, 2 * 3600);
      await eventually(async () => ((await status(moved.id)) === "started" ? true : undefined));
      expect(await status(cancelled.id)).toBe("cancelled");
      for (const id of [moved.id, cancelled.id]) {
        const starts = (await committedEvents(own, api.projectId, id)).filter((e) => e.type === "gathering.started");
        expect(starts).toHaveLength(id === moved.id ? 1 : 0);
      }
    } finally {
      own.process.kill("SIGINT");
      await own.exited;
    }
  });
});

describe("appointments: calendar invitations", () => {
  it("three invitees, one rejected by SES: two sent, one failed, the gathering unaffected; the .ics is a proper REQUEST", async () => {
    const api = new ApiClient(rt, uniqueProject("mail"));
    const startsAt = iso(86_400_000);
    const endsAt = iso(90_000_000);
    const appt = await api.create({
      name: "Quarterly Review",
      type: "appointment",
      startsAt,
      endsAt,
      autoStartSession: true,
    });
    const emails = [
      `ann-${api.projectId}@example.com`,
      `rejected-${api.projectId}@example.invalid`,
      `cid-${api.projectId}@example.com`,
    ];
    const sent = await api.post(`/gatherings/${appt.id}/invitations`, { emails, message: "See you there" });
    expect(sent.status).toBe(201);
    expect(sent.body.invitations.map((i: { status: string }) => i.status)).toEqual(["pending", "pending", "pending"]);

    const final = await eventually(async () => {
      const items = (await api.get(`/gatherings/${appt.id}/invitations`)).body.items as Array<{
        email: string;
        status: string;
        deliveryError?: string;
      }>;
      return items.every((i) => i.status !== "pending") ? items : undefined;
    });
    const byEmail = new Map(final.map((i) => [i.email, i]));
    expect(byEmail.get(emails[0]!)?.status).toBe("sent");
    expect(byEmail.get(emails[2]!)?.status).toBe("sent");
    expect(byEmail.get(emails[1]!)).toMatchObject({ status: "failed", deliveryError: "MessageRejected" });
    expect((await api.get(`/gatherings/${appt.id}`)).body.status).toBe("scheduled");

    const delivered = [...(await emailsTo(rt, emails[0]!)), ...(await emailsTo(rt, emails[2]!))];
    expect(delivered).toHaveLength(2);
    expect(await emailsTo(rt, emails[1]!)).toHaveLength(0);
    for (const email of delivered) {
      const ics = parseIcs(icsOf(email));
      expect(ics.method).toBe("REQUEST");
      expect(ics.uid).toBe(`${appt.id}@cortex.gatherings`);
      expect(ics.sequence).toBe(0);
      expect(String(ics.organizer)).toMatch(/^mailto:/i);
      expect(ics.attendee?.getParameter("rsvp")).toBe("TRUE");
      const start = ics.dtstart!.getFirstValue() as ICAL.Time;
      const end = ics.dtend!.getFirstValue() as ICAL.Time;
      expect(start.toString()).toBe(startsAt);
      expect(start.isDate).toBe(false);
      expect(start.zone?.tzid).toBe("UTC");
      expect(end.zone?.tzid).toBe("UTC");
      expect(email.body.text).toContain(appt.joinCode);
      expect(email.body.text).toContain("transcribed");
      expect(email.body.text).toContain("See you there");
    }
    const types = (await committedEvents(rt, api.projectId, appt.id)).map((e) => e.type);
    expect(types.filter((t) => t === "gathering.invitation.sent")).toHaveLength(2);
    expect(types.filter((t) => t === "gathering.invitation.failed")).toHaveLength(1);
  });

  it("a reschedule mails an update with the same UID and SEQUENCE 1; a cancel mails METHOD:CANCEL", async () => {
    const api = new ApiClient(rt, uniqueProject("mail"));
    const appt = await api.create({
      name: "Planning",
      type: "appointment",
      startsAt: iso(86_400_000),
      endsAt: iso(90_000_000),
    });
    const address = `dee-${api.projectId}@example.com`;
    await api.post(`/gatherings/${appt.id}/invitations`, { emails: [address] });
    await eventually(async () => ((await emailsTo(rt, address)).length === 1 ? true : undefined));
    await api.patch(`/gatherings/${appt.id}`, { startsAt: iso(100_000_000), endsAt: iso(104_000_000) });
    const afterUpdate = await eventually(async () => {
      const mails = await emailsTo(rt, address);
      return mails.length === 2 ? mails : undefined;
    });
    const update = parseIcs(icsOf(afterUpdate[1]!));
    expect(update).toMatchObject({ method: "REQUEST", uid: `${appt.id}@cortex.gatherings`, sequence: 1 });
    expect(afterUpdate[1]!.subject).toMatch(/^Updated invitation/);
    await api.post(`/gatherings/${appt.id}/cancel`);
    const afterCancel = await eventually(async () => {
      const mails = await emailsTo(rt, address);
      return mails.length === 3 ? mails : undefined;
    });
    const cancel = parseIcs(icsOf(afterCancel[2]!));
    expect(cancel).toMatchObject({ method: "CANCEL", uid: `${appt.id}@cortex.gatherings` });
    expect(cancel.sequence).toBeGreaterThanOrEqual(1);
    expect(icsOf(afterCancel[2]!)).toContain("STATUS:CANCELLED");
  });

  it("invited participants resolve through the directory and become invited members; no address is a recorded failure", async () => {
    const api = new ApiClient(rt, uniqueProject("mail"));
    await api.request("PUT", "/participants/p2", { displayName: "Bob", email: `bob-${api.projectId}@example.com` });
    const appt = await api.create({
      name: "Review",
      type: "appointment",
      startsAt: iso(86_400_000),
      endsAt: iso(90_000_000),
    });
    const sent = await api.post(`/gatherings/${appt.id}/invitations`, { participantIds: ["p2", "p3"] });
    expect(sent.body.invitations).toMatchObject([
      { participantId: "p2", email: `bob-${api.projectId}@example.com`, displayName: "Bob" },
      { participantId: "p3" },
    ]);
    expect((await api.get(`/gatherings/${appt.id}/members/p2`)).body).toMatchObject({
      status: "invited",
      role: "member",
    });
    const final = await eventually(async () => {
      const items = (await api.get(`/gatherings/${appt.id}/invitations`)).body.items as Array<{
        participantId: string;
        status: string;
        deliveryError?: string;
      }>;
      return items.every((i) => i.status !== "pending") ? items : undefined;
    });
    expect(final.find((i) => i.participantId === "p3")).toMatchObject({
      status: "failed",
      deliveryError: "no_email_address",
    });
    // Inviting again returns the existing invitations and mails nothing new.
    const again = await api.post(`/gatherings/${appt.id}/invitations`, { participantIds: ["p2"] });
    expect(again.body.invitations[0].id).toBe(sent.body.invitations[0].id);
  });

  it("rejects invalid invitation requests with 400 and writes nothing", async () => {
    const api = new ApiClient(rt, uniqueProject("mail"));
    const appt = await api.create({
      name: "R",
      type: "appointment",
      startsAt: iso(86_400_000),
      endsAt: iso(90_000_000),
    });
    const before = await projectItems(rt, api.projectId);
    for (const body of [{}, { emails: ["not-an-email"] }, { participantIds: ["has space"] }, { emails: [] }]) {
      const response = await api.post(`/gatherings/${appt.id}/invitations`, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(
      (await api.post("/gatherings/gth_01aaaaaaaaaaaaaaaaaaaaaaaa/invitations", { emails: ["a@example.com"] })).status,
    ).toBe(404);
    expect(await projectItems(rt, api.projectId)).toEqual(before);
  });
});

describe("RSVP", () => {
  async function invitationLinks(api: ApiClient) {
    const appt = await api.create({
      name: "Party",
      type: "appointment",
      startsAt: iso(86_400_000),
      endsAt: iso(90_000_000),
    });
    const address = `eve-${api.projectId}@example.com`;
    const invitation = (await api.post(`/gatherings/${appt.id}/invitations`, { emails: [address] })).body
      .invitations[0];
    const [mail] = await eventually(async () => {
      const mails = await emailsTo(rt, address);
      return mails.length > 0 ? mails : undefined;
    });
    // The mailer records `sent` after SES accepted the mail: wait for it, so the world is quiet from here on.
    await eventually(async () => {
      const current = await api.get(`/gatherings/${appt.id}/invitations/${invitation.id}`);
      return current.body.status === "sent" ? true : undefined;
    });
    const links = [...mail!.body.text!.matchAll(/https?:\/\/\S+\/v1\/rsvp\/\S+/g)].map((m) => m[0]);
    return { appt, invitation, accept: links[0]!, decline: links[1]! };
  }

  it("accepting through the emailed link (GET shows a page, POST confirms) emits gathering.invitation.accepted", async () => {
    const api = new ApiClient(rt, uniqueProject("rsvp"));
    const { appt, invitation, accept } = await invitationLinks(api);
    const page = await fetch(accept);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("Accept the invitation to Party?");
    // Opening the link changed nothing (mail scanners open links).
    expect((await api.get(`/gatherings/${appt.id}/invitations/${invitation.id}`)).body.status).toBe("sent");
    const confirmed = await fetch(accept, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "",
    });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain("You accepted the invitation");
    expect((await api.get(`/gatherings/${appt.id}/invitations/${invitation.id}`)).body.status).toBe("accepted");
    const events = await committedEvents(rt, api.projectId, appt.id);
    expect(events.filter((e) => e.type === "gathering.invitation.accepted")).toHaveLength(1);
  });

  it("a tampered link is a 4xx page and changes nothing", async () => {
    const api = new ApiClient(rt, uniqueProject("rsvp"));
    const { accept } = await invitationLinks(api);
    const before = await projectItems(rt, api.projectId);
    const token = accept.split("/v1/rsvp/")[1]!;
    const [payload, signature] = token.split(".");
    const flipped = `${payload!.slice(0, -2)}${payload!.slice(-2) === "AA" ? "AB" : "AA"}.${signature}`;
    for (const bad of [flipped, `${payload}.${"A".repeat(43)}`, "garbage"]) {
      const response = await fetch(accept.replace(token, bad), { method: "POST" });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain("This link is not valid");
    }
    expect(await projectItems(rt, api.projectId)).toEqual(before);
  });

  it("accepts and declines over the API, idempotently", async () => {
    const api = new ApiClient(rt, uniqueProject("rsvp"));
    const { appt, invitation } = await invitationLinks(api);
    const path = `/gatherings/${appt.id}/invitations/${invitation.id}`;
    expect((await api.post(`${path}/decline`)).body.status).toBe("declined");
    const again = await api.post(`${path}/decline`);
    expect(again.status).toBe(200);
    expect((await api.post(`${path}/accept`)).body.status).toBe("accepted");
    const types = (await committedEvents(rt, api.projectId, appt.id)).map((e) => e.type);
    expect(types.filter((t) => t === "gathering.invitation.declined")).toHaveLength(1);
    expect((await api.post(`/gatherings/${appt.id}/invitations/inv_01aaaaaaaaaaaaaaaaaaaaaaaa/accept`)).status).toBe(
      404,
    );
  });
});
