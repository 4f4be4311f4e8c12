import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { docsHandler } from "../../shared/adapters/lambda/docs.js";
import { DOCS_OPENAPI, DOCS_SECURITY_HEADERS } from "../../shared/app/http/docs-page.js";
import { openApiDocument } from "../../shared/app/http/openapi.js";
import { API_STAGE_NAME } from "../../shared/kernel/config.js";
import { functionConfig, invokeLambda } from "../lambda.js";
import { DOCS_SOURCES } from "./docs-sources.js";

/**
 * The local runtime's own pages, outside the API (the `extra` hook of local/api/server.ts): a landing page
 * at `/` linking the demo pages, the API reference, the OpenAPI document, the email inbox and the health
 * report; and the API reference at `/docs`, served by the deployed function (functions/docs.ts) from the
 * repository's files (./docs-sources.ts) instead of its bundle's folder.
 */
export interface SiteOptions {
  inboxUrl: string;
  /** Bound user functions, listed on the landing page. */
  userFunctions: Array<{ exportName: string; eventType: string }>;
}

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
<title>Cortex — local</title><link rel="icon" type="image/svg+xml" href="/docs/favicon.svg">
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

/** The docs function, reading the files where they are in the repository (and the document as it is now). */
const readDocsFile = async (name: keyof typeof DOCS_SOURCES | typeof DOCS_OPENAPI): Promise<Buffer> =>
  name === DOCS_OPENAPI ? Buffer.from(JSON.stringify(openApiDocument())) : readFile(DOCS_SOURCES[name]);

/** The proxy event API Gateway sends for `GET /docs` and `GET /docs/{file}` (one path segment). */
function docsEvent(req: IncomingMessage, path: string): APIGatewayProxyEvent {
  const rest = path.slice("/docs/".length);
  let file: string | undefined;
  try {
    file = path.startsWith("/docs/") && rest !== "" ? decodeURIComponent(rest) : undefined;
  } catch {
    file = rest;
  }
  const headers: Record<string, string> = { "X-Forwarded-Proto": "http" };
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]!] = req.rawHeaders[i + 1]!;
  return {
    resource: file === undefined ? "/docs" : "/docs/{file}",
    path,
    httpMethod: req.method ?? "GET",
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: file === undefined ? null : { file },
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      domainName: req.headers.host,
      path,
      httpMethod: req.method ?? "GET",
      stage: API_STAGE_NAME,
    } as APIGatewayProxyEvent["requestContext"],
  };
}

export function siteRoutes(options: SiteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const docs = path === "/docs" || path.startsWith("/docs/");
    if (path !== "/" && !docs) return false;
    if (docs) {
      // A handler per request: the files and the document as they are now (npm run dev edits them).
      const result = await invokeLambda(docsHandler(readDocsFile), docsEvent(req, path), functionConfig("docs"));
      res.writeHead(result.statusCode, result.headers as Record<string, string>);
      res.end(result.body);
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res
        .writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" })
        .end("Method not allowed\n");
      return true;
    }
    const body = landingPage(options);
    res.writeHead(200, {
      ...DOCS_SECURITY_HEADERS,
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}
