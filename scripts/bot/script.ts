import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * The bot stand-in's script: who is in the meeting and what happens, in order. JSON:
 *
 *   {
 *     "title": "Daily stand-up",
 *     "participants": [{ "peerId": "ana", "displayName": "Ana", "userId": "u-ana" }],   // userId optional
 *     "timeline": [
 *       { "join": "ana" },                                     // someone enters the room
 *       { "say": "ana", "text": "Morning!", "wav": "a.wav" },  // an utterance; wav optional, relative to the script
 *       { "pause": 2.5 },                                      // seconds of silence
 *       { "leave": "ana" }                                     // someone leaves
 *     ]
 *   }
 *
 * An utterance takes as long as saying its words at 150 words a minute (divided by --speed). Everything
 * is checked before the stand-in talks to the API: each problem names its line and field.
 */

export interface ScriptParticipant {
  peerId: string;
  displayName: string;
  userId?: string;
}

export type ScriptStep =
  | { kind: "join"; peerId: string }
  | { kind: "leave"; peerId: string }
  | { kind: "say"; peerId: string; text: string; wav?: { file: string; bytes: Uint8Array } }
  | { kind: "pause"; seconds: number };

export interface BotScript {
  title: string;
  participants: ScriptParticipant[];
  timeline: ScriptStep[];
}

export interface ScriptProblem {
  /** JSON path of the offending value, e.g. `timeline[7].say`. */
  path: string;
  /** 1-based line in the file (of the value, or of the nearest enclosing one). */
  line: number | undefined;
  message: string;
}

export class ScriptError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ScriptProblem[],
  ) {
    super(
      `${file} is not a valid bot script:\n` +
        problems.map((p) => `  ${p.line ? `line ${p.line}, ` : ""}${p.path || "(the file)"}: ${p.message}`).join("\n"),
    );
    this.name = "ScriptError";
  }
}

/** Speaking pace of the stand-in's participants. */
export const WORDS_PER_MINUTE = 150;
/** Even "Yep." takes a moment. */
const MIN_UTTERANCE_MS = 600;
/** What the bot API accepts (shared/domain/sessions/model.ts). */
const MAX_WAV_BYTES = 3 * 1024 * 1024;
const MAX_TEXT = 20_000;
const MAX_PAUSE_SECONDS = 3600;

/** How long saying `text` takes at 150 words a minute, divided by `speed`. */
export function speakingMs(text: string, speed = 1): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.max(MIN_UTTERANCE_MS, (words * 60_000) / WORDS_PER_MINUTE) / speed;
}

/** How long a step takes to play (joins and leaves are instant). */
export function stepMs(step: ScriptStep, speed = 1): number {
  if (step.kind === "say") return speakingMs(step.text, speed);
  if (step.kind === "pause") return (step.seconds * 1000) / speed;
  return 0;
}

export function scriptMs(script: BotScript, speed = 1): number {
  return script.timeline.reduce((total, step) => total + stepMs(step, speed), 0);
}

type Path = Array<string | number>;
const show = (path: Path) =>
  path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("");
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const ACTIONS = ["join", "leave", "say", "pause"] as const;
const FIELDS: Record<(typeof ACTIONS)[number], readonly string[]> = {
  join: ["join"],
  leave: ["leave"],
  say: ["say", "text", "wav"],
  pause: ["pause"],
};

export interface ParseOptions {
  /** Shown in errors; WAV files are resolved relative to its folder. */
  file: string;
  /** Reads a WAV file (default: from disk). */
  readFile?: (path: string) => Uint8Array;
}

