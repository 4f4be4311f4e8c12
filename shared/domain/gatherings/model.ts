import { z } from "zod";
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
  .min(1, "must not be empty")
  .max(128)
  .regex(/^[A-Za-z0-9._:@|+-]+$/, "may contain letters, digits and . _ : @ | + - only");

const displayName = z.string().trim().min(1).max(100);

export const AutoStartSchema = z
  .strictObject({
    when: z.literal("allReady"),
    minMembers: z.number().int().min(1).max(MAX_MEMBERS_LIMIT),
  })
  .meta({ id: "AutoStart", description: "Start the lobby by itself once every present member is ready" });
export type AutoStart = z.infer<typeof AutoStartSchema>;

/** The gathering as the API returns it. */
export const GatheringSchema = z
  .object({
    id: z.string().describe("Gathering id (gth_…)"),
    projectId: z.string(),
    tenantId: z.string(),
    name: z.string(),
    type: z.enum(GATHERING_TYPES),
    status: z.enum(GATHERING_STATUSES),
    version: z.number().int().positive().describe("Increments with every change; use with If-Match and SSE"),
    joinCode: z
      .string()
      .meta({ pattern: JOIN_CODE_DISPLAY_PATTERN })
      .describe(`Share code, shown grouped (ABCD-1234). ${JOIN_CODE_RULES}`),
    startsAt: isoUtc.optional(),
    endsAt: isoUtc.optional(),
    autoStartSession: z.boolean(),
    autoStart: AutoStartSchema.optional(),
    maxMembers: z.number().int().positive().optional(),
    listed: z.boolean(),
    metadata: z.record(z.string(), z.unknown()),
    ownerId: z.string().nullable().describe("Participant id of the owner, or null when nobody owns it"),
    memberCount: z.number().int().min(0).describe("Members currently present (joined or ready)"),
    readyCount: z.number().int().min(0).describe("Members currently ready"),
    roomId: z.string().optional(),
    sessionId: z.string().optional().describe("The session this gathering started, if any"),
    calendarSequence: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Calendar SEQUENCE of the appointment: 0, +1 on every reschedule"),
    startedAt: isoUtc.optional(),
    endedAt: isoUtc.optional(),
    cancelledAt: isoUtc.optional(),
    createdAt: isoUtc,
    updatedAt: isoUtc,
  })
  .meta({ id: "Gathering" });
export type Gathering = z.infer<typeof GatheringSchema>;

export const MemberSchema = z
  .object({
    gatheringId: z.string(),
    participantId: z.string(),
    displayName: z.string().optional(),
    role: z.enum(MEMBER_ROLES),
    status: z.enum(MEMBER_STATUSES),
    /** When the member last became present; the longest-present member inherits ownership. */
    presentSince: isoUtc.optional(),
    version: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("The gathering version of this member's last change; live views skip older events"),
    createdAt: isoUtc,
    updatedAt: isoUtc,
  })
  .meta({ id: "Member" });
export type Member = z.infer<typeof MemberSchema>;

export const CreateGatheringBodySchema = z
  .strictObject({
    name: z.string().trim().min(1, "must not be empty").max(200),
    type: z.enum(GATHERING_TYPES),
    startsAt: isoUtc.optional(),
    endsAt: isoUtc.optional(),
    autoStartSession: z.boolean().optional(),
    autoStart: AutoStartSchema.optional(),
    maxMembers: z.number().int().min(1).max(MAX_MEMBERS_LIMIT).optional(),
    listed: z.boolean().optional(),
    metadata: metadata.optional(),
    joinCode: z
      .string()
      .max(64)
      .optional()
      .describe(`A chosen (vanity) join code, e.g. ABCD-1234; generated when omitted. ${JOIN_CODE_RULES}`),
  })
  .meta({ id: "CreateGatheringRequest" });
export type CreateGatheringBody = z.infer<typeof CreateGatheringBodySchema>;

export const UpdateGatheringBodySchema = z
  .strictObject({
    name: z.string().trim().min(1, "must not be empty").max(200).optional(),
    startsAt: isoUtc.optional(),
    endsAt: isoUtc.optional(),
    autoStartSession: z.boolean().optional(),
    autoStart: AutoStartSchema.nullable().optional(),
    maxMembers: z.number().int().min(1).max(MAX_MEMBERS_LIMIT).nullable().optional(),
    listed: z.boolean().optional(),
    metadata: metadata.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: "must change at least one field" })
  .meta({ id: "UpdateGatheringRequest" });
export type UpdateGatheringBody = z.infer<typeof UpdateGatheringBodySchema>;

export const StartGatheringBodySchema = z
  .strictObject({
    roomId: z.string().trim().min(1).max(200).optional(),
    autoStartSession: z.boolean().optional(),
  })
  .meta({ id: "StartGatheringRequest" });
export type StartGatheringBody = z.infer<typeof StartGatheringBodySchema>;

export const AddMemberBodySchema = z
  .strictObject({
    participantId: ParticipantIdSchema,
    role: z.enum(MEMBER_ROLES).optional(),
    displayName: displayName.optional(),
  })
  .meta({ id: "AddMemberRequest" });
export type AddMemberBody = z.infer<typeof AddMemberBodySchema>;

export const JoinByCodeBodySchema = z
  .strictObject({
    joinCode: z.string().min(1, "must not be empty").max(64).describe(`The code to join by. ${JOIN_CODE_RULES}`),
    participantId: ParticipantIdSchema,
    displayName: displayName.optional(),
  })
  .meta({ id: "JoinByCodeRequest" });
export type JoinByCodeBody = z.infer<typeof JoinByCodeBodySchema>;

export const TransferOwnershipBodySchema = z
  .strictObject({ participantId: ParticipantIdSchema })
  .meta({ id: "TransferOwnershipRequest" });

export const JoinResultSchema = z
  .object({ gathering: GatheringSchema, member: MemberSchema })
  .meta({ id: "JoinResult" });
