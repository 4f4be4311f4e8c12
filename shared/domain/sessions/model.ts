import { z } from "zod";

export const SESSION_STATUSES = ["active", "ended"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** The ODIN gateway the transcription bot joins unless a project says otherwise. */
export const DEFAULT_GATEWAY = "gateway.odin.4players.io";

/** A session: the active transcription of one voice room (seed 003's SessionResponse fields). */
export const SessionSchema = z
  .object({
    id: z.string().describe("Session id (sess_…)"),
    tenantId: z.string(),
    projectId: z.string(),
    externalRoomId: z.string().describe("The voice room this session transcribes"),
    gateway: z.string().describe("The ODIN gateway the bot joins"),
    title: z.string(),
    status: z.enum(SESSION_STATUSES),
    idleTimeout: z.number().int().min(0).nullable().optional().describe("Seconds of silence before auto-stop"),
    gatheringId: z.string().optional().describe("The gathering that started this session, if any"),
    createdByUserId: z.string(),
    version: z.number().int().positive(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    endedAt: z.iso.datetime().optional(),
  })
  .meta({ id: "Session" });
export type Session = z.infer<typeof SessionSchema>;
