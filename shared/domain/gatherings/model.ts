import * as z from "../../kernel/zod.js";
import { MetadataSchema } from "./metadata.js";

export { METADATA_MAX_BYTES, METADATA_MAX_DEPTH } from "./metadata.js";

export const GATHERING_TYPES = ["lobby", "appointment", "open"] as const;
export const GATHERING_STATUSES = ["scheduled", "open", "started", "ended", "cancelled"] as const;
export const MEMBER_STATUSES = ["invited", "joined", "ready", "left"] as const;
export const MEMBER_ROLES = ["owner", "member"] as const;
export type GatheringType = (typeof GATHERING_TYPES)[number];
export type GatheringStatus = (typeof GATHERING_STATUSES)[number];
export type MemberStatus = (typeof MEMBER_STATUSES)[number];
export type MemberRole = (typeof MEMBER_ROLES)[number];

export const MAX_MEMBERS_LIMIT = 100_000;

/** How join codes look and how lookup forgives (shared/domain/gatherings/join-code.ts), for the OpenAPI document. */
const JOIN_CODE_DISPLAY_PATTERN = "^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$";
const JOIN_CODE_RULES =
  "A code is 8 characters of Crockford's base32 (digits and A–Z without I, L, O, U), shown as ABCD-1234 " +
  `(pattern ${JOIN_CODE_DISPLAY_PATTERN}). Input is forgiving: case, spaces, hyphens, dots and underscores are ` +
  "ignored, and the look-alikes O→0 and I, L→1 are folded; anything else is a 400.";

const isoUtc = z.iso.datetime({
  offset: false,
  message: "must be an ISO 8601 UTC timestamp, e.g. 2026-07-01T15:00:00Z",
});

const metadata = MetadataSchema;

/** Participant ids come from the caller's own user system: opaque, but bounded and printable. */
export const ParticipantIdSchema = z
  .string()
  .check(
    z.minLength(1, "must not be empty"),
    z.maxLength(128),
    z.regex(/^[A-Za-z0-9._:@|+-]+$/, "may contain letters, digits and . _ : @ | + - only"),
  );

const displayName = z.string().check(z.trim(), z.minLength(1), z.maxLength(100));

export const AutoStartSchema = z.withMeta(
  z.strictObject({
    when: z.literal("allReady"),
    minMembers: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_MEMBERS_LIMIT)),
  }),
  { id: "AutoStart", description: "Start the lobby by itself once every present member is ready" },
);
export type AutoStart = z.infer<typeof AutoStartSchema>;

/** The gathering as the API returns it. */
export const GatheringSchema = z.withMeta(
  z.object({
    id: z.withDescription(z.string(), "Gathering id (gth_…)"),
    projectId: z.string(),
    tenantId: z.string(),
    name: z.string(),
    type: z.enum(GATHERING_TYPES),
    status: z.enum(GATHERING_STATUSES),
    version: z.withDescription(
      z.number().check(z.int(), z.positive()),
      "Increments with every change; use with If-Match and SSE",
    ),
    joinCode: z.withDescription(
      z.withMeta(z.string(), { pattern: JOIN_CODE_DISPLAY_PATTERN }),
      `Share code, shown grouped (ABCD-1234). ${JOIN_CODE_RULES}`,
    ),
    startsAt: z.optional(isoUtc),
    endsAt: z.optional(isoUtc),
    autoStartSession: z.boolean(),
    autoStart: z.optional(AutoStartSchema),
    maxMembers: z.optional(z.number().check(z.int(), z.positive())),
    listed: z.boolean(),
    metadata: z.record(z.string(), z.unknown()),
    ownerId: z.withDescription(z.nullable(z.string()), "Participant id of the owner, or null when nobody owns it"),
    memberCount: z.withDescription(
      z.number().check(z.int(), z.minimum(0)),
      "Members currently present (joined or ready)",
    ),
    readyCount: z.withDescription(z.number().check(z.int(), z.minimum(0)), "Members currently ready"),
    roomId: z.optional(z.string()),
    sessionId: z.withDescription(z.optional(z.string()), "The session this gathering started, if any"),
    calendarSequence: z.withDescription(
      z.optional(z.number().check(z.int(), z.minimum(0))),
      "Calendar SEQUENCE of the appointment: 0, +1 on every reschedule",
    ),
    startedAt: z.optional(isoUtc),
    endedAt: z.optional(isoUtc),
    cancelledAt: z.optional(isoUtc),
    createdAt: isoUtc,
    updatedAt: isoUtc,
  }),
  { id: "Gathering" },
);
export type Gathering = z.infer<typeof GatheringSchema>;

