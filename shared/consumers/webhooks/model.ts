import * as z from "../../kernel/zod.js";

/** A webhook endpoint of a project (Standard Webhooks 1.0). Secrets are shown once: at creation and rotation. */
export const WebhookEndpointSchema = z.withMeta(
  z.object({
    id: z.withDescription(z.string(), "Endpoint id (whk_…)"),
    projectId: z.string(),
    url: z.string(),
    events: z.withDescription(z.array(z.string()), "Event filters (`*`, exact types, or `prefix.*`); empty = all"),
    enabled: z.boolean(),
    description: z.optional(z.string()),
    disabledReason: z.withDescription(
      z.optional(z.string()),
      "Why it was disabled, e.g. the receiver answered 410 Gone",
    ),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  }),
  { id: "WebhookEndpoint" },
);
export type WebhookEndpoint = z.infer<typeof WebhookEndpointSchema>;

export const WebhookEndpointWithSecretSchema = z.withMeta(
  z.extend(WebhookEndpointSchema, {
    secret: z.withDescription(z.string(), "whsec_… — store it now; it is not shown again"),
  }),
  { id: "WebhookEndpointWithSecret" },
);

const url = z.url({ protocol: /^https?$/ }).check(z.maxLength(2048));
const events = z.array(z.string().check(z.minLength(1), z.maxLength(200))).check(z.maxLength(50));

export const CreateWebhookBodySchema = z.withMeta(
  z.strictObject({
    url,
    events: z.optional(events),
    enabled: z.optional(z.boolean()),
    description: z.optional(z.string().check(z.trim(), z.maxLength(500))),
  }),
  { id: "CreateWebhookRequest" },
);
export type CreateWebhookBody = z.infer<typeof CreateWebhookBodySchema>;

export const UpdateWebhookBodySchema = z.withMeta(
  z
    .strictObject({
      url: z.optional(url),
      events: z.optional(events),
      enabled: z.optional(z.boolean()),
      description: z.optional(z.string().check(z.trim(), z.maxLength(500))),
    })
    .check(z.refine((b) => Object.keys(b).length > 0, { message: "must change at least one field" })),
  { id: "UpdateWebhookRequest" },
);
export type UpdateWebhookBody = z.infer<typeof UpdateWebhookBodySchema>;

export const RotateSecretBodySchema = z.withMeta(
  z.strictObject({
    graceSeconds: z.withDescription(
      z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(7 * 86_400))),
      "How long the old secret keeps signing (default 24 h)",
    ),
  }),
  { id: "RotateWebhookSecretRequest" },
);

export const ReplayBodySchema = z.withMeta(
  z.strictObject({ eventId: z.string().check(z.minLength(1), z.maxLength(64)) }),
  { id: "ReplayRequest" },
);

export const DeliveryAttemptSchema = z.withMeta(
  z.object({
    id: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    attempt: z.number().check(z.int(), z.positive()),
    ok: z.boolean(),
    status: z.optional(z.number().check(z.int())),
    error: z.optional(z.string()),
    durationMs: z.number().check(z.int()),
    replay: z.boolean(),
    at: z.iso.datetime(),
  }),
  { id: "DeliveryAttempt" },
);
export type DeliveryAttempt = z.infer<typeof DeliveryAttemptSchema>;
