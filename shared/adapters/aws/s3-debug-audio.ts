import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { DebugAudioStore } from "../../domain/sessions/audio.js";

/**
 * Debug audio in S3. The endpoint comes from the standard AWS configuration (AWS_ENDPOINT_URL_S3 locally);
 * `forcePathStyle` addresses the bucket by path, which S3-compatible stores on one machine need.
 */
export class S3DebugAudioStore implements DebugAudioStore {
  private readonly client: S3Client;

  constructor(
    private readonly bucket: string,
    options: { forcePathStyle?: boolean; client?: S3Client } = {},
  ) {
    this.client = options.client ?? new S3Client({ forcePathStyle: options.forcePathStyle ?? false });
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: "audio/wav" }),
    );
  }

  downloadUrl(key: string, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({ Bucket: this.bucket, Key: key, ResponseContentType: "audio/wav" }),
      { expiresIn: expiresInSeconds },
    );
  }

  async deletePrefix(prefix: string): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token && { ContinuationToken: token }) }),
      );
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) {
        await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        );
        deleted += keys.length;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }
}
