import { describe, expect, it } from "vitest";
import { FORWARDED_HEADERS } from "../../shared/adapters/live-host/config.js";
import {
  connectionMetricLine,
  envelopeOf,
  principalFromHeaders,
  queueNameFor,
  sseRequest,
} from "../../shared/adapters/live-host/host.js";

const SECRET = "s3cretValueFromSecretsManager0123456789abcdefgh";
const forwarded = (more: Record<string, string> = {}) => ({
  [FORWARDED_HEADERS.secret]: SECRET,
  [FORWARDED_HEADERS.tenantId]: "t1",
  [FORWARDED_HEADERS.projectScope]: "proj_a",
  [FORWARDED_HEADERS.keyId]: "key_1",
  [FORWARDED_HEADERS.credential]: "api",
  [FORWARDED_HEADERS.requestId]: "req-1",
  ...more,
});

describe("the live host's principal (forwarded by API Gateway)", () => {
  it("is the authorizer's context when the shared secret matches", () => {
    expect(principalFromHeaders(forwarded(), SECRET)).toEqual({
      tenantId: "t1",
      projectScope: "proj_a",
      keyId: "key_1",
      credential: "api",
    });
  });

  it("is a bot principal for a bot key", () => {
    expect(principalFromHeaders(forwarded({ [FORWARDED_HEADERS.credential]: "bot" }), SECRET)).toMatchObject({
      credential: "bot",
      actorType: "bot",
    });
  });

  it("is a participant principal, with its gatherings and expiry, for a participant token", () => {
    const headers = forwarded({
      [FORWARDED_HEADERS.credential]: "participant",
      [FORWARDED_HEADERS.participantId]: "p1",
      [FORWARDED_HEADERS.gatherings]: "gth_a,gth_b",
      [FORWARDED_HEADERS.expiresAt]: "2030-01-01T00:00:00.000Z",
    });
    expect(principalFromHeaders(headers, SECRET)).toMatchObject({
      credential: "participant",
      participantId: "p1",
      gatherings: ["gth_a", "gth_b"],
      expiresAt: "2030-01-01T00:00:00.000Z",
    });
    // A participant credential without its participant is not trusted.
    expect(principalFromHeaders(forwarded({ [FORWARDED_HEADERS.credential]: "participant" }), SECRET)).toBeUndefined();
  });

  it("is refused without the secret, with another secret, or with part of the context missing", () => {
    const { [FORWARDED_HEADERS.secret]: _omit, ...noSecret } = forwarded();
    expect(principalFromHeaders(noSecret, SECRET)).toBeUndefined();
    expect(principalFromHeaders(forwarded({ [FORWARDED_HEADERS.secret]: `${SECRET}x` }), SECRET)).toBeUndefined();
    expect(principalFromHeaders(forwarded({ [FORWARDED_HEADERS.secret]: "short" }), SECRET)).toBeUndefined();
    expect(principalFromHeaders(forwarded({ [FORWARDED_HEADERS.tenantId]: "" }), SECRET)).toBeUndefined();
    // A host started without a secret trusts nobody.
    expect(principalFromHeaders(forwarded({ [FORWARDED_HEADERS.secret]: "" }), "")).toBeUndefined();
  });
});

describe("the live host's routes", () => {
  const principal = { tenantId: "t1", projectScope: "proj_a", keyId: "key_1" };

  it("maps the gathering and session event streams to their operations, with query and Last-Event-ID", () => {
    const gathering = sseRequest(
      "GET",
      "/v1/projects/proj_a/gatherings/gth_1/events?types=gathering.member.*&after=3",
      { ...forwarded(), "last-event-id": "7", authorization: "Bearer k" },
      principal,
    );
    expect(gathering).toMatchObject({
      operationId: "streamGatheringEvents",
      params: { projectId: "proj_a", gatheringId: "gth_1" },
      query: { types: "gathering.member.*", after: "3" },
      principal,
      requestId: "req-1",
    });
    // Neither the forwarded context nor the caller's key reach the handler as headers.
    expect(gathering!.headers).toEqual({ "last-event-id": "7" });
    expect(sseRequest("GET", "/v1/projects/proj_a/sessions/ses_1/events", {}, principal)).toMatchObject({
      operationId: "streamSessionEvents",
      params: { projectId: "proj_a", sessionId: "ses_1" },
    });
  });

  it("serves nothing else: other paths, other methods, malformed escapes", () => {
    expect(sseRequest("GET", "/v1/projects/proj_a/gatherings/gth_1", {}, principal)).toBeUndefined();
    expect(sseRequest("POST", "/v1/projects/proj_a/gatherings/gth_1/events", {}, principal)).toBeUndefined();
    expect(sseRequest("HEAD", "/v1/projects/proj_a/gatherings/gth_1/events", {}, principal)).toBeUndefined();
    expect(sseRequest("GET", "/v1/projects/%E0%A4%A/gatherings/gth_1/events", {}, principal)).toBeUndefined();
  });
});

describe("the live host's feed", () => {
  const envelope = {
    id: "evt_1",
    type: "gathering.member.joined",
    version: 4,
    projectId: "proj_a",
    tenantId: "t1",
    resource: "gathering:gth_1",
    occurredAt: "2026-11-28T15:00:00.000Z",
    data: { memberId: "mem_1" },
  };

  it("reads the committed event from an EventBridge event delivered raw by SNS", () => {
    const body = JSON.stringify({ version: "0", source: "cortex", "detail-type": envelope.type, detail: envelope });
    expect(envelopeOf(body)).toEqual(envelope);
  });

  it("ignores bodies that are not an event (so a stray message cannot reach a watcher)", () => {
    expect(envelopeOf(undefined)).toBeUndefined();
    expect(envelopeOf("not json")).toBeUndefined();
    expect(envelopeOf(JSON.stringify({ detail: { ...envelope, version: 0 } }))).toBeUndefined();
    expect(envelopeOf(JSON.stringify({ Message: JSON.stringify({ detail: envelope }) }))).toBeUndefined();
  });

  it("names each task's queue under the stack's prefix, within SQS's limits", () => {
    expect(queueNameFor("Cortex-live", "0f3a1b2c3d4e5f60718293a4b5c6d7e8")).toBe(
      "Cortex-live-0f3a1b2c3d4e5f60718293a4b5c6d7e8",
    );
    const long = queueNameFor("P".repeat(70), "arn:aws:ecs:task/abc.def");
    expect(long).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it("reports open connections as an embedded metric the scaling policy tracks", () => {
    const line = JSON.parse(connectionMetricLine("Cortex/Live", "Cortex-live", 42, 1_700_000_000_000));
    expect(line).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: "Cortex/Live", Dimensions: [["Service"]] }] },
      Service: "Cortex-live",
      OpenConnections: 42,
    });
  });
});
