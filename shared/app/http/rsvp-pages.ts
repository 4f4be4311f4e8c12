import { DomainError, NotFoundError } from "../../kernel/errors.js";
import { signingKey } from "../../domain/auth/signing-key.js";
import { getGathering, type GatheringDeps } from "../../domain/gatherings/service.js";
import { respondToInvitation } from "../../domain/gatherings/invitations.js";
import { rsvpConfirmPage, rsvpDonePage, rsvpInvalidPage, verifyRsvpToken } from "../../domain/mail/rsvp.js";
import type { Input } from "./dispatch.js";
import type { ApiResponse } from "./request.js";
import type { RouteOf } from "./routes.js";

/**
 * The pages an emailed accept/decline link opens: HTML, not problem+json, so a person in a browser reads
 * what happened. GET shows a confirmation button and changes nothing; POST answers the invitation.
 */
export async function viewRsvp({ params }: Input<RouteOf<"viewRsvp">>, deps: GatheringDeps): Promise<ApiResponse> {
  const verified = verifyRsvpToken(await signingKey(deps.store, "rsvp"), params.token, deps.clock.now());
  if (!verified.ok) return html(400, rsvpInvalidPage(rsvpReason(verified.reason)));
  const { claim } = verified;
  const gathering = await getGathering(deps, claim, claim.gatheringId).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (!gathering) return html(404, rsvpInvalidPage("The gathering no longer exists."));
  return html(200, rsvpConfirmPage(gathering.name, claim.action, params.token));
}

export async function confirmRsvp(
  { params }: Input<RouteOf<"confirmRsvp">>,
  deps: GatheringDeps,
): Promise<ApiResponse> {
  const verified = verifyRsvpToken(await signingKey(deps.store, "rsvp"), params.token, deps.clock.now());
  if (!verified.ok) return html(400, rsvpInvalidPage(rsvpReason(verified.reason)));
  const { claim } = verified;
  const status = claim.action === "accept" ? "accepted" : "declined";
  try {
    const gathering = await getGathering(deps, claim, claim.gatheringId);
    await respondToInvitation(
      deps,
      {
        tenantId: claim.tenantId,
        projectId: claim.projectId,
        actor: { type: "participant", id: claim.invitationId },
      },
      claim.gatheringId,
      claim.invitationId,
      status,
    );
    return html(200, rsvpDonePage(gathering.name, status));
  } catch (error) {
    if (error instanceof DomainError && error.status < 500) return html(error.status, rsvpInvalidPage(error.message));
    throw error;
  }
}

function html(status: number, page: string): ApiResponse {
  return { status, body: page, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } };
}

function rsvpReason(reason: "malformed" | "bad_signature" | "expired"): string {
  return reason === "expired" ? "This link has expired." : "This link is broken or was altered.";
}
