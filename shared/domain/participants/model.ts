import * as z from "../../kernel/zod.js";
import { ParticipantIdSchema } from "../gatherings/model.js";

/** The participant directory: resolves participant ids to a display name and an email address. */
export const ParticipantSchema = z.withMeta(
  z.object({
    participantId: z.string(),
    displayName: z.optional(z.string()),
    email: z.optional(z.string()),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
  { id: "Participant" },
);
export type Participant = z.infer<typeof ParticipantSchema>;

export const PutParticipantBodySchema = z.withMeta(
  z.strictObject({
    displayName: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(100))),
    email: z.optional(z.email().check(z.maxLength(254))),
  }),
  { id: "PutParticipantRequest" },
);
export type PutParticipantBody = z.infer<typeof PutParticipantBodySchema>;

export { ParticipantIdSchema };
