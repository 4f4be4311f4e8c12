import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";

/**
 * The live demo pages, served by the local API server under /demo/ (the `extra` hook of
 * local/api/server.ts): the lobby and the session page, their scripts and styles, and a browser build of
 * the SDK bundled by esbuild on first request (then cached). Everything else is left to the API.
 */
const PAGES: Record<string, { file: string; type: string }> = {
  "/demo/page.js": { file: "page.js", type: "text/javascript; charset=utf-8" },
  "/demo/lobby": { file: "lobby.html", type: "text/html; charset=utf-8" },
  "/demo/lobby.js": { file: "lobby.js", type: "text/javascript; charset=utf-8" },
  "/demo/lobby.css": { file: "lobby.css", type: "text/css; charset=utf-8" },
  "/demo/session": { file: "session.html", type: "text/html; charset=utf-8" },
  "/demo/session.js": { file: "session.js", type: "text/javascript; charset=utf-8" },
  "/demo/session.css": { file: "session.css", type: "text/css; charset=utf-8" },
};

const SECURITY_HEADERS = {
  // The pages take an API key in their URL: never leak it in a Referer, never cache the page.
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export interface DemoOptions {
  /** The SDK's entry point (default: sdk/src/index.ts of this repository). */
  sdkEntry?: string;
  /**
   * Mints a participant token with the dev key on a player's behalf (`POST /demo/token`), so the lobby page
   * never holds the key: the game server's job, played by the local runtime. Absent: no such endpoint.
   */
  mintToken?: (projectId: string, participantId: string) => Promise<{ status: number; body: unknown }>;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export function demoRoutes(options: DemoOptions = {}): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  const sdkEntry = options.sdkEntry ?? here("../../sdk/src/index.ts");
  let bundle: Promise<string> | undefined;

  const sdkBundle = () =>
    (bundle ??= (async () => {
      const { build } = await import("esbuild");
      const result = await build({
        entryPoints: [sdkEntry],
        bundle: true,
        format: "esm",
        // The browser build: esbuild refuses any Node-only import, so this also guards the SDK's browser path.
        platform: "browser",
        target: ["es2022"],
        write: false,
        legalComments: "none",
        logLevel: "silent",
      });
      return result.outputFiles[0]!.text;
    })().catch((error: unknown) => {
      bundle = undefined; // retry on the next request
      throw error;
    }));

  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (path !== "/demo" && !path.startsWith("/demo/")) return false;
    if (path === "/demo/token" && req.method === "POST" && options.mintToken) {
      await mintForPage(req, res, options.mintToken);
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res
        .writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" })
        .end("Method not allowed\n");
      return true;
    }
    if (path === "/demo" || path === "/demo/") {
      res.writeHead(302, { Location: "/demo/lobby" }).end();
      return true;
    }
    try {
      let body: string;
      let type: string;
      if (path === "/demo/sdk.js") {
        body = await sdkBundle();
        type = "text/javascript; charset=utf-8";
      } else {
        const page = PAGES[path];
        if (!page) {
          res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not found\n");
          return true;
        }
        body = await readFile(here(`./${page.file}`), "utf8");
        type = page.type;
      }
      res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch (error) {
      res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`The demo could not be served: ${(error as Error).message}\n`);
    }
    return true;
  };
}

/** `POST /demo/token {projectId, participantId}` → the API's answer to minting, passed through. */
async function mintForPage(
  req: IncomingMessage,
  res: ServerResponse,
  mint: NonNullable<DemoOptions["mintToken"]>,
): Promise<void> {
  const problem = (detail: string): void => {
    res
      .writeHead(400, { "Content-Type": "application/problem+json", "Cache-Control": "no-store" })
      .end(
        JSON.stringify({ type: "about:blank", title: "Bad request", status: 400, code: "validation_failed", detail }),
      );
  };
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 4096) return problem("The body is too large");
    chunks.push(chunk as Buffer);
  }
  let body: { projectId?: unknown; participantId?: unknown };
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
  } catch {
    return problem("Send {projectId, participantId} as JSON");
  }
  if (typeof body?.projectId !== "string" || typeof body.participantId !== "string") {
    return problem("Send {projectId, participantId} as JSON");
  }
  // The API validates both (an invalid id is its 400, a 404 for a project id it cannot use).
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(body.projectId)) return problem("projectId is not a project id");
  const minted = await mint(body.projectId, body.participantId);
  const type = minted.status >= 400 ? "application/problem+json" : "application/json";
  res.writeHead(minted.status, { "Content-Type": type, "Cache-Control": "no-store" }).end(JSON.stringify(minted.body));
}
