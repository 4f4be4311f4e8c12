import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openApiDocument } from "../shared/app/http/openapi.js";

/**
 * `npm run lint`'s OpenAPI step: writes the generated document (as a deployment serves it, with a stage URL
 * in `servers`) to a temporary file and lints it with Redocly CLI's recommended rules (redocly.yaml), offline:
 * no telemetry, no update check. Exits non-zero on any problem, warnings included.
 */
const dir = mkdtempSync(join(tmpdir(), "cortex-openapi-"));
try {
  const file = join(dir, "openapi.json");
  writeFileSync(
    file,
    JSON.stringify(openApiDocument("https://abc123defg.execute-api.us-east-1.amazonaws.com/prod"), null, 2),
  );
  const cli = fileURLToPath(new URL("../node_modules/@redocly/cli/bin/cli.js", import.meta.url));
  const config = fileURLToPath(new URL("../redocly.yaml", import.meta.url));
  const result = spawnSync(
    process.execPath,
    [cli, "lint", "openapi.json", "--config", config, "--format", "stylish", "--max-problems", "50"],
    {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
      encoding: "utf8",
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", CI: "true" },
    },
  );
  const output = result.stdout + result.stderr;
  const clean = result.status === 0 && !/\bwarning\b/.test(output);
  if (!clean) {
    process.stderr.write(output);
    process.stderr.write("\nThe OpenAPI document (shared/app/http/openapi.ts) does not pass the linter.\n");
    process.exitCode = 1;
  } else {
    process.stdout.write("OpenAPI document: valid (Redocly recommended rules, no warnings)\n");
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
