import { createHmac, timingSafeEqual } from "node:crypto";
import type { Principal } from "../../kernel/tenancy.js";
import { TENANT_ID_PATTERN } from "../../kernel/tenancy.js";

/**
 * Participant tokens: what a game server hands a player's client. A token names one tenant, one project,
 * one participant, optionally the gatherings it may touch, and when it expires; it is an HMAC-SHA256 over
 * that claim with the deployment's `participant-token` signing key (kept like the RSVP key, see
 * signing-key.ts). The authorizer verifies it without a table read (the key is read once per container),
 * so a token cannot be revoked before it expires: keep `ttlSeconds` short.
 *
 * Format: `cpt_` + base64url(JSON claim) + `.` + base64url(MAC). The MAC covers the prefix too.
 */
export const TOKEN_PREFIX = "cpt_";
export const SIGNING_PURPOSE = "participant-token";
export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 24 * 60 * 60;
export const DEFAULT_TTL_SECONDS = 60 * 60;
export const MAX_GATHERINGS = 20;
/** Longest token the bearer parser accepts: a claim with MAX_GATHERINGS ids of 64 characters fits. */
const MAX_TOKEN_CHARS = 4096;
const TOKEN_PATTERN = /^cpt_[A-Za-z0-9_-]{1,4000}\.[A-Za-z0-9_-]{43}$/;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const PROJECT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ParticipantClaim {
  v: 1;
  /** Tenant, project, participant. */
  t: string;
  p: string;
  sub: string;
  /** The gatherings it may touch; absent: any it is a member of. */
  g?: string[];
  /** Expiry, epoch seconds. */
  exp: number;
}

/** The claim's shape, checked by hand: the authorizer bundle stays free of a schema library. */
function asClaim(value: unknown): ParticipantClaim | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const c = value as Record<string, unknown>;
  const known = new Set(["v", "t", "p", "sub", "g", "exp"]);
  if (Object.keys(c).some((k) => !known.has(k))) return undefined;
  if (c.v !== 1 || typeof c.t !== "string" || !TENANT_ID_PATTERN.test(c.t)) return undefined;
  if (typeof c.p !== "string" || !PROJECT_ID.test(c.p)) return undefined;
  if (typeof c.sub !== "string" || c.sub.length < 1 || c.sub.length > 128) return undefined;
  if (typeof c.exp !== "number" || !Number.isInteger(c.exp) || c.exp <= 0) return undefined;
  if (c.g !== undefined) {
    if (!Array.isArray(c.g) || c.g.length > MAX_GATHERINGS) return undefined;
    if (!c.g.every((id) => typeof id === "string" && ID.test(id))) return undefined;
  }
  return c as unknown as ParticipantClaim;
}

export interface MintRequest {
  tenantId: string;
  projectId: string;
  participantId: string;
  gatherings?: string[];
  ttlSeconds: number;
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac("sha256", key).update(`${TOKEN_PREFIX}${payload}`).digest();
}

/** Signs a token; the caller has validated the request (the route's body schema bounds the ttl). */
export function mintParticipantToken(
  key: Buffer,
  request: MintRequest,
  now: Date,
): { token: string; expiresAt: string } {
  const exp = Math.floor(now.getTime() / 1000) + request.ttlSeconds;
  const claim: ParticipantClaim = {
    v: 1,
    t: request.tenantId,
    p: request.projectId,
    sub: request.participantId,
    ...(request.gatherings && { g: [...new Set(request.gatherings)] }),
    exp,
  };
  const payload = Buffer.from(JSON.stringify(claim)).toString("base64url");
  const token = `${TOKEN_PREFIX}${payload}.${mac(key, payload).toString("base64url")}`;
  return { token, expiresAt: new Date(exp * 1000).toISOString() };
}

/** Looks like a participant token (so the authorizer does not look it up as an API key). */
export function isParticipantToken(secret: string): boolean {
  return secret.startsWith(TOKEN_PREFIX);
}

/** `Authorization` header value → the participant token, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header || header.length > MAX_TOKEN_CHARS + 16) return undefined;
  const match = /^Bearer\s+(cpt_\S+)\s*$/i.exec(header);
  const token = match?.[1];
  return token && TOKEN_PATTERN.test(token) ? token : undefined;
}

export type TokenVerification =
  { ok: true; claim: ParticipantClaim } | { ok: false; reason: "malformed" | "bad_signature" | "expired" };

/** Checks the MAC (constant time) before reading the claim, then the expiry. */
export function verifyParticipantToken(key: Buffer, token: string, now: Date): TokenVerification {
  if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: "malformed" };
  const [payload, signature] = token.slice(TOKEN_PREFIX.length).split(".") as [string, string];
  const given = Buffer.from(signature, "base64url");
  const expected = mac(key, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad_signature" };
  }
  let claim: ParticipantClaim;
  try {
    const parsed = asClaim(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
    if (!parsed) return { ok: false, reason: "malformed" };
    claim = parsed;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (claim.exp * 1000 <= now.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, claim };
}

/** A verified claim as the principal the API sees: bound to its project, acting as its participant. */
export function participantPrincipal(claim: ParticipantClaim): Principal {
  return {
    tenantId: claim.t,
    projectScope: claim.p,
    keyId: `ptk_${claim.sub}`,
    actorType: "participant",
    credential: "participant",
    participantId: claim.sub,
    ...(claim.g && { gatherings: claim.g }),
    expiresAt: new Date(claim.exp * 1000).toISOString(),
  };
}

/** The authorizer context carries strings only: the gatherings list is joined with "," (ids have none). */
export function participantContext(principal: Principal): Record<string, string> {
  return {
    participantId: principal.participantId ?? "",
    ...(principal.gatherings && { gatherings: principal.gatherings.join(",") }),
    ...(principal.expiresAt && { expiresAt: principal.expiresAt }),
  };
}

/** The inverse of participantContext, for the API and SSE functions. */
export function participantFromContext(ctx: Record<string, unknown>): Partial<Principal> {
  const gatherings = typeof ctx.gatherings === "string" ? ctx.gatherings.split(",").filter(Boolean) : undefined;
  return {
    actorType: "participant",
    participantId: String(ctx.participantId ?? ""),
    ...(gatherings && { gatherings }),
    ...(typeof ctx.expiresAt === "string" && { expiresAt: ctx.expiresAt }),
  };
}