/** Parses and checks a script; throws a ScriptError listing every problem. */
export function parseScript(text: string, options: ParseOptions): BotScript {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const line = /line (\d+)/.exec(detail)?.[1];
    throw new ScriptError(options.file, [
      { path: "", line: line ? Number(line) : undefined, message: `not JSON (${detail})` },
    ]);
  }
  const problems: ScriptProblem[] = [];
  const problem = (path: Path, message: string) =>
    problems.push({ path: show(path), line: lineOf(text, path), message });
  const readFile = options.readFile ?? ((path: string) => readFileSync(path));

  if (!isObject(raw)) throw new ScriptError(options.file, [{ path: "", line: 1, message: "must be a JSON object" }]);
  for (const key of Object.keys(raw)) {
    if (!["title", "participants", "timeline"].includes(key)) {
      problem([key], `unknown field (a script has title, participants, timeline)`);
    }
  }
  const title = raw.title;
  if (typeof title !== "string" || title.trim() === "") problem(["title"], "must be a non-empty string");

  const participants: ScriptParticipant[] = [];
  const byPeer = new Map<string, ScriptParticipant>();
  if (!Array.isArray(raw.participants) || raw.participants.length === 0) {
    problem(["participants"], "must be a non-empty array of { peerId, displayName, userId? }");
  } else {
    raw.participants.forEach((entry: unknown, i: number) => {
      const at: Path = ["participants", i];
      if (!isObject(entry)) return problem(at, "must be an object { peerId, displayName, userId? }");
      for (const key of Object.keys(entry)) {
        if (!["peerId", "displayName", "userId"].includes(key)) {
          problem([...at, key], "unknown field (a participant has peerId, displayName, userId)");
        }
      }
      const { peerId, displayName, userId } = entry;
      const okPeer = checkName(peerId, 128);
      if (okPeer) problem([...at, "peerId"], okPeer);
      const okName = checkName(displayName, 200);
      if (okName) problem([...at, "displayName"], okName);
      const okUser = userId === undefined ? undefined : checkName(userId, 128);
      if (okUser) problem([...at, "userId"], okUser);
      if (okPeer || okName || okUser) return;
      if (byPeer.has(peerId as string)) return problem([...at, "peerId"], `"${String(peerId)}" is listed twice`);
      const participant: ScriptParticipant = {
        peerId: peerId as string,
        displayName: (displayName as string).trim(),
        ...(userId !== undefined && { userId: userId as string }),
      };
      byPeer.set(participant.peerId, participant);
      participants.push(participant);
    });
  }

  const timeline: ScriptStep[] = [];
  const present = new Set<string>();
  const known = () => [...byPeer.keys()].join(", ");
  if (!Array.isArray(raw.timeline) || raw.timeline.length === 0) {
    problem(["timeline"], "must be a non-empty array of steps ({ join }, { leave }, { say, text, wav? }, { pause })");
  } else {
    raw.timeline.forEach((entry: unknown, i: number) => {
      const at: Path = ["timeline", i];
      if (!isObject(entry))
        return problem(at, "must be an object: { join }, { leave }, { say, text, wav? } or { pause }");
      const actions = ACTIONS.filter((action) => action in entry);
      if (actions.length !== 1) {
        return problem(
          at,
          actions.length === 0
            ? `names no action (one of ${ACTIONS.join(", ")})`
            : `names ${actions.join(" and ")}: one action per step`,
        );
      }
      const action = actions[0]!;
      for (const key of Object.keys(entry)) {
        if (!FIELDS[action].includes(key)) {
          problem([...at, key], `unknown field (a ${action} step has ${FIELDS[action].join(", ")})`);
        }
      }
      if (action === "pause") {
        const seconds = entry.pause;
        if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_PAUSE_SECONDS) {
          return problem([...at, "pause"], `must be a number of seconds, more than 0 and at most ${MAX_PAUSE_SECONDS}`);
        }
        return void timeline.push({ kind: "pause", seconds });
      }
      const peerId = entry[action];
      if (typeof peerId !== "string" || !byPeer.has(peerId)) {
        return problem(
          [...at, action],
          `${JSON.stringify(peerId)} is not a participant's peerId${byPeer.size > 0 ? ` (${known()})` : ""}`,
        );
      }
      if (action === "join") {
        if (present.has(peerId)) return problem([...at, "join"], `${peerId} is already in the room`);
        present.add(peerId);
        return void timeline.push({ kind: "join", peerId });
      }
      if (action === "leave") {
        if (!present.has(peerId)) return problem([...at, "leave"], `${peerId} is not in the room`);
        present.delete(peerId);
        return void timeline.push({ kind: "leave", peerId });
      }
      if (!present.has(peerId)) {
        problem([...at, "say"], `${peerId} speaks without being in the room (add { "join": "${peerId}" } before)`);
      }
      const text = entry.text;
      if (typeof text !== "string" || text.trim() === "" || text.length > MAX_TEXT) {
        return problem([...at, "text"], `must be a non-empty string of at most ${MAX_TEXT} characters`);
      }
      const step: ScriptStep = { kind: "say", peerId, text: text.trim() };
      if (entry.wav !== undefined) {
        const wav = loadWav(entry.wav, options.file, readFile);
        if (typeof wav === "string") return problem([...at, "wav"], wav);
        step.wav = wav;
      }
      timeline.push(step);
    });
  }

  if (problems.length > 0) throw new ScriptError(options.file, problems);
  return { title: (title as string).trim(), participants, timeline };
}

