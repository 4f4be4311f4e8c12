import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createRsvpToken,
  RSVP_TOKEN_TTL_SECONDS,
  rsvpConfirmPage,
  verifyRsvpToken,
} from "../../shared/domain/mail/rsvp.js";

const key = randomBytes(32);
const now = new Date("2026-06-01T12:00:00Z");
const claim = { tenantId: "t", projectId: "p", gatheringId: "gth_1", invitationId: "inv_1", action: "accept" as const };

describe("RSVP tokens", () => {
  it("verify with the key that signed them and carry their one invitation and action", () => {
    const token = createRsvpToken(key, claim, now);
    expect(verifyRsvpToken(key, token, now)).toEqual({ ok: true, claim });
    expect(verifyRsvpToken(key, createRsvpToken(key, { ...claim, action: "decline" }, now), now)).toEqual({
      ok: true,
      claim: { ...claim, action: "decline" },
    });
  });

  it("refuse another key, an altered payload or signature, garbage, and expiry", () => {
    const token = createRsvpToken(key, claim, now);
    const [payload, signature] = token.split(".") as [string, string];
    expect(verifyRsvpToken(randomBytes(32), token, now)).toEqual({ ok: false, reason: "bad_signature" });
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), a: "decline" }),
    ).toString("base64url");
    expect(verifyRsvpToken(key, `${forged}.${signature}`, now)).toEqual({ ok: false, reason: "bad_signature" });
    expect(verifyRsvpToken(key, `${payload}.${signature.slice(1)}A`, now).ok).toBe(false);
    for (const junk of ["", "abc", "a.b.c", `${payload}.`]) expect(verifyRsvpToken(key, junk, now).ok).toBe(false);
    const later = new Date(now.getTime() + (RSVP_TOKEN_TTL_SECONDS + 1) * 1000);
    expect(verifyRsvpToken(key, token, later)).toEqual({ ok: false, reason: "expired" });
  });

  it("the confirmation page escapes the gathering name and posts back to the same link", () => {
    const page = rsvpConfirmPage('<script>alert("x")</script>', "accept", "tok.en");
    expect(page).not.toContain("<script>alert");
    expect(page).toContain("&lt;script&gt;");
    expect(page).toContain('<form method="post" action="tok.en">');
  });
});
