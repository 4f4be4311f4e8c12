import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  bearerToken,
  mintParticipantToken,
  participantContext,
  participantFromContext,
  participantPrincipal,
  verifyParticipantToken,
} from "../../shared/domain/auth/participant-tokens.js";

const key = randomBytes(32);
const now = new Date("2026-01-01T00:00:00Z");
const request = { tenantId: "t1", projectId: "demo", participantId: "p1", gatherings: ["gth_1"], ttlSeconds: 600 };

describe("participant tokens", () => {
  it("a minted token verifies to its claim until it expires", () => {
    const { token, expiresAt } = mintParticipantToken(key, request, now);
    expect(expiresAt).toBe("2026-01-01T00:10:00.000Z");
    const verified = verifyParticipantToken(key, token, new Date(now.getTime() + 599_000));
    expect(verified).toMatchObject({ ok: true, claim: { t: "t1", p: "demo", sub: "p1", g: ["gth_1"] } });
    expect(verifyParticipantToken(key, token, new Date(now.getTime() + 600_000))).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("rejects a changed claim, another key's signature and garbage", () => {
    const { token } = mintParticipantToken(key, request, now);
    const [payload, signature] = token.slice(4).split(".") as [string, string];
    const claim = JSON.parse(Buffer.from(payload, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claim, sub: "p2" })).toString("base64url");
    expect(verifyParticipantToken(key, `cpt_${forged}.${signature}`, now)).toEqual({
      ok: false,
      reason: "bad_signature",
    });
    expect(verifyParticipantToken(randomBytes(32), token, now)).toEqual({ ok: false, reason: "bad_signature" });
    expect(verifyParticipantToken(key, "cpt_abc", now)).toEqual({ ok: false, reason: "malformed" });
    expect(verifyParticipantToken(key, `${token}x`, now).ok).toBe(false);
  });

  it("a correctly signed claim of the wrong shape is refused", () => {
    const { token } = mintParticipantToken(key, { ...request, tenantId: "bad#tenant" }, now);
    expect(verifyParticipantToken(key, token, now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("reads the token from a Bearer header only", () => {
    const { token } = mintParticipantToken(key, request, now);
    expect(bearerToken(`Bearer ${token}`)).toBe(token);
    expect(bearerToken(token)).toBeUndefined();
    expect(bearerToken("Bearer ck_notatoken")).toBeUndefined();
  });

  it("the principal survives the authorizer context (strings only)", () => {
    const { token } = mintParticipantToken(key, request, now);
    const verified = verifyParticipantToken(key, token, now);
    if (!verified.ok) throw new Error("expected a valid token");
    const principal = participantPrincipal(verified.claim);
    expect(principal).toMatchObject({ tenantId: "t1", projectScope: "demo", credential: "participant" });
    const context = participantContext(principal);
    expect(Object.values(context).every((v) => typeof v === "string")).toBe(true);
    expect(participantFromContext(context)).toMatchObject({ participantId: "p1", gatherings: ["gth_1"] });
  });
});
