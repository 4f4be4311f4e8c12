import * as z from "../../kernel/zod.js";
import { ParticipantIdSchema } from "./model.js";

/**
 * Invitations: who was invited (by participant id and/or email) — the source of truth for reaching people
 * by email. Status covers delivery (pending → sent | failed) and the response (accepted | declined).
 */
export const INVITATION_STATUSES = ["pending", "sent", "failed", "accepted", "declined"] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const InvitationSchema = z.withMeta(
  z.object({
    id: z.withDescription(z.string(), "Invitation id (inv_…)"),
    gatheringId: z.string(),
    participantId: z.optional(z.string()),
    email: z.optional(z.string()),
    displayName: z.optional(z.string()),
    status: z.enum(INVITATION_STATUSES),
    message: z.withDescription(z.optional(z.string()), "The inviter's personal message"),
    /** Why the last delivery failed (an SES error name or "no_email_address"); never the address. */
    deliveryError: z.optional(z.string()),
    summaryEmail: z.withDescription(
      z.optional(
        z.object({
          sessionId: z.string(),
          status: z.enum(["sent", "failed"]),
          error: z.withDescription(z.optional(z.string()), "Why it failed (an SES error name); never the address"),
          at: z.iso.datetime(),
        }),
      ),
      "The summary email of the gathering's latest ended session, once it was sent or failed",
    ),
    /** The calendar SEQUENCE last sent to this invitee. */
    calendarSequence: z.optional(z.number().check(z.int(), z.minimum(0))),
    version: z.withDescription(
      z.optional(z.number().check(z.int(), z.positive())),
      "The gathering version of this invitation's last change; live views skip older events",
    ),
    sentAt: z.optional(z.iso.datetime()),
    respondedAt: z.optional(z.iso.datetime()),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
  { id: "Invitation" },
);
export type Invitation = z.infer<typeof InvitationSchema>;

export const MAX_RECIPIENTS = 100;

export const SendInvitationsBodySchema = z.withMeta(
  z
    .strictObject({
      participantIds: z.optional(z.array(ParticipantIdSchema).check(z.maxLength(MAX_RECIPIENTS))),
      emails: z.optional(z.array(z.email().check(z.maxLength(254))).check(z.maxLength(MAX_RECIPIENTS))),
      message: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(2000))),
    })
    .check(
      z.refine((b) => (b.participantIds?.length ?? 0) + (b.emails?.length ?? 0) > 0, {
        message: "name at least one recipient in participantIds or emails",
      }),
      z.refine((b) => (b.participantIds?.length ?? 0) + (b.emails?.length ?? 0) <= MAX_RECIPIENTS, {
        message: `at most ${MAX_RECIPIENTS} recipients per request`,
      }),
    ),
  { id: "SendInvitationsRequest" },
);
export type SendInvitationsBody = z.infer<typeof SendInvitationsBodySchema>;

export const InvitationListSchema = z.withMeta(z.object({ invitations: z.array(InvitationSchema) }), {
  id: "InvitationList",
});
