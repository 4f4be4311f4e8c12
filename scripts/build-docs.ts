import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { openApiDocument } from "../shared/app/http/openapi.js";
import { DOCS_FILES } from "../local/dev/site.js";

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
for (const [name, file] of Object.entries(DOCS_FILES)) {
  if (name === "") {
    const page = readFileSync(file.path, "utf8").replace(
      '<meta name="openapi-url" content="/v1/openapi.json" />',
      '<meta name="openapi-url" content="./openapi.json" />',
    );
    if (!page.includes('content="./openapi.json"')) throw new Error("the docs page has no openapi-url meta to point");
    writeFileSync(join(out, "index.html"), page);
  } else copyFileSync(file.path, join(out, name));
}
writeFileSync(join(out, "openapi.json"), JSON.stringify(openApiDocument(serverUrl), null, 2));
process.stdout.write(`API reference written to ${values.out}/ (open index.html through a web server)\n`);
