import type { S3Client } from "@aws-sdk/client-s3";
import type { DebugAudioStore } from "../../domain/sessions/audio.js";
import { ENV, optionalEnv, requiredEnv } from "../../kernel/config.js";

/**
 * The S3 client and the presigner are imported on first use, not at module load: debug audio is a debug
 * feature of a few routes (a message posted with debug audio, its download link, a session's deletion), and
 * the S3 SDK is the heaviest the HTTP API would load (~30 ms of CPU at its cold start, after DynamoDB). The
 * first such request of an instance pays that import instead. (A dynamic import of the package itself: the
 * bundle keeps it dynamic, while a static SDK import anywhere in the bundle is loaded at module load.)
 */
async function loadSdk() {
  const [s3, presigner] = await Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/s3-request-presigner")]);
  return { s3, presigner };
}
type Sdk = Awaited<ReturnType<typeof loadSdk>>;

/**
 * Debug audio in S3. The endpoint comes from the standard AWS configuration (AWS_ENDPOINT_URL_S3 locally);
 * `forcePathStyle` addresses the bucket by path, which S3-compatible stores on one machine need.
 */
export class S3DebugAudioStore implements DebugAudioStore {
  private ready: Promise<Sdk & { client: S3Client }> | undefined;

  constructor(
    private readonly bucket: string,
    private readonly options: { forcePathStyle?: boolean; client?: S3Client } = {},
  ) {}

  private sdk(): Promise<Sdk & { client: S3Client }> {
    return (this.ready ??= loadSdk().then((sdk) => ({
      ...sdk,
      client: this.options.client ?? new sdk.s3.S3Client({ forcePathStyle: this.options.forcePathStyle ?? false }),
    })));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const { s3, client } = await this.sdk();
    await client.send(
      new s3.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: "audio/wav" }),
    );
  }

  async downloadUrl(key: string, expiresInSeconds: number): Promise<string> {
    const { s3, presigner, client } = await this.sdk();
    return presigner.getSignedUrl(
      client,
      new s3.GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: "audio/wav" }),
      { expiresIn: expiresInSeconds },
    );
  }

  async deletePrefix(prefix: string): Promise<number> {
    const { s3, client } = await this.sdk();
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await client.send(
        new s3.ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token && { ContinuationToken: token }),
        }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) {
        await client.send(new s3.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }
}

export function debugAudioFromEnv(): S3DebugAudioStore {
  return new S3DebugAudioStore(requiredEnv(ENV.debugAudioBucket), {
    forcePathStyle: optionalEnv(ENV.s3ForcePathStyle, "false") === "true",
  });
}
