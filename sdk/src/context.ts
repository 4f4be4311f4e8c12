import type { LiveOptions } from "./sse.js";
import type { CallOptions, Transport } from "./transport.js";

/** What every resource of one project shares. */
export interface ProjectContext {
  transport: Transport;
  projectId: string;
  /** `/v1/projects/{projectId}`, encoded. */
  base: string;
  live: LiveOptions;
}

export const enc = encodeURIComponent;

/**
 * Options of a call that changes a gathering. `ifMatch: true` pins the call to the live object's
 * current `version` (412 if someone else changed it since); a number pins it to that version.
 */
export interface MutationOptions extends Omit<CallOptions, "ifMatch"> {
  ifMatch?: number | true | undefined;
}

/**
 * A base class whose instances carry the API fields of `T` as their own properties (so `lobby.status`
 * works and JSON.stringify gives the API shape), without declaration merging.
 */
export function withFields<T extends object>(): new (data: T) => T {
  return class {
    constructor(data: T) {
      Object.assign(this, data);
    }
  } as unknown as new (data: T) => T;
}

/** Replaces the API fields of a live object: fields the new data no longer has are removed. */
export function replaceFields(target: object, previous: object, next: object): void {
  for (const key of Object.keys(previous)) {
    if (!Object.hasOwn(next, key)) delete (target as Record<string, unknown>)[key];
  }
  Object.assign(target, next);
}