export const MemberSchema = z.withMeta(
  z.object({
    gatheringId: z.string(),
    participantId: z.string(),
    displayName: z.optional(z.string()),
    role: z.enum(MEMBER_ROLES),
    status: z.enum(MEMBER_STATUSES),
    /** When the member last became present; the longest-present member inherits ownership. */
    presentSince: z.optional(isoUtc),
    version: z.withDescription(
      z.optional(z.number().check(z.int(), z.positive())),
      "The gathering version of this member's last change; live views skip older events",
    ),
    createdAt: isoUtc,
    updatedAt: isoUtc,
  }),
  { id: "Member" },
);
export type Member = z.infer<typeof MemberSchema>;

export const CreateGatheringBodySchema = z.withMeta(
  z.strictObject({
    name: z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(200)),
    type: z.enum(GATHERING_TYPES),
    startsAt: z.optional(isoUtc),
    endsAt: z.optional(isoUtc),
    autoStartSession: z.optional(z.boolean()),
    autoStart: z.optional(AutoStartSchema),
    maxMembers: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_MEMBERS_LIMIT))),
    listed: z.optional(z.boolean()),
    metadata: z.optional(metadata),
    joinCode: z.withDescription(
      z.optional(z.string().check(z.maxLength(64))),
      `A chosen (vanity) join code, e.g. ABCD-1234; generated when omitted. ${JOIN_CODE_RULES}`,
    ),
  }),
  { id: "CreateGatheringRequest" },
);
export type CreateGatheringBody = z.infer<typeof CreateGatheringBodySchema>;

export const UpdateGatheringBodySchema = z.withMeta(
  z
    .strictObject({
      name: z.optional(z.string().check(z.trim(), z.minLength(1, "must not be empty"), z.maxLength(200))),
      startsAt: z.optional(isoUtc),
      endsAt: z.optional(isoUtc),
      autoStartSession: z.optional(z.boolean()),
      autoStart: z.optional(z.nullable(AutoStartSchema)),
      maxMembers: z.optional(z.nullable(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_MEMBERS_LIMIT)))),
      listed: z.optional(z.boolean()),
      metadata: z.optional(metadata),
    })
    .check(z.refine((body) => Object.keys(body).length > 0, { message: "must change at least one field" })),
  { id: "UpdateGatheringRequest" },
);
export type UpdateGatheringBody = z.infer<typeof UpdateGatheringBodySchema>;

export const StartGatheringBodySchema = z.withMeta(
  z.strictObject({
    roomId: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
    autoStartSession: z.optional(z.boolean()),
  }),
  { id: "StartGatheringRequest" },
);
export type StartGatheringBody = z.infer<typeof StartGatheringBodySchema>;

export const AddMemberBodySchema = z.withMeta(
  z.strictObject({
    participantId: ParticipantIdSchema,
    role: z.optional(z.enum(MEMBER_ROLES)),
    displayName: z.optional(displayName),
  }),
  { id: "AddMemberRequest" },
);
export type AddMemberBody = z.infer<typeof AddMemberBodySchema>;

export const JoinByCodeBodySchema = z.withMeta(
  z.strictObject({
    joinCode: z.withDescription(
      z.string().check(z.minLength(1, "must not be empty"), z.maxLength(64)),
      `The code to join by. ${JOIN_CODE_RULES}`,
    ),
    participantId: ParticipantIdSchema,
    displayName: z.optional(displayName),
  }),
  { id: "JoinByCodeRequest" },
);
export type JoinByCodeBody = z.infer<typeof JoinByCodeBodySchema>;

export const TransferOwnershipBodySchema = z.withMeta(z.strictObject({ participantId: ParticipantIdSchema }), {
  id: "TransferOwnershipRequest",
});

export const JoinResultSchema = z.withMeta(z.object({ gathering: GatheringSchema, member: MemberSchema }), {
  id: "JoinResult",
});
