import { createHash, randomUUID } from "node:crypto";
import type { EventEnvelope } from "../kernel/envelope.js";
import { FUNCTIONS } from "../kernel/config.js";
import type { GatheringDeps } from "../domain/gatherings/executor.js";
import type { Gathering } from "../domain/gatherings/model.js";
import type { Invitation } from "../domain/gatherings/invitation-model.js";
import { listInvitations, recordSummaryDelivery } from "../domain/gatherings/invitations.js";
import { getGathering } from "../domain/gatherings/service.js";
import { MailRejectedError, sendWithRetry, type Mailer } from "../domain/mail/mailer.js";
import { buildInvitationMime } from "../domain/mail/mime.js";
import { renderSummaryEmail, type SummaryEmailInput } from "../domain/mail/summary-content.js";
import { listSessionAnnotations } from "../domain/plugins/annotations.js";
import { ActionItemsResultSchema, SummaryResultSchema } from "../domain/plugins/engines.js";
import type { SessionAnnotation } from "../domain/plugins/model.js";
import { getPlugin } from "../domain/plugins/settings.js";
import type { Session } from "../domain/sessions/model.js";
import { loadSession } from "../domain/sessions/service.js";
import { getSettings } from "../domain/sessions/settings.js";
import { ExtraOpFailedError } from "../store/commit.js";
import { summaryDeliveryKey, type ItemKey } from "../store/keys.js";
import { TransactionCancelledError, type Item, type WriteOp } from "../store/store.js";

/**
 * The summary mailer's logic: when a session of a gathering has ended and its summary (and action items)
 * are written, every invitation of the gathering gets one email with them, and so does each address given
 * on the session (`summaryRecipients`; the only recipients of a session without a gathering). Best-effort
 * per recipient: a rejected address is recorded (`gathering.summary.failed` for an invitation; the delivery
 * marker for a given address) and the others still go out.
 *
 * Once per (session, recipient), under redelivery and concurrency: the summary and the action items each
 * publish a `session.annotation.created`, and both (or a redelivery of either) may find the set complete.
 * So each recipient is first *claimed* with a conditional put of a delivery marker in the session's
 * partition (SUMMAIL#{invitation id or recipient id}); only the claimant sends, and it records the outcome in one
 * transaction with the gathering's event, conditioned on still holding the claim.
 *
 * A claim carries a lease (the function's timeout and a margin). A claim whose sender died (crash,
 * timeout) is taken over once its lease has passed: by the retry of the same event, or by any later one.
 * Remaining at-least-once window: a sender that dies after SES accepted the email and before its record
 * committed leaves a claim that a retry takes over and sends again — one duplicate per such crash.
 */
export interface SummaryMailingConfig {
  from: { email: string; name?: string };
  configurationSet?: string;
}

export interface SummaryMailingDeps extends GatheringDeps {
  mailer: Mailer;
  mail: SummaryMailingConfig;
}

/** The plugins whose end-of-session annotations make the email (each when the project has it enabled). */
const PARTS = ["summary", "action_items"] as const;

/** Longer than the function may run: a live sender always finishes (or dies) before its claim can be taken. */
export const SUMMARY_CLAIM_LEASE_MS = (FUNCTIONS["summary-mailer"].timeoutSeconds + 30) * 1000;

const SUMMARY_DELIVERY_KIND = "summaryDelivery";
const ACTOR = { type: "system" as const, id: "summary-mailer" };

/** The same event is already sending to this recipient (a concurrent duplicate, or its own earlier attempt). */
export class DeliveryInProgressError extends Error {
  constructor(recipientId: string) {
    super(`summary email to ${recipientId} is being sent by an earlier attempt of this event; retry later`);
    this.name = new.target.name;
  }
}

/**
 * Handles one event; returns what happened per recipient (for logs: invitation ids, recipient ids and
 * outcomes, never addresses). Recipients: every invitation of the session's gathering, and the session's
 * `summaryRecipients` (an address that is also an invitation's gets one email, as the invitation).
 */
