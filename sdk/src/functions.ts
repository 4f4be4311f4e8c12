import { CortexClient, type Project } from "./client.js";
import type { FetchLike } from "./transport.js";
import type { EventEnvelope } from "./types.js";

/**
 * Your functions: `export const onGatheringMemberReady: UserFunction = async (event, ctx) => {…}` (or
 * `exports.onGatheringMemberReady = …`). The backend runs each export for every event of its name.
 */
export interface UserFunctionLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface UserFunctionContext {
  /** The envelope's metadata (everything but `data`). */
  event: Omit<EventEnvelope, "data">;
  logger: UserFunctionLogger;
  /** An SDK client bound to the event's project, acting as this function. */
  client: Project;
}

export type UserFunction = (event: EventEnvelope, ctx: UserFunctionContext) => Promise<void> | void;

/** The client a function gets: the SDK over a fetch that serves the API in-process (no key, no network). */
export function inProcessProject(fetch: FetchLike, projectId: string): Project {
  return new CortexClient({ baseUrl: "http://in-process.local", apiKey: "in-process", fetch }).project(projectId);
}
