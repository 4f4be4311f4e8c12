import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openApiDocument } from "../shared/app/http/openapi.js";
import { DOCS_SOURCES } from "../local/dev/docs-sources.js";

/**
 * `npm run docs:build -- --server-url https://<api>.execute-api.<region>.amazonaws.com/prod --out DIR`:
 * the API reference as static files (the page `npm start` serves at /docs/, Swagger UI from the package,
 * and the OpenAPI document naming the deployment), for any static host (an S3 website, GitHub Pages).
 * The API's stage URL is the stack's `ApiUrl` output.
 */
const { values } = parseArgs({ options: { "server-url": { type: "string" }, out: { type: "string" } } });
const serverUrl = values["server-url"];
if (!serverUrl || !/^https?:\/\/[^/\s]+/.test(serverUrl) || !values.out) {
  process.stderr.write("Usage: npm run docs:build -- --server-url https://<your API's stage URL> --out <folder>\n");
  process.exit(2);
}
const out = resolve(values.out);
mkdirSync(out, { recursive: true });
// The page loads ./openapi.json beside it, as the deployed docs function serves it.
for (const [name, source] of Object.entries(DOCS_SOURCES)) copyFileSync(source, join(out, name));
writeFileSync(join(out, "openapi.json"), JSON.stringify(openApiDocument(serverUrl), null, 2));
process.stdout.write(`API reference written to ${values.out}/ (open index.html through a web server)\n`);
