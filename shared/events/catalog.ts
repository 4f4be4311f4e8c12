import type * as z from "../kernel/zod.js";
import type { EventEnvelope } from "../kernel/envelope.js";
import type { EventDefinition } from "../store/commit.js";
import { GATHERING_EVENTS } from "../domain/gatherings/events.js";
import { SESSION_EVENTS } from "../domain/sessions/events.js";
import { PLUGIN_EVENTS } from "../domain/plugins/events.js";
import { KEY_EVENTS } from "../domain/auth/events.js";

/**
 * The event catalog: every event name, which aggregate emits it and the schema of its `data`, assembled
 * from the events each domain module declares beside its model. Commits validate against their module's
 * events; subscribers (rules, webhooks, SSE filters, user functions) are derived from this catalog.
 */
export const EVENT_CATALOG = { ...GATHERING_EVENTS, ...SESSION_EVENTS, ...PLUGIN_EVENTS, ...KEY_EVENTS } as const;

export type EventType = keyof typeof EVENT_CATALOG;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_CATALOG)[T]["data"]>;

export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[];

export function isEventType(value: string): value is EventType {
  return Object.hasOwn(EVENT_CATALOG, value);
}

/**
 * The aggregate whose log holds an event, as `type:id`: its `resource`, except for an event about a part of
 * an aggregate (`message.annotation.created` has `message:{id}` and is in its session's log).
 */
export function logResourceOf(event: Pick<EventEnvelope, "type" | "resource" | "data">): string {
  const definition: EventDefinition | undefined = isEventType(event.type) ? EVENT_CATALOG[event.type] : undefined;
  const id = definition?.aggregateId?.(event.data);
  return definition && id ? `${definition.aggregate}:${id}` : event.resource;
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
