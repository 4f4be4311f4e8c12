import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  activeSecrets,
  generateWebhookSecret,
  isValidWebhook,
  signatureHeader,
  signPayload,
  verifyWebhook,
  WebhookVerificationError,
  webhookHeaders,
} from "../../shared/consumers/webhooks/signature.js";

const payload = JSON.stringify({ id: "evt_01", type: "gathering.created", data: { name: "Café ☕" } });
const nowSeconds = () => Math.floor(Date.now() / 1000);

function reason(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.reason;
    throw error;
  }
  return undefined;
}

describe("webhook secrets", () => {
  it("are whsec_ plus base64 of 32 random bytes, all different, and the reference package accepts them", () => {
    const secrets = new Set(Array.from({ length: 100 }, generateWebhookSecret));
    expect(secrets.size).toBe(100);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
      expect(() => new Webhook(secret)).not.toThrow();
    }
  });

  it("that are not base64 are refused rather than silently decoded to a different key", () => {
    for (const bad of ["", "whsec_", "whsec_not base64!", "whsec_abc"]) {
      expect(() => signPayload(bad, "msg_1", 1_700_000_000, payload), bad).toThrow(TypeError);
    }
  });
});

describe("webhook signatures", () => {
  it("produced here verify with the reference standardwebhooks package", () => {
    for (let i = 0; i < 20; i++) {
      const secret = generateWebhookSecret();
      const headers = webhookHeaders({ msgId: `evt_${i}`, timestamp: nowSeconds(), payload, secrets: [secret] });
      expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload));
    }
  });

  it("equal the reference package's own signature for the same id, time and payload", () => {
    const secret = generateWebhookSecret();
    const at = new Date(1_700_000_000_000);
    expect(signPayload(secret, "msg_1", 1_700_000_000, payload)).toBe(new Webhook(secret).sign("msg_1", at, payload));
  });

  it("match the Standard Webhooks reference test vector", () => {
    // From the spec's reference libraries' tests: secret, id, timestamp and body with a known signature.
    const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const signature = signPayload(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("during a rotation carry one signature per secret, and the header verifies under either secret alone", () => {
    const [previous, current] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = webhookHeaders({
      msgId: "evt_rot",
      timestamp: nowSeconds(),
      payload,
      secrets: [previous, current],
    });
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(headers["webhook-signature"]).toMatch(/^v1,\S+ v1,\S+$/);
    expect(() => new Webhook(previous).verify(payload, headers)).not.toThrow();
    expect(() => new Webhook(current).verify(payload, headers)).not.toThrow();
    expect(verifyWebhook(previous, headers, payload)).toBe(true);
    expect(verifyWebhook(current, headers, payload)).toBe(true);
    expect(reason(() => verifyWebhook(generateWebhookSecret(), headers, payload))).toBe("no_matching_signature");
  });

  it("cannot be produced without a secret", () => {
    expect(() => signatureHeader([], "evt_1", nowSeconds(), payload)).toThrow(RangeError);
  });

  it("take whole Unix seconds only, since the receiver signs the header text", () => {
    expect(() => signPayload(generateWebhookSecret(), "evt_1", 1_700_000_000.5, payload)).toThrow(RangeError);
    expect(() => signPayload(generateWebhookSecret(), "evt_1", Date.now(), payload)).toThrow(RangeError); // milliseconds
    expect(() => signPayload(generateWebhookSecret(), "evt_1", -1, payload)).toThrow(RangeError);
  });

  it("come with the id, the timestamp as text and a JSON content type", () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders({ msgId: "evt_1", timestamp: 1_700_000_000, payload, secrets: [secret] });
    expect(headers).toEqual({
      "webhook-id": "evt_1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": signPayload(secret, "evt_1", 1_700_000_000, payload),
      "content-type": "application/json",
    });
  });
});

