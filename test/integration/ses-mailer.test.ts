/**
 * SesMailer through the real `@aws-sdk/client-sesv2`: against aws-ses-v2-local (the SES v2 emulator the
 * local runtime uses) for delivery, and against a small HTTP server speaking SES's error wire format for the
 * failures the emulator cannot produce (throttling, account state, typed rejections).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../local/ports.js";
import { AwsClient, SERVICES } from "../../shared/adapters/aws/client/aws-client.js";
import { SesMailer } from "../../shared/adapters/aws/ses-mailer.js";
import { buildCalendar } from "../../shared/domain/mail/calendar.js";
import { renderInvitationEmail } from "../../shared/domain/mail/email-content.js";
import {
  MailRejectedError,
  MailThrottledError,
  sendWithRetry,
  type Mailer,
  type OutgoingMail,
} from "../../shared/domain/mail/mailer.js";
import { buildInvitationMime } from "../../shared/domain/mail/mime.js";

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
const SENDER = "invites@gatherings.example.com";
const RECIPIENT = "bob@example.com";

function invitationMessage(): { ics: string; subject: string; raw: string } {
  const ics = buildCalendar({
    uid: "gth_01@gatherings.example.com",
    sequence: 0,
    method: "REQUEST",
    title: "Wöchentliche Planung",
    startsAt: "2026-07-01T15:00:00Z",
    endsAt: "2026-07-01T16:00:00Z",
    organizer: { name: "Ann", email: "ann@example.com" },
    attendees: [{ email: RECIPIENT, name: "Bob" }],
    dtstamp: new Date("2026-06-01T12:00:00Z"),
  });
  const content = renderInvitationEmail({
    kind: "invitation",
    gatheringName: "Wöchentliche Planung",
    startsAt: "2026-07-01T15:00:00Z",
    endsAt: "2026-07-01T16:00:00Z",
    joinCode: "ABCD-1234",
    inviterName: "Ann",
    acceptUrl: "https://app.example.com/invitations/inv_01/accept",
    declineUrl: "https://app.example.com/invitations/inv_01/decline",
    recordingNotice: true,
  });
  const raw = buildInvitationMime({
    from: { email: SENDER, name: "Gatherings" },
    to: { email: RECIPIENT, name: "Bob" },
    ...content,
    calendar: ics,
  });
  return { ics, subject: content.subject, raw };
}

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: Array<{ filename?: string; contentType: string; content: string }>;
}

describe("SesMailer with aws-ses-v2-local", () => {
  let server: Server;
  let endpoint: string;
  let mailer: SesMailer;

  beforeAll(async () => {
    const port = await freePort();
    // The package is CommonJS with `exports.default`; how it surfaces under ESM depends on the loader.
    const mod = (await import("aws-ses-v2-local")) as unknown as {
      default: ((config: { host: string; port: number }) => Promise<Server>) & { default?: unknown };
    };
    const start = (mod.default.default ?? mod.default) as (config: { host: string; port: number }) => Promise<Server>;
    server = await start({ host: "127.0.0.1", port });
    endpoint = `http://127.0.0.1:${port}`;
    mailer = new SesMailer(new AwsClient(SERVICES.sesv2, { endpoint, region: "us-east-1", credentials }));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(async () => {
    await fetch(`${endpoint}/clear-store`, { method: "POST" });
  });

  async function inbox(): Promise<StoredEmail[]> {
    const response = await fetch(`${endpoint}/store`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { emails: StoredEmail[] }).emails;
  }

  it("delivers the invitation, and the inbox holds it with the .ics attached byte for byte", async () => {
    const { ics, subject, raw } = invitationMessage();
    const { messageId } = await mailer.send({ from: SENDER, to: RECIPIENT, raw, configurationSet: "invitations" });
    expect(messageId).toMatch(/\S/);

    const [email, ...others] = await inbox();
    expect(others).toHaveLength(0);
    expect(email!.messageId).toBe(messageId);
    expect(email!.from).toBe(`"Gatherings" <${SENDER}>`);
    expect(email!.destination.to).toEqual([`"Bob" <${RECIPIENT}>`]);
    expect(email!.subject).toBe(subject);
    expect(email!.body.text).toContain("Join code: ABCD-1234");
    expect(email!.body.text).toContain("This call will be transcribed.");
    const attachment = email!.attachments.find((a) => a.filename === "invite.ics");
    expect(attachment?.contentType).toBe("application/ics");
    expect(Buffer.from(attachment!.content, "base64").equals(Buffer.from(ics, "utf8"))).toBe(true);
    // The store also lists the text/calendar alternative, but keeps only its bare content type: the
    // `method=` parameter is gone there, which is why test/unit/mime.test.ts checks the MIME we build.
  });

  it("a From without an address is refused as MailRejectedError, naming no address, and nothing is stored", async () => {
    // aws-ses-v2-local checks addresses (isEmailValid) only in SendBulkEmail; for Raw content its one
    // address check is that the From header parses to an address (else an untyped 400 Bad Request).
    const raw = invitationMessage().raw.replace(/^From: .*$/m, "From: <>");
    const error = await mailer.send({ from: SENDER, to: RECIPIENT, raw }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailRejectedError);
    expect((error as MailRejectedError).code).toBe("BadRequest");
    expect((error as MailRejectedError).message).not.toMatch(/@/);
    expect(await inbox()).toHaveLength(0);

    // The same mailer keeps working for a valid message.
    await mailer.send({ from: SENDER, to: RECIPIENT, raw: invitationMessage().raw });
    expect(await inbox()).toHaveLength(1);
  });

  it("a rejection is not retried by sendWithRetry", async () => {
    const raw = invitationMessage().raw.replace(/^From: .*$/m, "From: <>");
    let sends = 0;
    const counting: Mailer = { send: (m) => (sends++, mailer.send(m)) };
    const sleeps: number[] = [];
    await expect(
      sendWithRetry(
        counting,
        { from: SENDER, to: RECIPIENT, raw },
        {
          attempts: 5,
          backoffMs: 10,
          sleep: async (ms) => void sleeps.push(ms),
        },
      ),
    ).rejects.toBeInstanceOf(MailRejectedError);
    expect(sends).toBe(1);
    expect(sleeps).toEqual([]);
  });
});

describe("SesMailer maps SES error responses", () => {
  let server: Server;
  let reply: { status: number; type: string };
  let mailer: SesMailer;

  beforeAll(async () => {
    // Answers every request the way SES v2 (REST-JSON) reports an error; the message quotes an address, as
    // real SES messages can ("… failed the check: eve@example.com").
    server = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        response.writeHead(reply.status, { "content-type": "application/json", "x-amzn-errortype": reply.type });
        response.end(JSON.stringify({ message: "Email address is not verified: eve@example.com" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    // One attempt: the client's own retries of throttling would only slow the test down.
    const client = new AwsClient(SERVICES.sesv2, {
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials,
      maxAttempts: 1,
    });
    mailer = new SesMailer(client);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const message: OutgoingMail = { from: SENDER, to: "eve@example.com", raw: "From: x@example.com\r\n\r\nx" };

  it.each([
    [429, "TooManyRequestsException"],
    [400, "LimitExceededException"],
  ])("HTTP %i %s is MailThrottledError", async (status, type) => {
    reply = { status, type };
    const error = await mailer.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailThrottledError);
    expect((error as MailThrottledError).code).toBe(type);
  });

  it.each([
    [400, "MessageRejected"],
    [400, "BadRequestException"],
    [400, "MailFromDomainNotVerifiedException"],
    [400, "AccountSuspendedException"],
    [400, "SendingPausedException"],
    [404, "NotFoundException"],
  ])("HTTP %i %s is MailRejectedError with the SES error name and no address", async (status, type) => {
    reply = { status, type };
    const error = await mailer.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MailRejectedError);
    expect((error as MailRejectedError).code).toBe(type);
    expect((error as Error).message).toContain(type);
    expect((error as Error).message).not.toContain("eve@example.com");
  });

  it("a server error is neither: it is rethrown as the SDK raised it", async () => {
    reply = { status: 500, type: "InternalServiceErrorException" };
    const error = await mailer.send(message).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(MailRejectedError);
    expect(error).not.toBeInstanceOf(MailThrottledError);
    expect((error as Error).name).toBe("InternalServiceErrorException");
  });
});

describe("sendWithRetry", () => {
  const message: OutgoingMail = { from: SENDER, to: RECIPIENT, raw: "x" };

  /** A Mailer that fails with the given errors, in order, then succeeds. */
  function scripted(failures: Error[]): Mailer & { calls: number } {
    const mailer = {
      calls: 0,
      async send() {
        const failure = failures[mailer.calls++];
        if (failure) throw failure;
        return { messageId: `msg-${mailer.calls}` };
      },
    };
    return mailer;
  }

  it("retries throttling with exponentially growing, jittered delays until the send succeeds", async () => {
    const mailer = scripted([1, 2, 3].map(() => new MailThrottledError("TooManyRequestsException")));
    const sleeps: number[] = [];
    const result = await sendWithRetry(mailer, message, {
      attempts: 5,
      backoffMs: 100,
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    });
    expect(result).toEqual({ messageId: "msg-4" });
    expect(sleeps).toEqual([50, 100, 200]);
  });

  it("never waits longer than the doubling cap, and spreads retries below it", async () => {
    const delays = async (random: () => number) => {
      const sleeps: number[] = [];
      await sendWithRetry(scripted([1, 2].map(() => new MailThrottledError("Throttling"))), message, {
        attempts: 3,
        backoffMs: 100,
        sleep: async (ms) => void sleeps.push(ms),
        random,
      });
      return sleeps;
    };
    expect(await delays(() => 0.999999)).toEqual([99, 199]);
    expect(await delays(() => 0)).toEqual([0, 0]);
  });

  it("gives up after the last attempt and rethrows the throttling error", async () => {
    const mailer = scripted([1, 2, 3].map(() => new MailThrottledError("TooManyRequestsException")));
    await expect(
      sendWithRetry(mailer, message, { attempts: 3, backoffMs: 1, sleep: async () => undefined }),
    ).rejects.toBeInstanceOf(MailThrottledError);
    expect(mailer.calls).toBe(3);
  });

  it("rethrows a rejection or an unexpected error at once", async () => {
    for (const failure of [new MailRejectedError("MessageRejected"), new Error("socket hang up")]) {
      const mailer = scripted([failure]);
      await expect(
        sendWithRetry(mailer, message, { attempts: 5, backoffMs: 1, sleep: async () => undefined }),
      ).rejects.toBe(failure);
      expect(mailer.calls).toBe(1);
    }
  });

  it("refuses fewer than one attempt", async () => {
    await expect(sendWithRetry(scripted([]), message, { attempts: 0, backoffMs: 1 })).rejects.toThrow(/attempts/);
  });
});
