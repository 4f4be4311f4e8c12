import { CortexClient, type Project } from "./client.js";
import type { FetchLike } from "./transport.js";
import type { EventDataMap, EventName } from "./event-data.js";
import type { EventEnvelope } from "./types.js";

/**
 * Your functions: `export const onGatheringMemberReady: UserFunction<"onGatheringMemberReady"> = async (event,
 * ctx) => {…}` (or `exports.onGatheringMemberReady = …`). The backend runs each export for every event of its
 * name; typed by that name, `event.data` is the event's payload (`{ gathering, member }` for member-ready).
 */
export interface UserFunctionLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface UserFunctionContext<Envelope extends EventEnvelope<unknown> = EventEnvelope> {
  /** The envelope's metadata (everything but `data`). */
  event: Omit<Envelope, "data">;
  logger: UserFunctionLogger;
  /** An SDK client bound to the event's project, acting as this function. */
  client: Project;
}

/** `gathering.member.ready` → `GatheringMemberReady` (as the backend names exports: `on` + this). */
type PascalName<S extends string> = S extends `${infer Head}.${infer Rest}`
  ? `${Capitalize<Head>}${PascalName<Rest>}`
  : Capitalize<S>;

/** The export name that receives an event: `onGatheringMemberReady` for `gathering.member.ready`. */
export type HandlerName<T extends EventName = EventName> = `on${PascalName<T>}`;

/** The event an export name receives: `gathering.member.ready` for `onGatheringMemberReady`. */
export type EventNameOf<H extends HandlerName> = { [K in EventName]: HandlerName<K> extends H ? K : never }[EventName];

/** One event's envelope: `type` narrowed to its name and `data` typed as its payload. */
export type TypedEventEnvelope<T extends EventName> = EventEnvelope<EventDataMap[T]> & { type: T };

type Resolve<T extends EventName | HandlerName> = T extends HandlerName ? EventNameOf<T> : T;

/**
 * A user function. `UserFunction<"onGatheringMemberReady">` (or `<"gathering.member.ready">`) receives that
 * event typed; plain `UserFunction` receives any event with `data` untyped.
 */
export type UserFunction<T extends EventName | HandlerName = never> = [T] extends [never]
  ? (event: EventEnvelope, ctx: UserFunctionContext) => Promise<void> | void
  : (
      event: TypedEventEnvelope<Resolve<T>>,
      ctx: UserFunctionContext<TypedEventEnvelope<Resolve<T>>>,
    ) => Promise<void> | void;

/** A whole user-functions module: each export named for an event receives that event, typed. */
export type UserFunctions = { [K in EventName as HandlerName<K>]?: UserFunction<K> };

/** The client a function gets: the SDK over a fetch that serves the API in-process (no key, no network). */
export function inProcessProject(fetch: FetchLike, projectId: string): Project {
  return new CortexClient({ baseUrl: "http://in-process.local", apiKey: "in-process", fetch }).project(projectId);
}
