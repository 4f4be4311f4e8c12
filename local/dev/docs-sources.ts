import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DOCS_OPENAPI, DocsFileName } from "../../shared/app/http/docs-page.js";

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const swaggerDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/**
 * Where each file of the API reference (DOCS_PAGE) comes from: this repository's page (./docs/) or the
 * swagger-ui-dist package (nothing from a CDN). The OpenAPI document is generated, not copied. Read by the
 * local runtime (local/dev/site.ts), the stack (infra/constructs/docs.ts) and `npm run docs:build`.
 */
export const DOCS_SOURCES: Record<Exclude<DocsFileName, typeof DOCS_OPENAPI>, string> = {
  "index.html": here("./docs/index.html"),
  "docs.js": here("./docs/docs.js"),
  "docs.css": here("./docs/docs.css"),
  "favicon.svg": here("./docs/favicon.svg"),
  "swagger-ui-bundle.js": join(swaggerDir, "swagger-ui-bundle.js"),
  "swagger-ui.css": join(swaggerDir, "swagger-ui.css"),
};
