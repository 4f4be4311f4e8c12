import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { packSdk, type PackedSdk } from "../../scripts/pack-sdk.js";
import { describeSeedSamples } from "../support/seed-sample-tests.js";

/**
 * The SDK as a user gets it: `npm pack` in sdk/ (its prepack builds dist/ with types), the tarball installed
 * into a scratch project, and the seeds' samples run there with only their import line changed — to the
 * package's name.
 */
const run = promisify(execFile);
const sdkDir = fileURLToPath(new URL("../../sdk/", import.meta.url));
const samplesDir = fileURLToPath(new URL("../support/seeds/", import.meta.url));
const packageName = JSON.parse(readFileSync(join(sdkDir, "package.json"), "utf8")).name as string;
const scratch = mkdtempSync(join(tmpdir(), "cortex-sdk-package-"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

let packed: PackedSdk | undefined;

async function packAndInstall(): Promise<void> {
  packed = await packSdk({ destination: scratch });
  console.info(
    `${packed.filename}: ${(packed.size / 1024).toFixed(1)} KiB packed, ` +
      `${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.files.length} files`,
  );
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  await run(
    npm,
    ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", join(scratch, packed.filename)],
    { cwd: scratch },
  );
  // The samples, with the import line pointing at the package instead of the repository's source.
  for (const file of readdirSync(samplesDir).filter((f) => /^[a-z-]+\.ts$/.test(f) && f !== "run-sample.ts")) {
    const source = readFileSync(join(samplesDir, file), "utf8");
    const rewritten = source.replace(/from "\.\.\/\.\.\/\.\.\/sdk\/src\/index\.js";/, `from "${packageName}";`);
    expect(rewritten, file).not.toBe(source);
    writeFileSync(join(scratch, file), rewritten);
  }
  copyFileSync(join(samplesDir, "globals.d.ts"), join(scratch, "globals.d.ts"));
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the packed SDK", () => {
  describeSeedSamples({ samplesDir: () => scratch, beforeAll: packAndInstall });

  it("holds the built ESM entry points with their types, and no tests or browser bundles", () => {
    const paths = packed!.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/bot.js"]),
    );
    expect(paths.filter((p) => !/^dist\/[a-z-]+\.(js|d\.ts)$/.test(p))).toEqual(["README.md", "package.json"]);
  });

  it("type-checks a consumer that imports it by name, with the package's own declarations", async () => {
    writeFileSync(
      join(scratch, "consumer.ts"),
      `import { CortexClient, GatheringFullError, CortexError } from "${packageName}";\n` +
        `const client = new CortexClient({ baseUrl: "http://127.0.0.1:1", apiKey: "k" });\n` +
        `const lobby: Promise<{ id: string }> = client.project("p").gatherings.create({ name: "x", type: "lobby" });\n` +
        `const typed: CortexError = new GatheringFullError({ type: "t", title: "t", status: 409, code: "gathering_full" });\n` +
        `void lobby; void typed;\n` +
        `// @ts-expect-error — a wrong gathering type must not type-check against the published declarations\n` +
        `void client.project("p").gatherings.create({ name: "x", type: "party" });\n`,
    );
    writeFileSync(
      join(scratch, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
          lib: ["ES2022", "DOM"],
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = fileURLToPath(new URL("../../node_modules/typescript/bin/tsc", import.meta.url));
    const result = await run(process.execPath, [tsc, "-p", join(scratch, "tsconfig.json")], { cwd: scratch }).catch(
      (error: { stdout: string; code: number }) => error,
    );
    expect("code" in result ? result.stdout : "").toBe("");
  });
});
