import { Duration, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { acknowledgeWildcardResource } from "../nag.js";

/**
 * Debug audio: the WAV a bot may attach to an utterance, kept a day (the API answers 410 after 24 h) and
 * downloaded by browsers through presigned URLs. Private, TLS-only, encrypted; its server access logs go
 * to a bucket of their own.
 */
export class DebugAudio extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.accessLogs = new s3.Bucket(this, "AccessLogs", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: "AwsSolutions-S1",
      reason: "This bucket is the access-log destination of the debug-audio bucket; logging it would log itself.",
    });

    // Kept (the default) when the stack goes: what is left expires within a day, and an emptied bucket costs nothing.
    this.bucket = new s3.Bucket(this, "Bucket", {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      autoDeleteObjects: false,
      serverAccessLogsBucket: this.accessLogs,
      lifecycleRules: [{ expiration: Duration.days(1) }],
      // Browsers fetch the presigned URLs the API hands out, from whatever origin the app is served on;
      // the signature, not the origin, is what authorizes a download.
      cors: [{ allowedMethods: [s3.HttpMethods.GET], allowedOrigins: ["*"], maxAge: 3600 }],
    });
  }

  /**
   * What the debug-audio adapter calls (shared/adapters/aws/s3-debug-audio.ts): put, presigned get and
   * delete of objects, and listing the bucket to delete a session's prefix. Object keys are derived from
   * ids at run time, hence the wildcard below the bucket (acknowledged on the grantee's role).
   */
  grantReadWriteAudio(grantee: iam.IGrantable & { role?: iam.IRole }): void {
    const objects = this.bucket.arnForObjects("*");
    iam.Grant.addToPrincipal({
      grantee,
      actions: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
      resourceArns: [objects],
    });
    iam.Grant.addToPrincipal({ grantee, actions: ["s3:ListBucket"], resourceArns: [this.bucket.bucketArn] });
    if (!grantee.role) throw new Error("grantReadWriteAudio needs a function with an execution role");
    acknowledgeWildcardResource(
      grantee.role,
      objects,
      "Debug audio keys are derived from tenant, project, session and message ids at run time; the wildcard is " +
        "confined to the debug-audio bucket.",
    );
  }
}
