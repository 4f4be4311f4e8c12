/**
 * The mailer port: sends one raw MIME message. SES is the AWS implementation; the domain only needs to know
 * whether a failure is worth retrying.
 */
export interface OutgoingMail {
  /** Envelope sender; must be a verified identity on SES. */
  from: string;
  /** Envelope recipient; the MIME `To` header is what the reader sees. */
  to: string;
  /** The RFC 5322 message, e.g. from `buildInvitationMime`. */
  raw: string;
  configurationSet?: string;
}

export interface Mailer {
  send(message: OutgoingMail): Promise<{ messageId: string }>;
}

/**
 * The provider will never accept this message as sent (bad address, rejected content, sending disabled).
 * Retrying cannot help: record the failure on the invitation. `code` is the provider's error name; the
 * message never contains an address.
 */
export class MailRejectedError extends Error {
  constructor(
    readonly code: string,
    message = `mail provider rejected the message (${code})`,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The provider is rate-limiting us; the same message may succeed later. */
export class MailThrottledError extends Error {
  constructor(
    readonly code: string,
    message = `mail provider is throttling (${code})`,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export interface RetryOptions {
  /** Total attempts, the first included. */
  attempts: number;
  /** Delay cap before the second attempt; doubles after each throttled attempt. */
  backoffMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** [0, 1); injectable so tests can pin the jitter. */
  random?: () => number;
}

/**
 * Sends, retrying only throttling with exponential backoff and full jitter (a random delay up to
 * `backoffMs · 2^n`), so many invitations throttled together do not retry in lockstep. Anything else —
 * a rejection or an unexpected error — is rethrown at once.
 */
export async function sendWithRetry(
  mailer: Mailer,
  message: OutgoingMail,
  options: RetryOptions,
): Promise<{ messageId: string }> {
  const { attempts, backoffMs } = options;
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error("sendWithRetry: attempts must be an integer ≥ 1");
  if (!(backoffMs >= 0)) throw new Error("sendWithRetry: backoffMs must be ≥ 0");
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await mailer.send(message);
    } catch (error) {
      if (!(error instanceof MailThrottledError) || attempt >= attempts) throw error;
      await sleep(Math.floor(random() * backoffMs * 2 ** (attempt - 1)));
    }
  }
}
