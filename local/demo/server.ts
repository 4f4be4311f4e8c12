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
