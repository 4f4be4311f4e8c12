import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { compileFunction } from "node:vm";
import { EVENT_SOURCE, type EventEnvelope } from "../kernel/envelope.js";
import { eventTypeForHandlerName, handlerNameFor, EVENT_TYPES, type EventType } from "../events/catalog.js";
import type { RuleDefinition } from "../events/rules.js";
import type { ApiDeps } from "./http/api.js";
import { inProcessFetch } from "./http/in-process-fetch.js";
import type { Logger } from "../kernel/logger.js";

/**
 * User functions: one module exporting handlers named after events (`onGatheringMemberReady` ↔
 * `gathering.member.ready`). Each export becomes its own Lambda with an EventBridge rule on AWS, and a
 * rule target in the local runtime; both run it through `createUserFunctionHandler`.
 */
export interface UserFunctionContext<Client> {
  /** The envelope's metadata (everything but `data`). */
  event: Omit<EventEnvelope, "data">;
  logger: Logger;
  /** A client bound to the event's project (the SDK's; injected by the entry point, so shared/ needs no SDK). */
  client: Client;
}

export type UserFunction<Client> = (event: EventEnvelope, ctx: UserFunctionContext<Client>) => Promise<void> | void;

/** Builds the client a function gets from a fetch that serves the API in-process for a project. */
export type ClientFactory<Client> = (
  fetch: (input: string, init?: RequestInit) => Promise<Response>,
  projectId: string,
) => Client;

export interface UserFunctionBinding {
  exportName: string;
  eventType: EventType;
}

/** Default location of the user's functions module (the repo ships an example there). */
export const DEFAULT_USER_FUNCTIONS_PATH = "user-functions/index.ts";

/**
 * A user module's exports, whatever its form: ESM (`export const onX = …`) or CommonJS
 * (`exports.onX = …`, as the seeds write it), whose exports arrive as `default` (and, on newer Node, as
 * `"module.exports"`) beside the names Node could detect.
 */
export function userModuleExports(mod: Record<string, unknown>): Record<string, unknown> {
  const { default: fallback, "module.exports": commonJs, ...named } = mod;
  const exportsObject = commonJs ?? fallback;
  if (exportsObject !== null && typeof exportsObject === "object") {
    return { ...(exportsObject as Record<string, unknown>), ...named };
  }
  return fallback === undefined ? named : mod;
}

export interface UserModule {
  exports: Record<string, unknown>;
  /**
   * True for a `.js` file written as CommonJS inside a package whose default is ESM: Node refuses to
   * import it, so it is run as the CommonJS it is (and must be bundled as such).
   */
  commonJsInEsm: boolean;
}

/** Loads the user's functions module from a path (at `npm start` and at synth), in either module form. */
export async function importUserModule(absolutePath: string): Promise<UserModule> {
  if (!isCommonJsInEsm(absolutePath)) {
    const mod = (await import(pathToFileURL(absolutePath).href)) as Record<string, unknown>;
    return { exports: userModuleExports(mod), commonJsInEsm: false };
  }
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = compileFunction(
    readFileSync(absolutePath, "utf8"),
    ["exports", "require", "module", "__filename", "__dirname"],
    { filename: absolutePath },
  );
  wrapper(module.exports, createRequire(absolutePath), module, absolutePath, dirname(absolutePath));
  return { exports: userModuleExports({ default: module.exports }), commonJsInEsm: true };
}

/** A `.js` file that assigns `exports`/`module.exports` and has no ESM syntax, in a package whose default is ESM. */
function isCommonJsInEsm(absolutePath: string): boolean {
  if (extname(absolutePath) !== ".js") return false;
  const source = readFileSync(absolutePath, "utf8");
  const commonJs = /\b(?:module\.exports|exports\.[\w$]+)\s*=/.test(source);
  const esm = /^\s*(?:import\s|export\s)/m.test(source);
  return commonJs && !esm && nearestPackageType(dirname(absolutePath)) === "module";
}

function nearestPackageType(folder: string): string | undefined {
  for (let dir = folder; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, "utf8")) as { type?: string }).type;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Checks every export of a user module names a known event; unknown names fail loudly (at synth and at start). */
export function bindUserFunctions(mod: Record<string, unknown>, source: string): UserFunctionBinding[] {
  const bindings: UserFunctionBinding[] = [];
  const problems: string[] = [];
  for (const [name, value] of Object.entries(mod)) {
    const eventType = eventTypeForHandlerName(name);
    if (!eventType) {
      const close = closestHandlerName(name);
      problems.push(`"${name}" is not a handler of any event${close ? ` (did you mean ${close}?)` : ""}`);
    } else if (typeof value !== "function") {
      problems.push(`"${name}" must be a function`);
    } else bindings.push({ exportName: name, eventType });
  }
  if (problems.length > 0) {
    throw new Error(
      `${source}: ${problems.join("; ")}. Exports must be named after events, e.g. ${handlerNameFor("gathering.member.ready")}.`,
    );
  }
  return bindings;
}

/** The handler name nearest to a misspelt one (edit distance ≤ 3), for the error message. */
function closestHandlerName(name: string): string | undefined {
  const distance = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let previous = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const current = row[j]!;
        row[j] = Math.min(
          row[j]! + 1,
          row[j - 1]! + 1,
          previous + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
        );
        previous = current;
      }
    }
    return row[b.length]!;
  };
  const ranked = EVENT_TYPES.map(handlerNameFor)
    .map((candidate) => ({ candidate, d: distance(name, candidate) }))
    .sort((x, y) => x.d - y.d);
  return ranked[0] && ranked[0].d <= 3 ? ranked[0].candidate : undefined;
}

/** The EventBridge rule of one user function (same pattern language as the shared rules). */
export function userFunctionRule(binding: UserFunctionBinding): Omit<RuleDefinition, "consumer"> {
  return {
    id: `fn-${binding.exportName}`,
    description: `User function ${binding.exportName} (${binding.eventType})`,
    pattern: { source: [EVENT_SOURCE], "detail-type": [binding.eventType] },
  };
}

/** The Lambda handler around a user function: parse the envelope, build `ctx`, call it. */
/**
 * Runs a user function for one event: builds its `ctx` (the event's metadata, the logger, a client bound to
 * the event's project acting as the function). The entry point wraps it for its trigger (the handler kit
 * on Lambda, the same kit locally), which parses the envelope and puts the correlation keys on the logger.
 */
export function userFunctionRunner<Client>(
  fn: UserFunction<Client>,
  exportName: string,
  deps: ApiDeps,
  makeClient: ClientFactory<Client>,
) {
  return async (envelope: EventEnvelope, logger: Logger): Promise<void> => {
    const { data: _data, ...metadata } = envelope;
    const principal = {
      tenantId: envelope.tenantId,
      projectScope: envelope.projectId,
      keyId: exportName,
      actorType: "function" as const,
    };
    const client = makeClient(inProcessFetch(deps, principal), envelope.projectId);
    await fn(envelope, { event: metadata, logger, client });
  };
}
