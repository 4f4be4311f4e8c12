import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { packSdk } from "../../scripts/pack-sdk.js";
import { progress, type Report } from "../lib/report.js";

/**
 * What the SDK costs a user: each browser entry bundled as a web app would (esbuild, ESM, minified,
 * platform browser, tree-shaken from the package's entry), its bytes and gzip bytes against a budget, and the
 * npm package's packed and unpacked size (`npm pack --dry-run`, whose prepack builds dist/).
 */
export interface SdkSizeOptions {
  root: string;
}

/** Budgets for a minified, gzipped browser bundle of each entry. */
const GZIP_BUDGET_BYTES: Record<string, number> = { "sdk/src/index.ts": 16 * 1024, "sdk/src/bot.ts": 8 * 1024 };

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export async function sdkSizeSuite(report: Report, options: SdkSizeOptions): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  const figures: Record<string, unknown> = {};
  for (const [entry, budget] of Object.entries(GZIP_BUDGET_BYTES)) {
    progress(`bundling ${entry} for the browser…`);
    const result = await build({
      entryPoints: [join(options.root, entry)],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      minify: true,
      write: false,
      logLevel: "silent",
    });
    const code = result.outputFiles[0]!.contents;
    const gzip = gzipSync(code, { level: 9 }).length;
    rows.push([entry, kib(code.length), kib(gzip), kib(budget), gzip <= budget ? "yes" : "NO"]);
    figures[entry] = { bytes: code.length, gzipBytes: gzip, gzipBudgetBytes: budget };
    report.goal(`SDK browser bundle ${entry} (min + gzip)`, `≤ ${kib(budget)}`, kib(gzip), gzip <= budget);
  }
  progress("packing the SDK (npm pack --dry-run)…");
  const pack = await packSdk({ dryRun: true });
  const files = pack.files.length;
  report.check(files > 0, "npm pack listed no files for the SDK");
  figures.package = { size: pack.size, unpackedSize: pack.unpackedSize, files };
  report.data.sdkSize = figures;
  report.table({
    title: "SDK size: browser bundles (esbuild, ESM, minified) and the npm package",
    columns: ["what", "minified", "gzip", "gzip budget", "within"],
    rows: [...rows, ["npm package (packed tarball / unpacked)", kib(pack.unpackedSize), kib(pack.size), "", ""]],
    notes: [
      `the package holds ${files} files: dist/ (ESM + .d.ts + maps), src/ and README.md; no runtime dependencies`,
    ],
  });
}