export async function mailSummaryForEvent(
  deps: SummaryMailingDeps,
  event: EventEnvelope,
): Promise<Record<string, unknown>> {
  if (event.type !== "session.annotation.created") return {};
  const annotation = (event.data as { annotation?: SessionAnnotation }).annotation;
  if (annotation?.trigger.kind !== "session.ended") return {};
  if (!(PARTS as readonly string[]).includes(annotation.type)) return {};
  const scope = { tenantId: event.tenantId, projectId: event.projectId };
  const sessionId = annotation.sessionId;

  const session = await loadSession(deps.store, scope, sessionId);
  const extra = session.summaryRecipients ?? [];
  if (session.gatheringId === undefined && extra.length === 0) return { sessionId, skipped: "no recipients" };
  if (!(await getSettings(deps.store, scope)).summaryEmailEnabled) return { sessionId, skipped: "turned off" };
  const content = await summaryContent(deps, scope, session);
  if (!content) return { sessionId, skipped: "waiting for the other part" };
  const gathering =
    session.gatheringId !== undefined ? await getGathering(deps, scope, session.gatheringId) : undefined;
  const email = renderSummaryEmail({ ...content, title: gathering?.name ?? session.title });

  const outcome: Record<string, string> = {};
  const errors: unknown[] = [];
  const mail = async (recipient: Recipient) => {
    try {
      outcome[recipient.id] = await mailOne(deps, { event, session, recipient, email });
    } catch (error) {
      errors.push(error);
      outcome[recipient.id] = "error";
    }
  };
  const invited = new Set<string>();
  if (gathering) {
    let cursor: string | undefined;
    do {
      const page = await listInvitations(deps, scope, gathering.id, {}, { limit: 100, ...(cursor && { cursor }) });
      for (const invitation of page.items) {
        if (invitation.email) invited.add(invitation.email.toLowerCase());
        await mail({ id: invitation.id, gathering, invitation });
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  for (const address of extra) {
    if (!invited.has(address.toLowerCase())) await mail({ id: recipientId(session.id, address), address });
  }
  if (errors.length > 0) throw errors[0]; // retried; the recipients already done are skipped next time
  return { sessionId, ...(gathering && { gatheringId: gathering.id }), outcome };
}

/**
 * A given address's id in logs and keys: a hash salted with the session, so neither carries the address
 * and the same address is not one id across sessions.
 */
export function recipientId(sessionId: string, address: string): string {
  const digest = createHash("sha256").update(`${sessionId}\n${address.toLowerCase()}`).digest("hex");
  return `rcp_${digest.slice(0, 32)}`;
}

/** An invitation of the session's gathering (recorded on the gathering), or an address given on the session. */
type Recipient =
  | { id: string; gathering: Gathering; invitation: Invitation; address?: undefined }
  | { id: string; address: string; gathering?: undefined; invitation?: undefined };

/**
 * The email's parts, once every enabled part is there: the `session.ended` annotation of each enabled
 * plugin of PARTS. Undefined while one is missing (its own event will come).
 */
async function summaryContent(
  deps: Pick<SummaryMailingDeps, "store">,
  scope: { tenantId: string; projectId: string },
  session: Session,
): Promise<Omit<SummaryEmailInput, "title"> | undefined> {
  const plugins = await Promise.all(PARTS.map((id) => getPlugin(deps.store, scope, id)));
  const enabled = plugins.filter((p) => p.enabled).map((p) => p.id);
  const annotations = await listSessionAnnotations(deps.store, scope, session.id);
  const atEnd = new Map(annotations.filter((a) => a.trigger.kind === "session.ended").map((a) => [a.type, a]));
  if (enabled.length === 0 || enabled.some((id) => !atEnd.has(id))) return undefined;
  const summary = atEnd.has("summary") ? SummaryResultSchema.safeParse(atEnd.get("summary")!.data) : undefined;
  const items = atEnd.has("action_items")
    ? ActionItemsResultSchema.safeParse(atEnd.get("action_items")!.data)
    : undefined;
  return {
    ...(summary?.success && { summary: { text: summary.data.summary, engine: summary.data.engine } }),
    ...(items?.success && { actionItems: { items: items.data.items, engine: items.data.engine } }),
  };
}

interface Delivery {
  event: EventEnvelope;
  session: Session;
  recipient: Recipient;
  email: { subject: string; text: string; html: string };
}

async function mailOne(deps: SummaryMailingDeps, d: Delivery): Promise<string> {
  const scope = { tenantId: d.session.tenantId, projectId: d.session.projectId };
  const { recipient } = d;
  const key = summaryDeliveryKey(scope, d.session.id, recipient.id);
  const claim = await claimDelivery(deps, key, d.event.id, about(d));
  if ("skip" in claim) return claim.skip;
  const record = (result: { ok: true } | { ok: false; error: string }) =>
    recordOutcome(deps, d, key, claim.token, result);

  const address = recipient.invitation ? recipient.invitation.email : recipient.address;
  if (!address) return record({ ok: false, error: "no_email_address" });
  const name = recipient.invitation?.displayName;
  const to = { email: address, ...(name !== undefined && { name }) };
  try {
    const raw = buildInvitationMime({ from: deps.mail.from, to, ...d.email });
    await sendWithRetry(
      deps.mailer,
      {
        from: deps.mail.from.email,
        to: to.email,
        raw,
        ...(deps.mail.configurationSet !== undefined && { configurationSet: deps.mail.configurationSet }),
      },
      { attempts: 4, backoffMs: 200 },
    );
  } catch (error) {
    if (error instanceof MailRejectedError) return record({ ok: false, error: error.code });
    // Not sent (throttled past the retries, or unexpected): free the recipient for the event's retry.
    await releaseClaim(deps, key, claim.token);
    throw error;
  }
  return record({ ok: true });
}

/** What a delivery marker says it is about (a given address is kept in it: the record of that delivery). */
function about(d: Delivery): Record<string, string> {
  const { recipient } = d;
  return {
    sessionId: d.session.id,
    recipientId: recipient.id,
    ...(recipient.invitation
      ? { gatheringId: recipient.gathering.id, invitationId: recipient.invitation.id }
      : { email: recipient.address }),
  };
}

/**
 * Records the outcome and the marker's final state together, only while this sender still holds the
 * claim: for an invitation in one transaction with the gathering's event; for a given address, the
 * marker alone (a session recipient has no aggregate of its own to carry an event).
 */
async function recordOutcome(
  deps: SummaryMailingDeps,
  d: Delivery,
  key: ItemKey,
  token: string,
  result: { ok: true } | { ok: false; error: string },
): Promise<string> {
  const status = result.ok ? "sent" : "failed";
  const done: WriteOp = {
    op: "put",
    item: {
      ...key,
      kind: SUMMARY_DELIVERY_KIND,
      ...about(d),
      status,
      ...(!result.ok && { error: result.error }),
      eventId: d.event.id,
      claimToken: token,
      at: deps.clock.now().toISOString(),
    },
    condition: { kind: "equals", attribute: "claimToken", value: token },
  };
  const { recipient } = d;
  try {
    if (recipient.invitation) {
      const ctx = { tenantId: d.session.tenantId, projectId: d.session.projectId, actor: ACTOR };
      await recordSummaryDelivery(deps, ctx, recipient.gathering.id, recipient.invitation.id, d.session.id, result, [
        done,
      ]);
    } else {
      await deps.store.transact([done]);
    }
  } catch (error) {
    // Our lease ran out and another sender took the recipient over: it records (and has sent) its own.
    if (error instanceof ExtraOpFailedError) return `${status} (superseded)`;
    if (error instanceof TransactionCancelledError && !error.contention) return `${status} (superseded)`;
    throw error;
  }
  return status;
}

type Claim = { token: string } | { skip: "already sent" | "already failed" | "being sent by another event" };

/**
 * Claims one recipient: a new marker, or the takeover of one whose lease has passed. A live claim of
 * another event is left to it (if that sender dies, its event is retried and takes the claim over); a live
 * claim of this same event means a duplicate delivery or an earlier attempt still running: retry later.
 */
async function claimDelivery(
  deps: SummaryMailingDeps,
  key: ItemKey,
  eventId: string,
  fields: Record<string, string>,
): Promise<Claim> {
  for (let attempt = 1; ; attempt++) {
    const existing = await deps.store.get(key, { consistent: true });
    if (existing?.status === "sent") return { skip: "already sent" };
    if (existing?.status === "failed") return { skip: "already failed" };
    const now = deps.clock.now().getTime();
    if (existing && Date.parse(String(existing.leaseUntil)) > now) {
      if (existing.eventId === eventId) throw new DeliveryInProgressError(String(fields.recipientId));
      return { skip: "being sent by another event" };
    }
    const token = randomUUID();
    const item: Item = {
      ...key,
      kind: SUMMARY_DELIVERY_KIND,
      ...fields,
      status: "claimed",
      eventId,
      claimToken: token,
      leaseUntil: new Date(now + SUMMARY_CLAIM_LEASE_MS).toISOString(),
    };
    try {
      await deps.store.transact([
        {
          op: "put",
          item,
          condition: existing
            ? { kind: "equals", attribute: "claimToken", value: String(existing.claimToken) }
            : { kind: "notExists" },
        },
      ]);
      return { token };
    } catch (error) {
      // Another sender claimed (or finished) it between our read and write: look again.
      if (!(error instanceof TransactionCancelledError) || attempt >= 5) throw error;
    }
  }
}

async function releaseClaim(deps: SummaryMailingDeps, key: ItemKey, token: string): Promise<void> {
  try {
    await deps.store.transact([
      { op: "delete", key, condition: { kind: "equals", attribute: "claimToken", value: token } },
    ]);
  } catch (error) {
    if (!(error instanceof TransactionCancelledError)) throw error; // already taken over: nothing to free
  }
}
