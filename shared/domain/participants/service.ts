import { NotFoundError } from "../../kernel/errors.js";
import type { Scope } from "../../kernel/tenancy.js";
import { participantKey } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { ParticipantSchema, type Participant, type PutParticipantBody } from "./model.js";

/** The participant directory: ids → display name and email (the address invitations go to). */
export async function putParticipant(
  store: Store,
  scope: Scope,
  participantId: string,
  body: PutParticipantBody,
  now: Date,
): Promise<Participant> {
  const existing = await store.get(participantKey(scope, participantId));
  const at = now.toISOString();
  const participant: Participant = {
    participantId,
    ...(body.displayName !== undefined && { displayName: body.displayName }),
    ...(body.email !== undefined && { email: body.email }),
    createdAt: typeof existing?.createdAt === "string" ? existing.createdAt : at,
    updatedAt: at,
  };
  await store.transact([
    { op: "put", item: { ...participantKey(scope, participantId), kind: "participant", ...participant } },
  ]);
  return participant;
}

export async function getParticipant(store: Store, scope: Scope, participantId: string): Promise<Participant> {
  const item = await store.get(participantKey(scope, participantId));
  if (!item) throw new NotFoundError(`participant ${participantId} is not in the directory`);
  return ParticipantSchema.parse(item);
}

export async function findParticipants(store: Store, scope: Scope, ids: string[]): Promise<Map<string, Participant>> {
  const found = await Promise.all(ids.map((id) => store.get(participantKey(scope, id))));
  return new Map(found.flatMap((item) => (item ? [[String(item.participantId), ParticipantSchema.parse(item)]] : [])));
}
