import { z } from "zod";
import { ParticipantIdSchema } from "./model.js";

/**
 * Invitations: who was invited (by participant id and/or email) — the source of truth for reaching people
 * by email. Status covers delivery (pending → sent | failed) and the response (accepted | declined).
 */
export const INVITATION_STATUSES = ["pending", "sent", "failed", "accepted", "declined"] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const InvitationSchema = z
  .object({
    id: z.string().describe("Invitation id (inv_…)"),
    gatheringId: z.string(),
    participantId: z.string().optional(),
    email: z.string().optional(),
    displayName: z.string().optional(),
    status: z.enum(INVITATION_STATUSES),
    message: z.string().optional().describe("The inviter's personal message"),
    /** Why the last delivery failed (an SES error name or "no_email_address"); never the address. */
    deliveryError: z.string().optional(),
    summaryEmail: z
      .object({
        sessionId: z.string(),
        status: z.enum(["sent", "failed"]),
        error: z.string().optional().describe("Why it failed (an SES error name); never the address"),
        at: z.iso.datetime(),
      })
      .optional()
      .describe("The summary email of the gathering's latest ended session, once it was sent or failed"),
    /** The calendar SEQUENCE last sent to this invitee. */
    calendarSequence: z.number().int().min(0).optional(),
    version: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("The gathering version of this invitation's last change; live views skip older events"),
    sentAt: z.iso.datetime().optional(),
    respondedAt: z.iso.datetime().optional(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Invitation" });
export type Invitation = z.infer<typeof InvitationSchema>;

export const MAX_RECIPIENTS = 100;

export const SendInvitationsBodySchema = z
  .strictObject({
    participantIds: z.array(ParticipantIdSchema).max(MAX_RECIPIENTS).optional(),
    emails: z.array(z.email().max(254)).max(MAX_RECIPIENTS).optional(),
    message: z.string().trim().min(1).max(2000).optional(),
  })
  .refine((b) => (b.participantIds?.length ?? 0) + (b.emails?.length ?? 0) > 0, {
    message: "name at least one recipient in participantIds or emails",
  })
  .refine((b) => (b.participantIds?.length ?? 0) + (b.emails?.length ?? 0) <= MAX_RECIPIENTS, {
    message: `at most ${MAX_RECIPIENTS} recipients per request`,
  })
  .meta({ id: "SendInvitationsRequest" });
export type SendInvitationsBody = z.infer<typeof SendInvitationsBodySchema>;

export const InvitationListSchema = z.object({ invitations: z.array(InvitationSchema) }).meta({ id: "InvitationList" });
