import { z } from "zod";
import { GatheringSchema, MemberSchema } from "../gatherings/model.js";
import { InvitationSchema } from "../invitations/model.js";
import { SessionSchema } from "../sessions/model.js";
import type { AggregateType } from "../store/keys.js";

/**
 * The event catalog: every event name, which aggregate emits it and the schema of its `data`.
 * Publishers validate against it; subscribers (rules, webhooks, SSE filters, user functions) are
 * derived from it. Every gathering event carries the gathering as it is at that event's version.
 */
interface CatalogEntry {
  aggregate: AggregateType;
  description: string;
  data: z.ZodType;
}

const gathering = z.object({ gathering: GatheringSchema });
const gatheringChange = z.object({
  gathering: GatheringSchema,
  changes: z.array(z.string()).describe("The fields that changed"),
});
const memberChange = z.object({ gathering: GatheringSchema, member: MemberSchema });
const session = z.object({ session: SessionSchema });
const invitationChange = z.object({ gathering: GatheringSchema, invitation: InvitationSchema });

export const EVENT_CATALOG = {
  "gathering.created": { aggregate: "gathering", description: "A gathering was created.", data: gathering },
  "gathering.updated": {
    aggregate: "gathering",
    description: "Gathering settings changed (name, times, capacity, listing, join code, …).",
    data: gatheringChange,
  },
  "gathering.started": {
    aggregate: "gathering",
    description: "The gathering started (by the host, by its ready-check or at startsAt).",
    data: z.object({ gathering: GatheringSchema, sessionId: z.string().optional() }),
  },
  "gathering.ended": { aggregate: "gathering", description: "The gathering ended.", data: gathering },
  "gathering.cancelled": { aggregate: "gathering", description: "The gathering was cancelled.", data: gathering },
  "gathering.member.joined": {
    aggregate: "gathering",
    description: "A member joined (or rejoined).",
    data: memberChange,
  },
  "gathering.member.invited": {
    aggregate: "gathering",
    description: "A participant was invited (membership layer: status invited).",
    data: memberChange,
  },
  "gathering.member.ready": { aggregate: "gathering", description: "A member marked ready.", data: memberChange },
  "gathering.member.unready": {
    aggregate: "gathering",
    description: "A member took back their ready.",
    data: memberChange,
  },
  "gathering.member.left": { aggregate: "gathering", description: "A member left.", data: memberChange },
  "gathering.member.removed": {
    aggregate: "gathering",
    description: "A member was removed by the host.",
    data: memberChange,
  },
  "gathering.owner.changed": {
    aggregate: "gathering",
    description: "Ownership moved: transferred, or inherited by the longest-present member when the owner left.",
    data: z.object({
      gathering: GatheringSchema,
      previousOwnerId: z.string().nullable(),
      ownerId: z.string().nullable(),
      reason: z.enum(["first_member", "transferred", "owner_left", "owner_removed"]),
    }),
  },
  "gathering.invitation.created": {
    aggregate: "gathering",
    description: "An invitation was created; its email is on its way.",
    data: invitationChange,
  },
  "gathering.invitation.sent": {
    aggregate: "gathering",
    description: "An invitation (or its update/cancellation) was emailed.",
    data: invitationChange,
  },
  "gathering.invitation.failed": {
    aggregate: "gathering",
    description: "An invitation could not be emailed; deliveryError says why.",
    data: invitationChange,
  },
  "gathering.invitation.accepted": {
    aggregate: "gathering",
    description: "An invitation was accepted.",
    data: invitationChange,
  },
  "gathering.invitation.declined": {
    aggregate: "gathering",
    description: "An invitation was declined.",
    data: invitationChange,
  },
  "session.created": { aggregate: "session", description: "A session started transcribing a room.", data: session },
  "session.ended": { aggregate: "session", description: "A session ended.", data: session },
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
