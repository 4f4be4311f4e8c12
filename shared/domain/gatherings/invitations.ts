import { ConflictError, NotFoundError } from "../../kernel/errors.js";
import {
  allGatheringItems,
  execute,
  listGatheringItems,
  loadGathering,
  memberFromItem,
  type CommandContext,
  type CommandOptions,
  type Decision,
  type GatheringDeps,
  type Outcome,
  type Step,
} from "./executor.js";
import type { Scope } from "../../kernel/tenancy.js";
import { assertCanPerform } from "./lifecycle.js";
import { newMember } from "./members.js";
import type { Gathering, Member } from "./model.js";
import { isId, newId } from "../../kernel/ids.js";
import { findParticipants } from "../participants/service.js";
import { INVITATION_SK_PREFIX, invitationKey, memberKey } from "../../store/keys.js";
import type { Item, Page } from "../../store/store.js";
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

type Recipient = { participantId?: string; email?: string };

function recipientKey(r: Recipient): string {
  return r.participantId !== undefined ? `p:${r.participantId}` : `e:${r.email!.toLowerCase()}`;
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
    let chunkInvitations: Invitation[] = [];
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
      (state, at) => {
        assertCanPerform(state.gathering, "changeMembers");
        const existing = new Map((state.invitations ?? []).map((inv) => [recipientKey(inv), inv]));
        let gathering: Gathering = state.gathering;
        const steps: Step[] = [];
        const decision: Decision = { steps, invitationPuts: [], memberPuts: [] };
        chunkInvitations = [];
        for (const recipient of chunk) {
          const found = existing.get(recipientKey(recipient));
          if (found) {
            chunkInvitations.push(found);
            continue;
          }
          const person = recipient.participantId !== undefined ? directory.get(recipient.participantId) : undefined;
          const email = recipient.email ?? person?.email;
          const invitation: Invitation = {
            id: newId("invitation", Date.parse(at)),
            gatheringId: gathering.id,
            ...(recipient.participantId !== undefined && { participantId: recipient.participantId }),
            ...(email !== undefined && { email }),
            ...(person?.displayName !== undefined && { displayName: person.displayName }),
            status: "pending",
            ...(body.message !== undefined && { message: body.message }),
            createdAt: at,
            updatedAt: at,
          };
          gathering = { ...gathering, updatedAt: at };
          steps.push({ type: "gathering.invitation.created", gathering, invitation });
          decision.invitationPuts!.push(invitation);
          chunkInvitations.push(invitation);
          // The membership layer: an invited participant who is not a member yet becomes one, as invited.
          if (recipient.participantId !== undefined && !state.members?.has(recipient.participantId)) {
            const member: Member = newMember(
              gathering.id,
              recipient.participantId,
              "member",
              "invited",
              at,
              person?.displayName,
            );
            steps.push({ type: "gathering.member.invited", gathering, member });
            decision.memberPuts!.push(member);
          }
        }
        return decision;
      },
      // The idempotency record (if any) commits with the last chunk, and records the whole answer.
      isLast
        ? {
            ...options,
            ...(options.extraOps && {
              extraOps: (o: Outcome) =>
                options.extraOps!({ ...o, invitations: [...result, ...chunkInvitations] } as InvitationOutcome),
            }),
          }
        : { ...(options.ifMatch !== undefined && { ifMatch: options.ifMatch }) },
    );
    // Later chunks must not be held to the version the caller sent.
    if (options.ifMatch !== undefined) options = { ...options, ifMatch: last.gathering.version };
    result.push(...chunkInvitations);
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
 * Runs a change to one invitation through the gathering's executor; `change` returns the decision and the
 * invitation as it ends up (unchanged when the decision has no steps).
 */
async function changeInvitation(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  invitationId: string,
  change: (invitation: Invitation, gathering: Gathering, at: string) => { decision: Decision; invitation: Invitation },
  options: CommandOptions,
): Promise<InvitationOutcome> {
  if (!isId("invitation", invitationId)) throw new NotFoundError(`invitation ${invitationId} not found`);
  let current: Invitation | undefined;
  let result: Invitation | undefined;
  const outcome = await execute(
    deps,
    ctx,
    {
      gatheringId,
      extra: async () => {
        const item = await deps.store.get(invitationKey(ctx, gatheringId, invitationId), {
          consistent: true,
        });
        if (!item) throw new NotFoundError(`invitation ${invitationId} not found`);
        current = InvitationSchema.parse(item);
        return { invitations: [current] };
      },
    },
    (state, at) => {
      const { decision, invitation } = change(current!, state.gathering, at);
      result = invitation;
      return decision;
    },
    {
      ...options,
      // The idempotency record stores the answer, which names the invitation.
      ...(options.extraOps && {
        extraOps: (o: Outcome) => options.extraOps!({ ...o, invitations: [result!] } as InvitationOutcome),
      }),
    },
  );
  return { ...outcome, invitations: [result!] };
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
  return changeInvitation(
    deps,
    ctx,
    gatheringId,
    invitationId,
    (invitation, gathering, at) => {
      if (gathering.status === "ended" || gathering.status === "cancelled") {
        throw new ConflictError(
          `The gathering is ${gathering.status}; invitations can no longer be answered`,
          "gathering_closed",
        );
      }
      if (invitation.status === response) return { decision: { steps: [] }, invitation };
      const updated: Invitation = { ...invitation, status: response, respondedAt: at, updatedAt: at };
      return {
        decision: {
          steps: [
            {
              type: `gathering.invitation.${response}`,
              gathering: { ...gathering, updatedAt: at },
              invitation: updated,
            },
          ],
          invitationPuts: [updated],
        },
        invitation: updated,
      };
    },
    options,
  );
}

/** The mailer's report: one email (invitation, update or cancellation) reached SES, or did not. */
export async function recordDelivery(
  deps: GatheringDeps,
  ctx: CommandContext,
  gatheringId: string,
  invitationId: string,
  result: { ok: true; calendarSequence?: number } | { ok: false; error: string },
): Promise<InvitationOutcome> {
  return changeInvitation(
    deps,
    ctx,
    gatheringId,
    invitationId,
    (invitation, gathering, at) => {
      // Delivery never overrides a response: an accepted invitation stays accepted after an update is mailed.
      const responded = invitation.status === "accepted" || invitation.status === "declined";
      const updated: Invitation = result.ok
        ? {
            ...invitation,
            status: responded ? invitation.status : "sent",
            sentAt: at,
            ...(result.calendarSequence !== undefined && { calendarSequence: result.calendarSequence }),
            updatedAt: at,
          }
        : {
            ...invitation,
            status: responded ? invitation.status : "failed",
            deliveryError: result.error,
            updatedAt: at,
          };
      return {
        decision: {
          steps: [
            {
              type: result.ok ? "gathering.invitation.sent" : "gathering.invitation.failed",
              gathering: { ...gathering, updatedAt: at },
              invitation: updated,
            },
          ],
          invitationPuts: [updated],
        },
        invitation: updated,
      };
    },
    {},
  );
}
