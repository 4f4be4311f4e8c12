import * as z from "../../kernel/zod.js";
import type { EventDefinition } from "../../store/commit.js";
import { SESSION_EVENTS, type SessionEventType } from "../sessions/events.js";
import { InvitationSchema } from "./invitation-model.js";
import { GatheringSchema, MemberSchema } from "./model.js";

/**
 * The gathering aggregate's events: name, description and the schema of `data`. Every one carries the
 * gathering as it is at that event's version. The catalog (`events/catalog.ts`) assembles these with the
 * other aggregates' events; commits are validated against them.
 */
const gathering = z.object({ gathering: GatheringSchema });
const gatheringChange = z.object({
  gathering: GatheringSchema,
  changes: z.withDescription(z.array(z.string()), "The fields that changed"),
});
const memberChange = z.object({ gathering: GatheringSchema, member: MemberSchema });
const invitationChange = z.object({ gathering: GatheringSchema, invitation: InvitationSchema });

export const GATHERING_EVENTS = {
  "gathering.created": { aggregate: "gathering", description: "A gathering was created.", data: gathering },
  "gathering.updated": {
    aggregate: "gathering",
    description: "Gathering settings changed (name, times, capacity, listing, join code, …).",
    data: gatheringChange,
  },
  "gathering.started": {
    aggregate: "gathering",
    description: "The gathering started (by the host, by its ready-check or at startsAt).",
    data: z.object({ gathering: GatheringSchema, sessionId: z.optional(z.string()) }),
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
      previousOwnerId: z.nullable(z.string()),
      ownerId: z.nullable(z.string()),
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
  "gathering.summary.sent": {
    aggregate: "gathering",
    description: "The summary email of one of the gathering's sessions was sent to an invitation.",
    data: z.object({ gathering: GatheringSchema, invitation: InvitationSchema, sessionId: z.string() }),
  },
  "gathering.summary.failed": {
    aggregate: "gathering",
    description:
      "The summary email of a session could not be sent to an invitation; error says why (never the address).",
    data: z.object({
      gathering: GatheringSchema,
      invitation: InvitationSchema,
      sessionId: z.string(),
      error: z.string(),
    }),
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
} as const satisfies Record<string, EventDefinition>;

export type GatheringEventType = keyof typeof GATHERING_EVENTS;

/** What a gathering commit may write: its own events, and a session's when it starts one. */
export const GATHERING_COMMIT_EVENTS = { ...GATHERING_EVENTS, ...SESSION_EVENTS };
export type EventType = GatheringEventType | SessionEventType;
