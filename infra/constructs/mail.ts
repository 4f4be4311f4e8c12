import { Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as ses from "aws-cdk-lib/aws-ses";
import { Construct } from "constructs";

/**
 * Invitation email goes out through SES v2 with this configuration set: TLS required, reputation metrics
 * on, and addresses that bounced or complained are suppressed. Sending identities (domains, addresses)
 * are the deployer's to verify in their account.
 */
export class Mail extends Construct {
  readonly configurationSet: ses.ConfigurationSet;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.configurationSet = new ses.ConfigurationSet(this, "ConfigurationSet", {
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
  }

  /**
   * Lets `grantee` send (SES v2 SendEmail) from `identity` (a verified domain or address) via this set.
   * SES authorizes a v2 SendEmail with raw content as `ses:SendRawEmail` (its AccessDenied names that
   * action) and simple content as `ses:SendEmail`; the mailer sends raw MIME, hence both, on these two
   * resources only.
   */
  grantSendEmail(grantee: iam.IGrantable, identity: string): iam.Grant {
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ["ses:SendEmail", "ses:SendRawEmail"],
      resourceArns: [
        stack.formatArn({ service: "ses", resource: "identity", resourceName: identity }),
        stack.formatArn({
          service: "ses",
          resource: "configuration-set",
          resourceName: this.configurationSet.configurationSetName,
        }),
      ],
    });
  }
}

/** The address of a sender written `Name <address>` or as a bare address (the forms MAIL_FROM takes). */
export function senderAddress(from: string): string {
  const match = /^\s*(.*?)\s*<([^>]+)>\s*$/.exec(from);
  const address = (match ? match[2]! : from).trim();
  if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(address)) {
    throw new Error(`mail sender "${from}" is not "Name <address>" or an address`);
  }
  return address;
}

/** The SES identity a sender is verified under unless told otherwise: the domain of its address. */
export function senderDomain(from: string): string {
  return senderAddress(from).split("@")[1]!.toLowerCase();
}
