import type { SendEmailRequest, SendEmailResponse } from "@aws-sdk/client-sesv2";
import { MailRejectedError, MailThrottledError, type Mailer, type OutgoingMail } from "../../domain/mail/mailer.js";
import { AwsClient, SERVICES } from "./client/aws-client.js";

/** SES v2 errors that mean "not now". (The client has already retried these a few times on its own.) */
const THROTTLED = new Set(["TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException"]);
/**
 * SES v2 errors that no retry will fix for this message: the address or content is refused, the sender or
 * configuration set is not set up, or sending is suspended for the account.
 */
const REJECTED = new Set([
  "MessageRejected",
  "BadRequestException",
  "MailFromDomainNotVerifiedException",
  "AccountSuspendedException",
  "SendingPausedException",
  "NotFoundException",
  "ValidationException",
  "InvalidParameterValue",
]);

interface ServiceErrorShape {
  name: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

export class SesMailer implements Mailer {
  // Default config: region and endpoint come from the standard AWS settings (AWS_ENDPOINT_URL_SESV2 locally).
  constructor(private readonly client: AwsClient = new AwsClient(SERVICES.sesv2)) {}

  async send(message: OutgoingMail): Promise<{ messageId: string }> {
    try {
      const request: SendEmailRequest = {
        FromEmailAddress: message.from,
        Destination: { ToAddresses: [message.to] },
        // A blob: sent base64-encoded, as SES v2's REST-JSON protocol defines.
        Content: { Raw: { Data: Buffer.from(message.raw, "utf8") } },
        ...(message.configurationSet !== undefined && { ConfigurationSetName: message.configurationSet }),
      };
      const result = await this.client.request<SendEmailResponse>("POST", "/v2/email/outbound-emails", {
        body: request,
      });
      if (!result.MessageId) throw new Error("SES accepted the message but returned no MessageId");
      return { messageId: result.MessageId };
    } catch (error) {
      throw classify(error) ?? error;
    }
  }
}

/**
 * Maps an SES failure to the port's errors. The new error carries only the SES error name: SES messages can
 * quote the addresses involved, and these errors end up in logs.
 */
function classify(error: unknown): MailRejectedError | MailThrottledError | undefined {
  if (!(error instanceof Error) || !("$metadata" in error)) return undefined;
  const { name, $metadata, $retryable } = error as ServiceErrorShape;
  const status = $metadata?.httpStatusCode;
  if (THROTTLED.has(name) || status === 429 || $retryable?.throttling) return new MailThrottledError(name);
  if (REJECTED.has(name)) return new MailRejectedError(name);
  // An untyped 400 (aws-ses-v2-local answers this way; the client names it "Http400") is still a request
  // SES will never accept as is.
  if (status === 400) return new MailRejectedError(name === "Http400" || name === "Unknown" ? "BadRequest" : name);
  return undefined;
}

export function mailerFromEnv(): SesMailer {
  return new SesMailer();
}
