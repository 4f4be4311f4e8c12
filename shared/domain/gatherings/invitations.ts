import { NotFoundError } from "../../kernel/errors.js";
import {
  allGatheringItems,
  execute,
  listGatheringItems,
  loadGathering,
  memberFromItem,
  type CommandContext,
  type CommandOptions,
  type GatheringDeps,
  type Outcome,
} from "./executor.js";
import type { Scope } from "../../kernel/tenancy.js";
import {
  decideInvite,
  decideRecordDelivery,
  decideRecordSummaryDelivery,
  decideRespond,
  recipientKey,
  type Decision,
  type Recipient,
  type State,
} from "./decisions.js";
import { isId } from "../../kernel/ids.js";
import { findParticipants } from "../participants/service.js";
import { INVITATION_SK_PREFIX, invitationKey, memberKey } from "../../store/keys.js";
import type { Item, Page, WriteOp } from "../../store/store.js";
import {
  InvitationSchema,
  type Invitation,
  type InvitationStatus,
  type SendInvitationsBody,
} from "./invitation-model.js";

/**
 * Invitations live in the gathering's partition and change through the gathering's executor, so every
 * change is a gathering event (`gathering.invitation.*`) with the next version. Recipients are deduped:
 * inviting someone twice returns their existing invitation.
 */

/** DynamoDB allows 100 writes per transaction; one recipient costs up to 4 (invitation, member, 2 events). */
const RECIPIENTS_PER_COMMIT = 20;

export interface InvitationOutcome extends Outcome {
  invitations: Invitation[];
}

function loadInvitations(deps: Pick<GatheringDeps, "store">, scope: Scope, gatheringId: string) {
  return allGatheringItems(deps.store, scope, gatheringId, INVITATION_SK_PREFIX, (i) => InvitationSchema.parse(i));
}

export async function sendInvitations(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  body: SendInvitationsBody,
  options: CommandOptions = {},
): Promise<InvitationOutcome> {
  // Recipients in request order, each once (an email and a participant with that email stay two invitations:
  // the layers are independent by design).
  const seen = new Set<string>();
  const recipients: Recipient[] = [
    ...(body.participantIds ?? []).map((participantId) => ({ participantId })),
    ...(body.emails ?? []).map((email) => ({ email })),
  ].filter((r) => !seen.has(recipientKey(r)) && seen.add(recipientKey(r)));
  const directory = await findParticipants(
    deps.store,
    ctx,
    recipients.flatMap((r) => (r.participantId !== undefined ? [r.participantId] : [])),
  );

  const result: Invitation[] = [];
  let last: Outcome | undefined;
  for (let i = 0; i < recipients.length; i += RECIPIENTS_PER_COMMIT) {
    const chunk = recipients.slice(i, i + RECIPIENTS_PER_COMMIT);
    const isLast = i + RECIPIENTS_PER_COMMIT >= recipients.length;
    last = await execute(
      deps,
      ctx,
      {
        gatheringId,
        extra: async ({ gathering }) => {
          const invitations = await loadInvitations(deps, ctx, gathering.id);
          const ids = chunk.flatMap((r) => (r.participantId !== undefined ? [r.participantId] : []));
          const members = await Promise.all(
            ids.map((id) => deps.store.get(memberKey(ctx, gathering.id, id), { consistent: true })),
          );
          return {
            invitations,
            members: new Map(members.flatMap((m) => (m ? [[String(m.participantId), memberFromItem(m)]] : []))),
          };
        },
      },
      (state, at) =>
        decideInvite(
          state,
          { recipients: chunk, directory, ...(body.message !== undefined && { message: body.message }) },
          at,
        ),
      // The idempotency record (if any) commits with the last chunk, and records the whole answer.
      isLast
        ? {
            ...options,
            ...(options.extraOps && {
              extraOps: (o: Outcome) =>
                options.extraOps!({ ...o, invitations: [...result, ...(o.invitations ?? [])] } as InvitationOutcome),
            }),
          }
        : { ...(options.ifMatch !== undefined && { ifMatch: options.ifMatch }) },
    );
    // Later chunks must not be held to the version the caller sent.
    if (options.ifMatch !== undefined) options = { ...options, ifMatch: last.gathering.version };
    result.push(...(last.invitations ?? []));
  }
  return { ...last!, invitations: result };
}

export async function listInvitations(
  deps: Pick<GatheringDeps, "store">,
  scope: Scope,
  gatheringId: string,
  filters: { status?: InvitationStatus },
  page: { limit?: number; cursor?: string },
): Promise<Page<Invitation>> {
  const parse = (i: Item) => InvitationSchema.parse(i);
  return listGatheringItems(deps.store, scope, gatheringId, INVITATION_SK_PREFIX, parse, filters, page);
}

export async function getInvitation(
  deps: Pick<GatheringDeps, "store">,
  scope: Scope,
  gatheringId: string,
  invitationId: string,
): Promise<Invitation> {
  if (!isId("invitation", invitationId)) throw new NotFoundError(`invitation ${invitationId} not found`);
  await loadGathering(deps.store, scope, gatheringId);
  const item = await deps.store.get(invitationKey(scope, gatheringId, invitationId), { consistent: true });
  if (!item) throw new NotFoundError(`invitation ${invitationId} not found`);
  return InvitationSchema.parse(item);
}

/**
 * Runs a decision about one invitation through the gathering's executor; the outcome names the invitation
 * as it ends up (unchanged when nothing was decided).
 */
async function changeInvitation(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  invitationId: string,
  decide: (state: State, at: string) => Decision,
  options: CommandOptions,
): Promise<InvitationOutcome> {
  if (!isId("invitation", invitationId)) throw new NotFoundError(`invitation ${invitationId} not found`);
  const outcome = await execute(
    deps,
    ctx,
    {
      gatheringId,
      extra: async () => {
        const item = await deps.store.get(invitationKey(ctx, gatheringId, invitationId), { consistent: true });
        if (!item) throw new NotFoundError(`invitation ${invitationId} not found`);
        return { invitations: [InvitationSchema.parse(item)] };
      },
    },
    decide,
    options,
  );
  return { ...outcome, invitations: outcome.invitations ?? [] };
}

/** Accept or decline (over the API or an emailed link). Responding again the same way changes nothing. */
export async function respondToInvitation(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  invitationId: string,
  response: "accepted" | "declined",
  options: CommandOptions = {},
): Promise<InvitationOutcome> {
  const input = { invitationId, response };
  return changeInvitation(deps, ctx, gatheringId, invitationId, (s, at) => decideRespond(s, input, at), options);
}

/** The mailer's report: one email (invitation, update or cancellation) reached SES, or did not. */
export async function recordDelivery(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  invitationId: string,
  result: { ok: true; calendarSequence?: number } | { ok: false; error: string },
): Promise<InvitationOutcome> {
  const input = { invitationId, result };
  return changeInvitation(deps, ctx, gatheringId, invitationId, (s, at) => decideRecordDelivery(s, input, at), {});
}

/**
 * The summary mailer's report for one invitation (`gathering.summary.sent|failed`); `extraOps` commit with
 * it (the delivery marker's final state), so the event and the marker never disagree.
 */
export async function recordSummaryDelivery(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  invitationId: string,
  sessionId: string,
  result: { ok: true } | { ok: false; error: string },
  extraOps: WriteOp[] = [],
): Promise<InvitationOutcome> {
  const input = { invitationId, sessionId, result };
  return changeInvitation(deps, ctx, gatheringId, invitationId, (s, at) => decideRecordSummaryDelivery(s, input, at), {
    extraOps: () => extraOps,
  });
}
