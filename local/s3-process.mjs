// The local S3's own process (started by local/s3.ts, with OpenSSL's legacy provider): s3rver on
// 127.0.0.1. It reports its port over IPC, stops on "stop", and exits when its parent goes away.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const S3rver = require("s3rver");
// s3rver knows one access key ("S3RVER") unless told of others through its account registry.
const { DUMMY_ACCOUNT } = require("s3rver/lib/models/account");

const { directory, buckets, accessKeyId, secretAccessKey } = JSON.parse(process.argv[2]);
DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});

let closing;
const stop = () => (closing ??= server.close().finally(() => process.exit(0)));
process.on("message", (message) => message === "stop" && void stop());
process.on("disconnect", () => void stop());

try {
  const { port } = await server.run();
  process.send({ port });
} catch (error) {
  process.send({ error: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}
