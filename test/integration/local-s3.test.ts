/**
 * The local S3 (s3rver) behind the real debug-audio adapter and `@aws-sdk/client-s3` v3: what the API
 * stores, a browser downloads through a presigned URL, and a session deletion removes.
 */
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startLocalS3, type LocalS3 } from "../../local/s3.js";
import { S3DebugAudioStore } from "../../shared/adapters/aws/s3-debug-audio.js";
import { makeWav } from "../support/wav.js";

const BUCKET = "cortex-debug-audio";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

describe("local S3", () => {
  const running: LocalS3[] = [];
  const directories: string[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function start(directory?: string) {
    const s3 = await startLocalS3({ buckets: [BUCKET], credentials, ...(directory && { directory }) });
    running.push(s3);
    const client = new S3Client({ endpoint: s3.endpoint, region: "us-east-1", forcePathStyle: true, credentials });
    return { s3, client, store: new S3DebugAudioStore(BUCKET, { client }) };
  }

  it("listens on 127.0.0.1 and round-trips exact bytes through a presigned GET URL, with the audio type", async () => {
    const { s3, store } = await start();
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const wav = makeWav(2);
    await store.put("t/p/sess_1/msg_1.wav", wav);
    const url = await store.downloadUrl("t/p/sess_1/msg_1.wav", 300);
    expect(url).toContain("X-Amz-Signature=");
    // No credentials: a browser follows the URL as it is.
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("audio/wav");
    expect(Buffer.from(await response.arrayBuffer()).equals(wav)).toBe(true);
  });

  it("refuses an expired presigned URL with 403", async () => {
    const { store, client } = await start();
    await store.put("t/p/sess_1/old.wav", makeWav(1));
    // Signed a day ago for a minute: already expired.
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: "t/p/sess_1/old.wav" }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 86_400_000),
    });
    expect((await fetch(url)).status).toBe(403);
  });

  it("deleting a prefix removes every object under it, past one list page, and nothing else", async () => {
    const { store } = await start();
    const wav = makeWav(1, 0.01);
    for (let i = 0; i < 1005; i++) await store.put(`t/p/sess_big/${String(i).padStart(4, "0")}.wav`, wav);
    await store.put("t/p/sess_other/keep.wav", wav);
    expect(await store.deletePrefix("t/p/sess_big/")).toBe(1005);
    expect(await store.deletePrefix("t/p/sess_big/")).toBe(0);
    const kept = await fetch(await store.downloadUrl("t/p/sess_other/keep.wav", 60));
    expect(kept.status).toBe(200);
  });

  it("with a directory, objects survive a restart; without one, its temporary directory is removed on stop", async () => {
    const directory = mkdtempSync(join(tmpdir(), "cortex-s3-test-"));
    directories.push(directory);
    const first = await start(directory);
    const wav = makeWav(1);
    await first.store.put("t/p/sess_1/kept.wav", wav);
    await first.s3.stop();
    const second = await start(directory);
    const response = await fetch(await second.store.downloadUrl("t/p/sess_1/kept.wav", 60));
    expect(Buffer.from(await response.arrayBuffer()).equals(wav)).toBe(true);

    const throwaway = await start();
    expect(existsSync(throwaway.s3.directory)).toBe(true);
    await throwaway.store.put("t/p/sess_1/gone.wav", wav);
    await throwaway.s3.stop();
    expect(existsSync(throwaway.s3.directory)).toBe(false);
  });
});
