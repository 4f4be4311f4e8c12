import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * `npm pack` of the SDK as a publisher runs it (its `prepack` builds dist/), but on a copy of sdk/ under
 * .cache/, so no dist/ is left in the working tree for the linters and the type check to trip over. The
 * copy sits inside the repository so `prepack` finds the repository's TypeScript, as it does in sdk/.
 */
export interface PackedSdk {
  filename: string;
  /** Where the tarball was written (absent for a dry run). */
  tarball?: string;
  size: number;
  unpackedSize: number;
  files: Array<{ path: string; size: number }>;
}

const ROOT = fileURLToPath(new URL("../", import.meta.url));

export async function packSdk(options: { destination?: string; dryRun?: boolean } = {}): Promise<PackedSdk> {
  const base = join(ROOT, ".cache", "sdk-pack");
  mkdirSync(base, { recursive: true });
  const copy = mkdtempSync(join(base, "sdk-"));
  try {
    cpSync(join(ROOT, "sdk"), copy, { recursive: true, filter: (src) => !/[\\/](dist|node_modules)$/.test(src) });
    const args = ["pack", "--json", ...(options.dryRun ? ["--dry-run"] : [])];
    if (options.destination) args.push("--pack-destination", options.destination);
    const { stdout } = await promisify(execFile)(process.platform === "win32" ? "npm.cmd" : "npm", args, {
      cwd: copy,
      maxBuffer: 16 * 1024 * 1024,
    });
    const packed = (JSON.parse(stdout.slice(stdout.indexOf("["))) as PackedSdk[])[0]!;
    return {
      ...packed,
      ...(!options.dryRun && { tarball: join(options.destination ?? copy, packed.filename) }),
    };
  } finally {
    if (options.destination || options.dryRun) rmSync(copy, { recursive: true, force: true });
  }
}
