import { z } from "zod";

/** A webhook endpoint of a project (Standard Webhooks 1.0). Secrets are shown once: at creation and rotation. */
export const WebhookEndpointSchema = z
  .object({
    id: z.string().describe("Endpoint id (whk_…)"),
    projectId: z.string(),
    url: z.string(),
    events: z.array(z.string()).describe("Event filters (`*`, exact types, or `prefix.*`); empty = all"),
    enabled: z.boolean(),
    description: z.string().optional(),
    disabledReason: z.string().optional().describe("Why it was disabled, e.g. the receiver answered 410 Gone"),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "WebhookEndpoint" });
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z.string().describe("whsec_… — store it now; it is not shown again"),
}).meta({ id: "WebhookEndpointWithSecret" });

const url = z.url({ protocol: /^https?$/ }).max(2048);
const events = z.array(z.string().min(1).max(200)).max(50);

export const CreateWebhookBodySchema = z
  .strictObject({
    url,
    events: events.optional(),
    enabled: z.boolean().optional(),
    description: z.string().trim().max(500).optional(),
  })
  .meta({ id: "CreateWebhookRequest" });
export type CreateWebhookBody = z.infer<typeof CreateWebhookBodySchema>;

export const UpdateWebhookBodySchema = z
  .strictObject({
    url: url.optional(),
    events: events.optional(),
    enabled: z.boolean().optional(),
    description: z.string().trim().max(500).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: "must change at least one field" })
  .meta({ id: "UpdateWebhookRequest" });
export type UpdateWebhookBody = z.infer<typeof UpdateWebhookBodySchema>;

export const RotateSecretBodySchema = z
  .strictObject({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional()
      .describe("How long the old secret keeps signing (default 24 h)"),
  })
  .meta({ id: "RotateWebhookSecretRequest" });

export const ReplayBodySchema = z.strictObject({ eventId: z.string().min(1).max(64) }).meta({ id: "ReplayRequest" });

export const DeliveryAttemptSchema = z
  .object({
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    attempt: z.number().int().positive(),
    ok: z.boolean(),
    status: z.number().int().optional(),
    error: z.string().optional(),
    durationMs: z.number().int(),
    replay: z.boolean(),
    at: z.iso.datetime(),
  })
  .meta({ id: "DeliveryAttempt" });
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;
