/**
 * A bot STAND-IN for demos and tests: it plays a scripted meeting into a session through the bot API, as
 * the transcription bot would — it does not listen to any room.
 *
 *   npm run bot -- --session <id> [--script scripts/bot/standup.json] [--project demo] [--api URL] [--speed 1]
 *
 * Key: $CORTEX_BOT_KEY, or .data/dev-bot-key (written by `npm start`). API: --api, $CORTEX_API_URL, or
 * http://127.0.0.1:3000. The script format is described in scripts/bot/script.ts and the README.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CortexBot } from "../sdk/src/bot.js";
import { CortexError } from "../sdk/src/errors.js";
import { PlayError, playScript } from "./bot/player.js";
import { loadScript, scriptMs, ScriptError } from "./bot/script.js";

const PREFIX = "[bot stand-in]";
const BANNER = "Cortex bot STAND-IN — plays a script, does not listen to any room";
const DEFAULT_SCRIPT = "scripts/bot/standup.json";
const DEV_KEY_FILE = ".data/dev-bot-key";

const usage = `${BANNER}

Usage: npm run bot -- --session <id> [--script <file>] [--project <id>] [--api <url>] [--speed <factor>]

  --session ID   the session to play into (it must have a join command: autoStart, or session.start())
  --script FILE  the meeting to play (default ${DEFAULT_SCRIPT})
  --project ID   the session's project (default demo)
  --api URL      the API (default $CORTEX_API_URL or http://127.0.0.1:3000)
  --speed N      play N times faster (default 1: people speak at 150 words a minute)

The bot key comes from $CORTEX_BOT_KEY, or ${DEV_KEY_FILE} (written by npm start).
`;

const fail = (message: string, code = 1): never => {
  process.stderr.write(`${PREFIX} ${message}\n`);
  process.exit(code);
};

let values;
try {
  ({ values } = parseArgs({
    options: {
      session: { type: "string" },
      script: { type: "string", default: DEFAULT_SCRIPT },
      project: { type: "string", default: "demo" },
      api: { type: "string" },
      speed: { type: "string", default: "1" },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  fail(`${(error as Error).message}\n\n${usage}`, 2);
}
if (values!.help) {
  process.stdout.write(usage);
  process.exit(0);
}
const { session: sessionId, script: scriptFile, project, speed: speedText } = values!;
const apiUrl = values!.api ?? process.env.CORTEX_API_URL ?? "http://127.0.0.1:3000";
if (!sessionId) fail(`--session is required\n\n${usage}`, 2);
const speed = Number(speedText);
if (!Number.isFinite(speed) || speed <= 0) fail(`--speed must be a number above 0 (got ${speedText})`, 2);

// The script is checked whole before anything is sent.
let script;
try {
  script = loadScript(scriptFile!);
} catch (error) {
  if (error instanceof ScriptError) fail(error.message, 2);
  throw error;
}

function botKey(): string {
  if (process.env.CORTEX_BOT_KEY) return process.env.CORTEX_BOT_KEY;
  try {
    const key = readFileSync(DEV_KEY_FILE, "utf8").trim();
    if (key) return key;
  } catch {
    // Reported below.
  }
  return fail(
    `no bot key: set CORTEX_BOT_KEY, or start the local runtime (npm start), which writes ${DEV_KEY_FILE} ` +
      `and prints "Bot key …" in its banner`,
    2,
  );
}

const bot = new CortexBot({ baseUrl: apiUrl, botKey: botKey() });
const minutes = scriptMs(script!, speed) / 60_000;
process.stdout.write(`
  ${BANNER}

  Session   ${sessionId} (project ${project}) at ${apiUrl}
  Script    ${scriptFile} — "${script!.title}", ${script!.participants.length} participants, ${script!.timeline.length} steps
  Length    about ${minutes < 1 ? `${Math.round(minutes * 60)} s` : `${minutes.toFixed(1)} min`} at speed ${speed}

`);

const log = (line: string) => process.stdout.write(`${PREFIX} ${line}\n`);
const interrupt = new AbortController();
process.on("SIGINT", () => {
  if (interrupt.signal.aborted) process.exit(130);
  log("Ctrl-C: leaving the room (Ctrl-C again quits at once)");
  interrupt.abort();
});

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      interrupt.signal.removeEventListener("abort", done);
      resolve();
    }
    interrupt.signal.addEventListener("abort", done, { once: true });
  });

try {
  const outcome = await playScript(
    script!,
    bot.session(project!, sessionId!),
    { sleep, now: () => new Date(), log, signal: interrupt.signal },
    { speed },
  );
  log(
    outcome === "finished" ? "done" : outcome === "stopped" ? "done (the session was stopped)" : "done (interrupted)",
  );
} catch (error) {
  if (error instanceof PlayError) fail(error.message);
  if (error instanceof CortexError) fail(explain(error));
  throw error;
}

function explain(error: CortexError): string {
  if (error.status === 0) return `cannot reach the API at ${apiUrl} (${error.message}) — is npm start running?`;
  if (error.status === 401) return `the bot key was refused (401): ${error.message}`;
  if (error.status === 403) return `this key may not use the bot API (403) — is it a bot key? ${error.message}`;
  if (error.status === 404)
    return `session ${sessionId} not found in project ${project} (404) — check --session and --project`;
  return `${error.status} ${error.code}: ${error.message}`;
}
