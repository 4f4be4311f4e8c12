import type { Principal } from "../../kernel/tenancy.js";
import type { Store } from "../../store/store.js";
import { bearerSecret, lookupApiKey, touchLastUsed } from "./api-keys.js";
import {
  bearerToken,
  isParticipantToken,
  participantPrincipal,
  SIGNING_PURPOSE,
  verifyParticipantToken,
} from "./participant-tokens.js";
import { signingKey } from "./signing-key.js";

/**
 * What the authorizer does with an `Authorization` header: a participant token (`Bearer cpt_…`) is
 * verified with the signing key (no table read once the key is cached in the container); anything else
 * is looked up as an API key (one read, and every few minutes a "last used" write). The reason of a rejection is for the log, never the caller.
 */
export async function resolveCredential(
  store: Store,
  header: string | undefined,
  now: Date,
  /** A key's "last used" could not be written (touchLastUsed): logged, never a failed request. */
  onTouchFailed: (error: unknown) => void = () => {},
): Promise<{ principal: Principal } | { rejected: string }> {
  const presented = /^Bearer\s+(\S*)/i.exec(header ?? "")?.[1] ?? "";
  if (isParticipantToken(presented)) {
    const token = bearerToken(header);
    if (!token) return { rejected: "malformed participant token" };
    const verified = verifyParticipantToken(await signingKey(store, SIGNING_PURPOSE), token, now);
    if (!verified.ok) return { rejected: `participant token ${verified.reason.replace("_", " ")}` };
    return { principal: participantPrincipal(verified.claim) };
  }
  const secret = bearerSecret(header);
  const found = secret ? await lookupApiKey(store, secret, now) : undefined;
  if (!found) return { rejected: secret ? "unknown, revoked or expired key" : "malformed header" };
  await touchLastUsed(store, found.record, now).catch(onTouchFailed);
  return { principal: found.principal };
}