/** Reads and checks a script file (JSON, WAVs beside it). */
export function loadScript(file: string): BotScript {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new ScriptError(file, [{ path: "", line: undefined, message: reason }]);
  }
  return parseScript(text, { file });
}

function checkName(value: unknown, max: number): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return "must be a non-empty string";
  if (value.length > max) return `must be at most ${max} characters`;
  return undefined;
}

function loadWav(
  value: unknown,
  scriptFile: string,
  readFile: (path: string) => Uint8Array,
): { file: string; bytes: Uint8Array } | string {
  if (typeof value !== "string" || value === "") return "must be the path of a WAV file, relative to the script";
  const file = resolve(dirname(scriptFile), value);
  let bytes: Uint8Array;
  try {
    bytes = readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `cannot read ${value}${code === "ENOENT" ? ": no such file" : ` (${String(error)})`}`;
  }
  if (bytes.length > MAX_WAV_BYTES) return `${value} is ${bytes.length} bytes; the API takes at most ${MAX_WAV_BYTES}`;
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length < 12 || ascii(0, 4) !== "RIFF" || ascii(8, 12) !== "WAVE") return `${value} is not a WAV file`;
  return { file, bytes };
}

/**
 * The 1-based line of the value at `path` in a JSON text (or of its nearest enclosing value, when the
 * path names something missing). The text is valid JSON: the scanner only skips what it does not need.
 */
export function lineOf(text: string, path: Path): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const offset = locate(text, path.slice(0, depth));
    if (offset !== undefined) return text.slice(0, offset).split("\n").length;
  }
  return undefined;
}

function locate(text: string, path: Path): number | undefined {
  let i = 0;
  const space = () => {
    while (i < text.length && " \t\r\n".includes(text[i]!)) i++;
  };
  const skipString = () => {
    for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
    i++;
  };
  const readString = () => {
    const start = i;
    skipString();
    return JSON.parse(text.slice(start, i)) as string;
  };
  const skipValue = (): void => {
    space();
    const open = text[i];
    if (open === '"') return skipString();
    if (open !== "{" && open !== "[") {
      while (i < text.length && !",]} \t\r\n".includes(text[i]!)) i++;
      return;
    }
    i++;
    space();
    if (text[i] === "}" || text[i] === "]") return void i++;
    for (;;) {
      space();
      if (open === "{") {
        skipString();
        space();
        i++; // the colon
      }
      skipValue();
      space();
      if (text[i++] !== ",") return;
    }
  };
  const find = (depth: number): number | undefined => {
    space();
    if (depth === path.length) return i;
    const key = path[depth];
    const open = text[i];
    if ((open === "{" && typeof key !== "string") || (open === "[" && typeof key !== "number")) return undefined;
    if (open !== "{" && open !== "[") return undefined;
    i++;
    for (let index = 0; ; index++) {
      space();
      if (text[i] === "}" || text[i] === "]") return undefined;
      if (open === "{") {
        const name = readString();
        space();
        i++; // the colon
        if (name === key) return find(depth + 1);
      } else if (index === key) {
        return find(depth + 1);
      }
      skipValue();
      space();
      if (text[i++] !== ",") return undefined;
    }
  };
  return find(0);
}
