import { createServer, request as httpRequest, type Server } from "node:http";
import type { Server as HttpServer } from "node:http";

/**
 * Local SES v2: `aws-ses-v2-local` (with its web inbox) behind a thin front on 127.0.0.1 that behaves
 * like SES's sandbox for one class of recipient: addresses under the reserved `.invalid` TLD (RFC 2606,
 * undeliverable by definition) are refused with `MessageRejected`, as SES refuses unverified recipients.
 * That gives tests and demos a real rejection path through the real SES client; everything else passes
 * through untouched.
 */
export interface LocalSes {
  /** The endpoint the SES client talks to (the front). */
  endpoint: string;
  /** The web inbox (and its JSON store at `${inboxUrl}store`). */
  inboxUrl: string;
  stop(): Promise<void>;
}

async function startInbox(port: number): Promise<HttpServer> {
  const mod = (await import("aws-ses-v2-local")) as unknown as {
    default: ((config: { host: string; port: number }) => Promise<HttpServer>) & { default?: unknown };
  };
  const start = (mod.default.default ?? mod.default) as (config: { host: string; port: number }) => Promise<HttpServer>;
  return start({ host: "127.0.0.1", port });
}

function rejectedRecipient(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as {
      Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
    };
    const all = [
      ...(parsed.Destination?.ToAddresses ?? []),
      ...(parsed.Destination?.CcAddresses ?? []),
      ...(parsed.Destination?.BccAddresses ?? []),
    ];
    return all.find((address) => /\.invalid>?\s*$/i.test(address));
  } catch {
    return undefined;
  }
}

export async function startLocalSes(options: { inboxPort: number; frontPort: number }): Promise<LocalSes> {
  const inbox = await startInbox(options.inboxPort);
  const front: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (
        req.method === "POST" &&
        req.url?.startsWith("/v2/email/outbound-emails") &&
        rejectedRecipient(body.toString())
      ) {
        res.writeHead(400, { "Content-Type": "application/json", "x-amzn-ErrorType": "MessageRejected" });
        res.end(
          JSON.stringify({ message: "Email address is not verified. The following identities failed the check." }),
        );
        return;
      }
      const upstream = httpRequest(
        { host: "127.0.0.1", port: options.inboxPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(options.frontPort, "127.0.0.1", () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${options.frontPort}`,
    inboxUrl: `http://127.0.0.1:${options.inboxPort}/`,
    async stop() {
      front.closeAllConnections();
      await new Promise<void>((r) => front.close(() => r()));
      await new Promise<void>((r) => inbox.close(() => r()));
    },
  };
}
