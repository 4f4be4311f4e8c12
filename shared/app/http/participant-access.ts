import { NotFoundError } from "../../kernel/errors.js";
import type { Store } from "../../store/store.js";
import { joinCodeKey } from "../../store/keys.js";
import { normalizeJoinCode } from "../../domain/gatherings/join-code.js";
import { getMember } from "../../domain/gatherings/service.js";
import { mintParticipantToken, SIGNING_PURPOSE } from "../../domain/auth/participant-tokens.js";
import { signingKey } from "../../domain/auth/signing-key.js";
import type { Clock } from "../../kernel/clock.js";
import type { ApiResponse, RequestScope } from "./request.js";

/**
 * The handler's half of a participant token's limits (dispatch.ts checks the route, the participant and
 * the listed gatherings): a token reads or watches only a gathering its participant is a member of, and
 * joins by code only a gathering it lists. Both answer 404, as for a gathering that does not exist.
 */
export async function assertParticipantMember(store: Store, scope: RequestScope, gatheringId: string): Promise<void> {
  const participant = scope.participant;
  if (!participant) return;
  const member = await getMember({ store }, scope, gatheringId, participant.participantId).catch((error: unknown) => {
    if (error instanceof NotFoundError) return undefined;
    throw error;
  });
  if (!member || member.status === "left") throw new NotFoundError(`gathering ${gatheringId} not found`);
}

/** A token listing gatherings may join by code only one of them. */
export async function assertJoinableByToken(store: Store, scope: RequestScope, joinCode: string): Promise<void> {
  const allowed = scope.participant?.gatherings;
  if (!allowed) return;
  const code = normalizeJoinCode(joinCode);
  const marker = code ? await store.get(joinCodeKey(code), { consistent: true }) : undefined;
  if (marker && !allowed.includes(String(marker.gatheringId))) {
    throw new NotFoundError("No gathering has this join code", "join_code_not_found");
  }
}

/** POST /v1/projects/{projectId}/tokens: a token bound to the caller's tenant and the path's project. */
export async function createParticipantToken(
  deps: { store: Store; clock: Clock },
  scope: RequestScope,
  body: { participantId: string; gatherings?: string[] | undefined; ttlSeconds: number },
): Promise<ApiResponse> {
  const key = await signingKey(deps.store, SIGNING_PURPOSE);
  const { token, expiresAt } = mintParticipantToken(
    key,
    {
      tenantId: scope.tenantId,
      projectId: scope.projectId,
      participantId: body.participantId,
      ...(body.gatherings && { gatherings: body.gatherings }),
      ttlSeconds: body.ttlSeconds,
    },
    deps.clock.now(),
  );
  return {
    status: 201,
    body: {
      token,
      expiresAt,
      participantId: body.participantId,
      ...(body.gatherings && { gatherings: body.gatherings }),
    },
    headers: { "Cache-Control": "no-store" },
  };
}