describe("verifying a webhook", () => {
  const secret = generateWebhookSecret();
  const now = new Date("2030-01-01T00:00:00Z");
  const t = Math.floor(now.getTime() / 1000);
  const signed = (timestamp = t, body = payload) =>
    webhookHeaders({ msgId: "evt_v", timestamp, payload: body, secrets: [secret] });

  it("accepts a genuine delivery with headers in any letter case", () => {
    const headers = Object.fromEntries(Object.entries(signed()).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(secret, headers, payload, { now })).toBe(true);
    expect(isValidWebhook(secret, headers, payload, { now })).toBe(true);
  });

  it("rejects a tampered payload, id or timestamp", () => {
    const headers = signed();
    expect(reason(() => verifyWebhook(secret, headers, payload.replace("Café", "Cafe"), { now }))).toBe(
      "no_matching_signature",
    );
    expect(reason(() => verifyWebhook(secret, { ...headers, "webhook-id": "evt_w" }, payload, { now }))).toBe(
      "no_matching_signature",
    );
    expect(
      reason(() => verifyWebhook(secret, { ...headers, "webhook-timestamp": String(t - 1) }, payload, { now })),
    ).toBe("no_matching_signature");
    expect(isValidWebhook(secret, headers, payload + " ", { now })).toBe(false);
  });

  it("rejects a timestamp older or newer than the tolerance, and accepts one just inside it", () => {
    expect(reason(() => verifyWebhook(secret, signed(t - 301), payload, { now }))).toBe("timestamp_too_old");
    expect(reason(() => verifyWebhook(secret, signed(t + 301), payload, { now }))).toBe("timestamp_too_new");
    expect(verifyWebhook(secret, signed(t - 300), payload, { now })).toBe(true);
    expect(verifyWebhook(secret, signed(t + 300), payload, { now })).toBe(true);
    expect(reason(() => verifyWebhook(secret, signed(t - 61), payload, { now, toleranceSeconds: 60 }))).toBe(
      "timestamp_too_old",
    );
  });

  it("rejects missing headers, a non-numeric timestamp and signatures of other versions or shapes", () => {
    const headers = signed();
    const { "webhook-signature": _omitted, ...unsigned } = headers;
    expect(reason(() => verifyWebhook(secret, unsigned, payload, { now }))).toBe("missing_headers");
    expect(reason(() => verifyWebhook(secret, { ...headers, "webhook-timestamp": "soon" }, payload, { now }))).toBe(
      "invalid_timestamp",
    );
    const digest = headers["webhook-signature"].slice(3);
    for (const forged of [`v2,${digest}`, `v1a,${digest}`, digest, "v1,", `v1,${digest.slice(0, 20)}`, "v1,!!!!"]) {
      expect(isValidWebhook(secret, { ...headers, "webhook-signature": forged }, payload, { now }), forged).toBe(false);
    }
    expect(isValidWebhook(secret, { ...headers, "webhook-signature": `v2,xyz v1,${digest}` }, payload, { now })).toBe(
      true,
    );
  });
});

describe("active secrets", () => {
  const now = new Date("2030-01-01T12:00:00Z");

  it("are the current secret plus rotated-out ones until their expiresAt, in the stored order", () => {
    const secrets = [
      { secret: "whsec_old", expiresAt: "2030-01-01T11:59:59Z" },
      { secret: "whsec_previous", expiresAt: "2030-01-02T00:00:00Z" },
      { secret: "whsec_current" },
    ];
    expect(activeSecrets(secrets, now)).toEqual(["whsec_previous", "whsec_current"]);
  });

  it("stop including a rotated-out secret at exactly its expiresAt", () => {
    expect(activeSecrets([{ secret: "whsec_a", expiresAt: now.toISOString() }], now)).toEqual([]);
    expect(activeSecrets([{ secret: "whsec_a", expiresAt: "2030-01-01T12:00:00.001Z" }], now)).toEqual(["whsec_a"]);
  });

  it("refuse an expiresAt that is not an instant instead of signing with that secret forever", () => {
    expect(() => activeSecrets([{ secret: "whsec_a", expiresAt: "tomorrow" }], now)).toThrow(RangeError);
  });
});
