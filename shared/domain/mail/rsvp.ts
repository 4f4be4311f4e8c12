import { createHmac, timingSafeEqual } from "node:crypto";
import * as z from "../../kernel/zod.js";
import { escapeHtml } from "./email-content.js";

/**
 * RSVP links: `/v1/rsvp/{token}`, where the token is `base64url(payload).base64url(HMAC-SHA256)`.
 * A token names one invitation and one action (accept or decline) and expires; it cannot be guessed,
 * altered or used for anything else. Opening the link (GET) only shows a page: mail scanners prefetch
 * links, so the response happens on the page's POST.
 */
const PayloadSchema = z.object({
  // v2 names the tenant: a token resolves to keys of exactly one tenant and project.
  v: z.literal(2),
  t: z.string(),
  p: z.string(),
  g: z.string(),
  i: z.string(),
  a: z.enum(["accept", "decline"]),
  exp: z.number().check(z.int()),
});
export type RsvpClaim = {
  tenantId: string;
  projectId: string;
  gatheringId: string;
  invitationId: string;
  action: "accept" | "decline";
};

export const RSVP_TOKEN_TTL_SECONDS = 90 * 86_400;

function mac(key: Buffer, payload: string): string {
  return createHmac("sha256", key).update(`rsvp.${payload}`).digest("base64url");
}

export function createRsvpToken(key: Buffer, claim: RsvpClaim, now: Date): string {
  const payload = Buffer.from(
    JSON.stringify({
      v: 2,
      t: claim.tenantId,
      p: claim.projectId,
      g: claim.gatheringId,
      i: claim.invitationId,
      a: claim.action,
      exp: Math.floor(now.getTime() / 1000) + RSVP_TOKEN_TTL_SECONDS,
    }),
  ).toString("base64url");
  return `${payload}.${mac(key, payload)}`;
}

export type RsvpVerification =
  { ok: true; claim: RsvpClaim } | { ok: false; reason: "malformed" | "bad_signature" | "expired" };

export function verifyRsvpToken(key: Buffer, token: string, now: Date): RsvpVerification {
  const match = /^([A-Za-z0-9_-]{1,1024})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return { ok: false, reason: "malformed" };
  const [, payload, signature] = match;
  const expected = Buffer.from(mac(key, payload!));
  if (!timingSafeEqual(expected, Buffer.from(signature!))) return { ok: false, reason: "bad_signature" };
  let parsed;
  try {
    parsed = PayloadSchema.parse(JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")));
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (parsed.exp * 1000 <= now.getTime()) return { ok: false, reason: "expired" };
  return {
    ok: true,
    claim: {
      tenantId: parsed.t,
      projectId: parsed.p,
      gatheringId: parsed.g,
      invitationId: parsed.i,
      action: parsed.a,
    },
  };
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}
button{font:inherit;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #333;background:#111;color:#fff;cursor:pointer}</style>
</head><body>${body}</body></html>`;
}

export function rsvpConfirmPage(gatheringName: string, action: "accept" | "decline", token: string): string {
  const verb = action === "accept" ? "Accept" : "Decline";
  return page(
    `${verb} invitation`,
    `<h1>${verb} the invitation to ${escapeHtml(gatheringName)}?</h1>
<form method="post" action="${escapeHtml(token)}"><button type="submit">${verb}</button></form>`,
  );
}

export function rsvpDonePage(gatheringName: string, status: "accepted" | "declined"): string {
  return page(
    "Thank you",
    `<h1>You ${status} the invitation to ${escapeHtml(gatheringName)}.</h1><p>You can close this page.</p>`,
  );
}

export function rsvpInvalidPage(reason: string): string {
  return page("Link not valid", `<h1>This link is not valid</h1><p>${escapeHtml(reason)}</p>`);
}
