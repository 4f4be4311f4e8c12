import { z } from "zod";
import { GatheringSchema } from "../gatherings/model.js";
import type { AggregateType } from "../store/keys.js";

/**
 * The event catalog: every event name, which aggregate emits it and the schema of its `data`.
 * Publishers validate against it; subscribers (rules, webhooks, SSE filters, user functions) are
 * derived from it.
 */
interface CatalogEntry {
  aggregate: AggregateType;
  description: string;
  data: z.ZodType;
}

const gatheringSnapshot = z.object({ gathering: GatheringSchema });

export const EVENT_CATALOG = {
  "gathering.created": {
    aggregate: "gathering",
    description: "A gathering was created.",
    data: gatheringSnapshot,
  },
} as const satisfies Record<string, CatalogEntry>;

export type EventType = keyof typeof EVENT_CATALOG;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOG)[T]["data"]>;

export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENT_CATALOG, value);
}

/** `gathering.member.ready` ↔ `onGatheringMemberReady`: the user-function export name of an event. */
export function handlerNameFor(type: string): string {
  return (
    "on" +
    type
      .split(".")
      .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
      .join("")
  );
}

export function eventTypeForHandlerName(name: string): EventType | undefined {
  return EVENT_TYPES.find((type) => handlerNameFor(type) === name);
}
