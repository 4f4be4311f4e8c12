import { Writable } from "node:stream";
import type { ServerResponse } from "node:http";
import type { HttpResponsePrelude } from "../shared/adapters/lambda/streaming.js";

/**
 * The `awslambda` global of the Lambda Node.js runtime, for the local runtime: `streamifyResponse` marks
 * a handler as streaming, and `HttpResponseStream.from` sends the status and headers before the body —
 * what API Gateway's streaming integration does with the prelude on AWS.
 */
const STREAMING = Symbol.for("cortex.local.streaming");

/** A Lambda response stream over an HTTP response; it is destroyed when the client goes away. */
export class LocalResponseStream extends Writable {
  constructor(private readonly res: ServerResponse) {
    super();
    res.on("close", () => this.destroy());
  }

  setContentType(contentType: string): void {
    if (!this.res.headersSent) this.res.setHeader("Content-Type", contentType);
  }

  sendPrelude(prelude: HttpResponsePrelude): void {
    if (this.res.headersSent) return;
    this.res.writeHead(prelude.statusCode, prelude.headers ?? {});
    this.res.flushHeaders();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.res.headersSent) this.sendPrelude({ statusCode: 200 });
    this.res.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.res.end(callback);
  }
}

export function installAwsLambdaGlobal(): void {
  // The AWS SDK's invoke store creates `globalThis.awslambda = {}` on load: add to it, don't replace it.
  const target = ((globalThis as { awslambda?: object }).awslambda ??= {}) as Record<string, unknown>;
  if (typeof target.streamifyResponse === "function") return;
  const shim = {
    streamifyResponse: (handler: object) => Object.assign(handler, { [STREAMING]: true }),
    HttpResponseStream: {
      from(stream: Writable, prelude: Record<string, unknown>): Writable {
        (stream as LocalResponseStream).sendPrelude(prelude as unknown as HttpResponsePrelude);
        return stream;
      },
    },
  };
  Object.assign(target, shim);
}

export function isStreamingHandler(handler: unknown): boolean {
  return typeof handler === "function" && (handler as unknown as Record<symbol, unknown>)[STREAMING] === true;
}
