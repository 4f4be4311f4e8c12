import type { MAIL_EVENT_TYPES } from "../events/rules.js";
import { signingKey } from "../domain/auth/signing-key.js";
import type { EventEnvelope } from "../kernel/envelope.js";
import type { GatheringDeps } from "../domain/gatherings/executor.js";
import type { Gathering } from "../domain/gatherings/model.js";
import { buildCalendar } from "../domain/mail/calendar.js";
import { renderInvitationEmail } from "../domain/mail/email-content.js";
import { MailRejectedError, sendWithRetry, type Mailer } from "../domain/mail/mailer.js";
import { buildInvitationMime } from "../domain/mail/mime.js";
import type { Invitation } from "../domain/gatherings/invitation-model.js";
import { createRsvpToken } from "../domain/mail/rsvp.js";
import { getGathering } from "../domain/gatherings/service.js";
import { getInvitation, listInvitations, recordDelivery } from "../domain/gatherings/invitations.js";

/**
 * The mailer consumer's logic. Each invitation is mailed on its own — one bad address or SES error is
 * recorded on that invitation and never stops the others or the gathering. Every send is keyed so that a
 * redelivered event does not mail twice: a new invitation only while `pending`, an update or
 * cancellation only while the invitation has not seen that calendar SEQUENCE.
 */
export interface MailingConfig {
  from: { email: string; name?: string };
  /** Base URL of the API, for the RSVP links (e.g. https://api.example.com/live). */
  publicBaseUrl: string;
  configurationSet?: string;
}

export interface MailingDeps extends GatheringDeps {
  mailer: Mailer;
  mail: MailingConfig;
}

type Kind = "invitation" | "update" | "cancellation";

const UID_DOMAIN = "cortex.gatherings";

/** The email each event of the `mail` rule calls for: an event added to the rule without one fails to compile. */
const MAIL_EVENTS: Record<(typeof MAIL_EVENT_TYPES)[number], Kind> = {
  "gathering.invitation.created": "invitation",
  "gathering.updated": "update",
  "gathering.cancelled": "cancellation",
};

/** Which emails an event calls for. */
export function mailKindFor(event: EventEnvelope): Kind | undefined {
  if (event.type === "gathering.invitation.created") return MAIL_EVENTS[event.type];
  if (event.type === "gathering.cancelled") return MAIL_EVENTS[event.type];
  if (event.type === "gathering.updated") {
    const changes = (event.data as { changes?: string[] }).changes ?? [];
    if (changes.includes("startsAt") || changes.includes("endsAt")) return "update";
  }
  return undefined;
}

async function rsvpUrl(deps: MailingDeps, invitation: Invitation, gathering: Gathering, action: "accept" | "decline") {
  const key = await signingKey(deps.store, "rsvp");
  const token = createRsvpToken(
    key,
    {
      tenantId: gathering.tenantId,
      projectId: gathering.projectId,
      gatheringId: gathering.id,
      invitationId: invitation.id,
      action,
    },
    deps.clock.now(),
  );
  return `${deps.mail.publicBaseUrl.replace(/\/$/, "")}/v1/rsvp/${token}`;
}

