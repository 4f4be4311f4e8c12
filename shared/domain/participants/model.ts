import { z } from "zod";
import { ParticipantIdSchema } from "../gatherings/model.js";

/** The participant directory: resolves participant ids to a display name and an email address. */
export const ParticipantSchema = z
  .object({
    participantId: z.string(),
    displayName: z.string().optional(),
    email: z.string().optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Participant" });
export type Participant = z.infer<typeof ParticipantSchema>;

export const PutParticipantBodySchema = z
  .strictObject({
    displayName: z.string().trim().min(1).max(100).optional(),
    email: z.email().max(254).optional(),
  })
  .meta({ id: "PutParticipantRequest" });
export type PutParticipantBody = z.infer<typeof PutParticipantBodySchema>;

export { ParticipantIdSchema };
