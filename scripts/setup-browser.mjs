#!/usr/bin/env node
/**
 * Makes sure the headless browser the browser e2e tests drive is installed: Debian's `chromium` at
 * /usr/bin/chromium (playwright-core drives it; Playwright's own browser downloads are never used).
 * Idempotent and instant when it is already there; installs it with apt-get when running as root;
 * otherwise says how to install it and exits non-zero.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";

function works() {
  if (!existsSync(CHROMIUM)) return false;
  const probe = spawnSync(CHROMIUM, ["--version"], { encoding: "utf8", timeout: 30_000 });
  return probe.status === 0;
}

if (works()) process.exit(0);

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
if (!isRoot) {
  process.stderr.write(
    `The browser tests need Debian's chromium at ${CHROMIUM}. Install it with:\n\n` +
      `  sudo apt-get update && sudo apt-get install -y chromium\n\n`,
  );
  process.exit(1);
}

process.stderr.write(`Installing chromium (for the browser tests) with apt-get…\n`);
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
for (const args of [["update"], ["install", "-y", "--no-install-recommends", "chromium"]]) {
  const run = spawnSync("apt-get", args, { stdio: ["ignore", "inherit", "inherit"], env });
  if (run.status !== 0) {
    process.stderr.write(`apt-get ${args.join(" ")} failed (exit ${run.status ?? run.signal}).\n`);
    process.exit(1);
  }
}
if (!works()) {
  process.stderr.write(`chromium was installed but ${CHROMIUM} --version does not run.\n`);
  process.exit(1);
}
process.stderr.write(`chromium is ready at ${CHROMIUM}.\n`);