async function mailOne(deps: MailingDeps, gathering: Gathering, invitation: Invitation, kind: Kind, sequence: number) {
  const ctx = {
    tenantId: gathering.tenantId,
    projectId: gathering.projectId,
    actor: { type: "system" as const, id: "mailer" },
  };
  if (!invitation.email) {
    await recordDelivery(deps, ctx, gathering.id, invitation.id, { ok: false, error: "no_email_address" });
    return "failed";
  }
  const hasTime = gathering.startsAt !== undefined && gathering.endsAt !== undefined;
  const common = {
    gatheringName: gathering.name,
    ...(hasTime && { startsAt: gathering.startsAt!, endsAt: gathering.endsAt! }),
    joinCode: gathering.joinCode,
    ...(invitation.message !== undefined && { personalMessage: invitation.message }),
    recordingNotice: gathering.autoStartSession,
  };
  const content =
    kind === "cancellation"
      ? renderInvitationEmail({ ...common, kind })
      : renderInvitationEmail({
          ...common,
          kind,
          acceptUrl: await rsvpUrl(deps, invitation, gathering, "accept"),
          declineUrl: await rsvpUrl(deps, invitation, gathering, "decline"),
        });
  const calendar = hasTime
    ? buildCalendar({
        uid: `${gathering.id}@${UID_DOMAIN}`,
        sequence,
        method: kind === "cancellation" ? "CANCEL" : "REQUEST",
        title: gathering.name,
        startsAt: gathering.startsAt!,
        endsAt: gathering.endsAt!,
        organizer: { name: deps.mail.from.name ?? "Cortex", email: deps.mail.from.email },
        attendees: [
          { email: invitation.email, ...(invitation.displayName !== undefined && { name: invitation.displayName }) },
        ],
        dtstamp: deps.clock.now(),
      })
    : undefined;
  const raw = buildInvitationMime({
    from: deps.mail.from,
    to: { email: invitation.email, ...(invitation.displayName !== undefined && { name: invitation.displayName }) },
    subject: content.subject,
    text: content.text,
    html: content.html,
    ...(calendar !== undefined && { calendar }),
  });
  try {
    await sendWithRetry(
      deps.mailer,
      {
        from: deps.mail.from.email,
        to: invitation.email,
        raw,
        ...(deps.mail.configurationSet !== undefined && { configurationSet: deps.mail.configurationSet }),
      },
      { attempts: 4, backoffMs: 200 },
    );
  } catch (error) {
    if (!(error instanceof MailRejectedError)) throw error; // throttled or unexpected: the event is retried
    await recordDelivery(deps, ctx, gathering.id, invitation.id, { ok: false, error: error.code });
    return "failed";
  }
  await recordDelivery(deps, ctx, gathering.id, invitation.id, { ok: true, calendarSequence: sequence });
  return "sent";
}

/** Handles one event; returns what happened per invitation (for logs; never addresses). */
export async function mailForEvent(deps: MailingDeps, event: EventEnvelope): Promise<Record<string, string>> {
  const kind = mailKindFor(event);
  if (!kind) return {};
  const gathering = (event.data as { gathering: Gathering }).gathering;
  const scope = { tenantId: event.tenantId, projectId: event.projectId };
  const outcome: Record<string, string> = {};
  // Mail each one independently; one failure is recorded and the rest still go out.
  const errors: unknown[] = [];
  if (kind === "invitation") {
    const created = (event.data as { invitation: Invitation }).invitation;
    const current = await getInvitation(deps, scope, gathering.id, created.id);
    if (current.status !== "pending") return { [created.id]: "already handled" };
    // The calendar revision is the gathering's at the time of sending, not at the time of inviting.
    const latest = await getGathering(deps, scope, gathering.id);
    outcome[created.id] = await mailOne(deps, latest, current, kind, latest.calendarSequence ?? 0);
    return outcome;
  }
  const sequence = (gathering.calendarSequence ?? 0) + (kind === "cancellation" ? 1 : 0);
  let cursor: string | undefined;
  do {
    const page = await listInvitations(deps, scope, gathering.id, {}, { limit: 100, ...(cursor && { cursor }) });
    for (const invitation of page.items) {
      const reached = invitation.status === "sent" || invitation.status === "accepted";
      if (!reached || (invitation.calendarSequence ?? -1) >= sequence) continue;
      try {
        outcome[invitation.id] = await mailOne(deps, gathering, invitation, kind, sequence);
      } catch (error) {
        errors.push(error);
        outcome[invitation.id] = "error";
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  if (errors.length > 0) throw errors[0]; // retried; the ones that went out are skipped next time
  return outcome;
}
