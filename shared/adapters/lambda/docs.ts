import { createHash } from "node:crypto";
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from "aws-lambda";
import { baseUrlOf } from "./base-url.js";
import { onTrigger } from "./kit.js";
import {
  DOCS_CACHE_CONTROL,
  DOCS_INDEX,
  DOCS_OPENAPI,
  DOCS_PAGE,
  DOCS_SECURITY_HEADERS,
  docsFileName,
  type DocsFileName,
} from "../../app/http/docs-page.js";
import { PROBLEM_CONTENT_TYPE } from "../../app/http/gateway-responses.js";
import { toProblem } from "../../app/http/problem.js";
import { MethodNotAllowedError, NotFoundError, type DomainError } from "../../kernel/errors.js";

/** Reads one of the page's files (the allow-list guarantees `name` is one of DOCS_PAGE's keys). */
export type ReadDocsFile = (name: DocsFileName) => Promise<Buffer>;

interface Served {
  body: string;
  etag: string;
}

const problem = (error: DomainError, event: APIGatewayProxyEvent, extra: Record<string, string> = {}) => ({
  statusCode: error.status,
  headers: { ...DOCS_SECURITY_HEADERS, "Content-Type": PROBLEM_CONTENT_TYPE, ...extra },
  body: JSON.stringify(toProblem(error, event.path)),
});

const etagOf = (body: string) => `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;

/**
 * The API reference at /docs/ (routes `GET /docs` and `GET /docs/{file}`, no API key): the page's files
 * (DOCS_PAGE, an allow-list) as `read` gives them, with their content type, cache policy and ETag, and the
 * OpenAPI document with `servers` naming the URL the page was reached at (the stage URL on AWS). `/docs`
 * redirects to `/docs/`, so the page's relative links resolve under it. Files are read once per container.
 */
export function docsHandler(read: ReadDocsFile) {
  const files = new Map<DocsFileName, Promise<string>>();
  const text = (name: DocsFileName) => {
    let file = files.get(name);
    if (!file) {
      file = read(name).then((b) => b.toString("utf8"));
      // A failed read is not remembered: the next request tries again.
      file.catch(() => files.delete(name));
      files.set(name, file);
    }
    return file;
  };
  // One rendering of the document per base URL (a deployment is reached at one or two).
  const documents = new Map<string, Served>();
  const served = async (name: DocsFileName, baseUrl: string | undefined): Promise<Served> => {
    if (name !== DOCS_OPENAPI) {
      const body = await text(name);
      return { body, etag: etagOf(body) };
    }
    const key = baseUrl ?? "";
    const known = documents.get(key);
    if (known) return known;
    const document = JSON.parse(await text(name)) as Record<string, unknown>;
    const body = JSON.stringify(
      baseUrl ? { ...document, servers: [{ url: baseUrl, description: "This deployment" }] } : document,
    );
    const rendered = { body, etag: etagOf(body) };
    if (documents.size < 8) documents.set(key, rendered);
    return rendered;
  };

  return onTrigger<APIGatewayProxyEvent, APIGatewayProxyResult>("docs", async (event) => {
    if (event.httpMethod !== "GET") {
      return problem(new MethodNotAllowedError(`${event.httpMethod} is not allowed here; use GET`), event, {
        Allow: "GET",
      });
    }
    const requested = event.pathParameters?.file;
    if (requested === undefined && !(event.requestContext.path ?? event.path).endsWith("/")) {
      // Relative, so it stays under the stage (or a custom domain's base path): /live/docs → /live/docs/.
      return { statusCode: 302, headers: { Location: "docs/", "Cache-Control": "no-cache" }, body: "" };
    }
    const name = requested === undefined ? DOCS_INDEX : docsFileName(requested);
    if (!name) return problem(new NotFoundError("No such file of the API reference"), event);

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) headers[k.toLowerCase()] = v;
    const { body, etag } = await served(name, baseUrlOf(event, headers));
    const common = { ...DOCS_SECURITY_HEADERS, "Cache-Control": DOCS_CACHE_CONTROL[DOCS_PAGE[name].cache], ETag: etag };
    if (headers["if-none-match"]?.split(/\s*,\s*/).includes(etag))
      return { statusCode: 304, headers: common, body: "" };
    return { statusCode: 200, headers: { ...common, "Content-Type": DOCS_PAGE[name].type }, body };
  });
}
