import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The local runtime's own pages, outside the API (the `extra` hook of local/api/server.ts): a landing page
 * at `/` linking the demo pages, the API reference, the OpenAPI document, the email inbox and the health
 * report; and the API reference at `/docs`, Swagger UI from the swagger-ui-dist package (no CDN) rendering
 * `/v1/openapi.json`. `npm run docs:build` writes the same page as static files for a deployment.
 */
export interface SiteOptions {
  inboxUrl: string;
  /** Bound user functions, listed on the landing page. */
  userFunctions: Array<{ exportName: string; eventType: string }>;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const swaggerDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** The files of the API reference, by name under /docs/: from this folder or the swagger-ui-dist package. */
export const DOCS_FILES: Record<string, { path: string; type: string }> = {
  "": { path: here("./docs/index.html"), type: "text/html; charset=utf-8" },
  "docs.js": { path: here("./docs/docs.js"), type: "text/javascript; charset=utf-8" },
  "docs.css": { path: here("./docs/docs.css"), type: "text/css; charset=utf-8" },
  "swagger-ui-bundle.js": { path: join(swaggerDir, "swagger-ui-bundle.js"), type: "text/javascript; charset=utf-8" },
  "swagger-ui.css": { path: join(swaggerDir, "swagger-ui.css"), type: "text/css; charset=utf-8" },
  "favicon-32x32.png": { path: join(swaggerDir, "favicon-32x32.png"), type: "image/png" },
};

const HEADERS = {
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  // Swagger UI sets style attributes; nothing else is inline, and nothing is fetched from elsewhere.
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function landingPage(options: SiteOptions): string {
  const link = (href: string, label: string, note: string) =>
    `<li><a href="${escape(href)}">${escape(label)}</a> — ${escape(note)}</li>`;
  const functions =
    options.userFunctions.length === 0
      ? "<p>No user functions are bound (export <code>onGatheringCreated</code> and the like from user-functions/index.ts).</p>"
      : `<ul>${options.userFunctions
          .map((f) => `<li><code>${escape(f.exportName)}</code> on <code>${escape(f.eventType)}</code></li>`)
          .join("")}</ul>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cortex — local</title><link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/docs.css"></head>
<body><main class="loading">
<h1>Cortex gatherings backend — local</h1>
<ul>
${link("/demo/lobby", "Lobby demo", "a live lobby (the terminal's banner prints this link with your API key)")}
${link("/demo/session", "Session demo", "a live transcribed session")}
${link("/docs", "API reference", "every route, the events (webhooks) and their payloads")}
${link("/v1/openapi.json", "OpenAPI document", "for client generators")}
${link(options.inboxUrl, "Email inbox", "what the local SES sent (invitations, summaries)")}
${link("/health", "Health", "dead letters and stream failures")}
</ul>
<h2>User functions</h2>
${functions}
</main></body></html>
`;
}

export function siteRoutes(options: SiteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const docs = path === "/docs" || path.startsWith("/docs/");
    if (path !== "/" && !docs) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res
        .writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" })
        .end("Method not allowed\n");
      return true;
    }
    // /docs/ would resolve the page's relative links under /docs/, /docs under /: one canonical address.
    if (path === "/docs") {
      res.writeHead(302, { Location: "/docs/" }).end();
      return true;
    }
    let body: Buffer | string;
    let type: string;
    if (path === "/") {
      body = landingPage(options);
      type = "text/html; charset=utf-8";
    } else {
      const file = DOCS_FILES[path.slice("/docs/".length)];
      if (!file) {
        res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not found\n");
        return true;
      }
      body = await readFile(file.path);
      type = file.type;
    }
    res.writeHead(200, { ...HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}
