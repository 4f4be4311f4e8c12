import { z } from "zod";

export const GATHERING_TYPES = ["lobby", "appointment", "open"] as const;
export const GATHERING_STATUSES = ["scheduled", "open", "started", "ended", "cancelled"] as const;
export type GatheringType = (typeof GATHERING_TYPES)[number];
export type GatheringStatus = (typeof GATHERING_STATUSES)[number];

export const METADATA_MAX_BYTES = 4096;

const isoUtc = z.iso.datetime({
  offset: false,
  message: "must be an ISO 8601 UTC timestamp, e.g. 2026-07-01T15:00:00Z",
});

const metadata = z
  .record(z.string(), z.unknown())
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= METADATA_MAX_BYTES, {
    message: `must serialize to at most ${METADATA_MAX_BYTES} bytes of JSON`,
  });

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
    joinCode: z.string().describe("Share code, shown grouped (ABCD-1234); lookup ignores case and hyphens"),
    startsAt: isoUtc.optional(),
    endsAt: isoUtc.optional(),
    autoStartSession: z.boolean(),
    maxMembers: z.number().int().positive().optional(),
    listed: z.boolean(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: isoUtc,
    updatedAt: isoUtc,
  })
  .meta({ id: "Gathering" });
export type Gathering = z.infer<typeof GatheringSchema>;

export const CreateGatheringBodySchema = z
  .strictObject({
    name: z.string().trim().min(1, "must not be empty").max(200),
    type: z.enum(GATHERING_TYPES),
    startsAt: isoUtc.optional(),
    endsAt: isoUtc.optional(),
    autoStartSession: z.boolean().optional(),
    maxMembers: z.number().int().min(1).max(10_000).optional(),
    listed: z.boolean().optional(),
    metadata: metadata.optional(),
  })
  .meta({ id: "CreateGatheringRequest" });
export type CreateGatheringBody = z.infer<typeof CreateGatheringBodySchema>;
