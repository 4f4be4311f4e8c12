/**
 * The API reference page (Swagger UI rendering the OpenAPI document), defined once: the files it is made of,
 * by their name under /docs/, with the content type and caching each is served with. The stack copies them
 * next to the `docs` function's bundle (infra/constructs/docs.ts), the local runtime serves the same names
 * from the repository (local/dev/site.ts), and `npm run docs:build` writes them for a static host.
 * Everything here is text, so API Gateway passes it through without binary media types.
 */
export const DOCS_PAGE = {
  "index.html": { type: "text/html; charset=utf-8", cache: "revalidate" },
  "docs.js": { type: "text/javascript; charset=utf-8", cache: "revalidate" },
  "docs.css": { type: "text/css; charset=utf-8", cache: "revalidate" },
  "favicon.svg": { type: "image/svg+xml", cache: "revalidate" },
  // Swagger UI, from the swagger-ui-dist package: large and unversioned by name, so cached for an hour
  // and revalidated by ETag after.
  "swagger-ui-bundle.js": { type: "text/javascript; charset=utf-8", cache: "hour" },
  "swagger-ui.css": { type: "text/css; charset=utf-8", cache: "hour" },
  /** Generated from the route table; its `servers` is set per request to the URL the page was reached at. */
  "openapi.json": { type: "application/json; charset=utf-8", cache: "revalidate" },
} as const satisfies Record<string, { type: string; cache: "revalidate" | "hour" }>;

export type DocsFileName = keyof typeof DOCS_PAGE;

/** The page itself, served for /docs/. */
export const DOCS_INDEX = "index.html" satisfies DocsFileName;

/** The generated file; every other one is copied as it is. */
export const DOCS_OPENAPI = "openapi.json" satisfies DocsFileName;

/** `name` when it is one of the page's files (an allow-list: nothing else is ever read). */
export function docsFileName(name: string): DocsFileName | undefined {
  return Object.hasOwn(DOCS_PAGE, name) ? (name as DocsFileName) : undefined;
}

export const DOCS_CACHE_CONTROL = {
  revalidate: "no-cache",
  hour: "public, max-age=3600",
} as const;

/** What every answer of the page carries: nothing loads from elsewhere, no framing, no referrer. */
export const DOCS_SECURITY_HEADERS = {
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  // Swagger UI sets style attributes; nothing else is inline, and nothing is fetched from elsewhere.
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
} as const;
