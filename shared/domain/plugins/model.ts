import * as z from "../../kernel/zod.js";

/**
 * Plugins and their annotations (seed 003's second half). A plugin is a consumer of session events that
 * writes annotations: per message (`profanity`, `sentiment`) or per session (`summary`, `action_items`,
 * and the `sentiment` roll-up). The catalog below is code — a deployment's plugins are its functions —
 * and each project enables, disables and configures its instance of each (`PUT …/plugins/{pluginId}`).
 */

export const ANNOTATION_TYPES = ["profanity", "summary", "action_items", "sentiment"] as const;
export type AnnotationType = (typeof ANNOTATION_TYPES)[number];

export const PLUGIN_IDS = ["profanity", "sentiment", "summary", "action_items"] as const;
export type PluginId = (typeof PLUGIN_IDS)[number];

/** What set a plugin off; one annotation per (plugin, message or session, trigger) — redeliveries write nothing. */
export const TRIGGER_KINDS = ["message.created", "session.ended", "action"] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export const AnnotationTriggerSchema = z.withMeta(
  z.object({
    kind: z.enum(TRIGGER_KINDS),
    actionId: z.withDescription(z.optional(z.string()), "For an action: which one"),
    requestId: z.withDescription(z.optional(z.string()), "For an action: the request that ran it (req_…)"),
  }),
  { id: "AnnotationTrigger" },
);
export type AnnotationTrigger = z.infer<typeof AnnotationTriggerSchema>;

const annotationFields = {
  id: z.withDescription(z.string(), "Annotation id (ann_…)"),
  tenantId: z.string(),
  projectId: z.string(),
  sessionId: z.withDescription(z.string(), "The session the annotated message or session belongs to"),
  pluginId: z.enum(PLUGIN_IDS),
  pluginInstanceId: z.withDescription(z.optional(z.string()), "The project's instance of the plugin that wrote it"),
  type: z.enum(ANNOTATION_TYPES),
  data: z.withDescription(
    z.record(z.string(), z.unknown()),
    "What the plugin found; always names the `engine` that made it (a word list, NLP, or a model)",
  ),
  trigger: AnnotationTriggerSchema,
  createdAt: z.iso.datetime(),
  version: z.withDescription(
    z.optional(z.number().check(z.int(), z.positive())),
    "The session event that published it (once published)",
  ),
};

export const MessageAnnotationSchema = z.withMeta(
  z.object({
    ...annotationFields,
    messageId: z.withDescription(z.string(), "The message this annotation is attached to"),
  }),
  { id: "MessageAnnotation" },
);
export type MessageAnnotation = z.infer<typeof MessageAnnotationSchema>;

export const SessionAnnotationSchema = z.withMeta(
  z.object({
    ...annotationFields,
    current: z.withDescription(
      z.boolean(),
      "The newest annotation of its type: a regenerated summary supersedes, and keeps, the previous one",
    ),
  }),
  { id: "SessionAnnotation" },
);
export type SessionAnnotation = z.infer<typeof SessionAnnotationSchema>;

export const PluginActionSchema = z.withMeta(z.object({ id: z.string(), name: z.string(), description: z.string() }), {
  id: "PluginAction",
});
export type PluginAction = z.infer<typeof PluginActionSchema>;

/** A plugin as the catalog declares it (code), with its per-project configuration schema and defaults. */
export interface PluginDefinition<C extends z.ZodMiniType = z.ZodMiniType> {
  id: PluginId;
  name: string;
  description: string;
  writes: readonly AnnotationType[];
  listensTo: readonly TriggerKind[];
  actions: readonly PluginAction[];
  config: C;
  defaults: { enabled: boolean; config: z.infer<C> };
}

const ProfanityConfigSchema = z.strictObject({});
const SentimentConfigSchema = z.strictObject({
  sessionRollup: z.withDescription(
    z.boolean(),
    "At the end, one session-level sentiment annotation of the whole meeting",
  ),
});
const SummaryConfigSchema = z.strictObject({
  maxSentences: z.withDescription(
    z.number().check(z.int(), z.minimum(1), z.maximum(10)),
    "Sentences in the summary (the local engine picks these)",
  ),
});
const ActionItemsConfigSchema = z.strictObject({});

/** Generates minutes: the summary plugin's action; `regenerateSummary()` runs it. */
export const GENERATE_MINUTES = "generate-minutes";
export const EXTRACT_ACTION_ITEMS = "extract-action-items";

export const PLUGINS = {
  profanity: {
    id: "profanity",
    name: "Profanity",
    description: "Flags profanity in each utterance: the matched spans and a censored text.",
    writes: ["profanity"],
    listensTo: ["message.created"],
    actions: [],
    config: ProfanityConfigSchema,
    defaults: { enabled: true, config: {} },
  },
  sentiment: {
    id: "sentiment",
    name: "Sentiment",
    description: "Scores each utterance from −1 (negative) to 1 (positive), and the whole meeting at its end.",
    writes: ["sentiment"],
    listensTo: ["message.created", "session.ended"],
    actions: [],
    config: SentimentConfigSchema,
    defaults: { enabled: true, config: { sessionRollup: true } },
  },
  summary: {
    id: "summary",
    name: "Summary",
    description: "Summarizes the meeting when it ends, and on demand.",
    writes: ["summary"],
    listensTo: ["session.ended", "action"],
    actions: [
      {
        id: GENERATE_MINUTES,
        name: "Generate minutes",
        description: "Summarize the meeting so far; the new summary supersedes the previous one, which is kept.",
      },
    ],
    config: SummaryConfigSchema,
    defaults: { enabled: true, config: { maxSentences: 3 } },
  },
  action_items: {
    id: "action_items",
    name: "Action items",
    description: "Finds who agreed to do what, and by when, when the meeting ends, and on demand.",
    writes: ["action_items"],
    listensTo: ["session.ended", "action"],
    actions: [
      {
        id: EXTRACT_ACTION_ITEMS,
        name: "Find action items",
        description: "List the action items of the meeting so far (owner, task, due date).",
      },
    ],
    config: ActionItemsConfigSchema,
    defaults: { enabled: true, config: {} },
  },
} as const satisfies { [K in PluginId]: PluginDefinition & { id: K } };

export type PluginConfig<P extends PluginId> = z.infer<(typeof PLUGINS)[P]["config"]>;

/** A project's instance of a plugin, with the catalog's description of it. */
export const PluginInstanceSchema = z.withMeta(
  z.object({
    id: z.withDescription(z.enum(PLUGIN_IDS), "The plugin id"),
    pluginInstanceId: z.withDescription(z.string(), "This project's instance of it"),
    name: z.string(),
    description: z.string(),
    writes: z.withDescription(z.array(z.enum(ANNOTATION_TYPES)), "The annotation types it writes"),
    listensTo: z.withDescription(z.array(z.enum(TRIGGER_KINDS)), "What sets it off"),
    actions: z.array(PluginActionSchema),
    enabled: z.boolean(),
    config: z.withDescription(z.record(z.string(), z.unknown()), "Its configuration (defaults filled in)"),
    updatedAt: z.withDescription(
      z.optional(z.iso.datetime()),
      "When this project last changed it (absent: the defaults)",
    ),
  }),
  { id: "PluginInstance" },
);
export type PluginInstance = z.infer<typeof PluginInstanceSchema>;

export const PluginListSchema = z.withMeta(z.object({ items: z.array(PluginInstanceSchema) }), { id: "PluginList" });

export const UpdatePluginBodySchema = z.withMeta(
  z
    .strictObject({
      enabled: z.optional(z.boolean()),
      config: z.withDescription(
        z.optional(z.record(z.string(), z.unknown())),
        "Replaces the configuration (checked per plugin)",
      ),
    })
    .check(z.refine((b) => Object.keys(b).length > 0, { message: "name enabled or config" })),
  { id: "UpdatePluginBody" },
);
export type UpdatePluginBody = z.infer<typeof UpdatePluginBodySchema>;

/** `getActions()`: the enabled plugins of the session's project, with their actions. */
export const SessionActionsSchema = z.withMeta(
  z.object({
    sessionId: z.string(),
    plugins: z.array(
      z.object({
        id: z.enum(PLUGIN_IDS),
        pluginInstanceId: z.string(),
        name: z.string(),
        description: z.string(),
        actions: z.array(PluginActionSchema),
      }),
    ),
  }),
  { id: "SessionActions" },
);
export type SessionActions = z.infer<typeof SessionActionsSchema>;

/** What `POST …/actions/{pluginId}/{actionId}` and `…/summary/regenerate` answer (202). */
export const ActionAcceptedSchema = z.withMeta(
  z.object({
    message: z.string(),
    sessionId: z.string(),
    pluginId: z.enum(PLUGIN_IDS),
    actionId: z.string(),
    requestId: z.withDescription(z.string(), "The annotation it produces names this in `trigger.requestId`"),
  }),
  { id: "ActionAccepted" },
);
export type ActionAccepted = z.infer<typeof ActionAcceptedSchema>;

/** The action a session event asks for (`session.action.requested`). */
export const ActionRequestSchema = z.object({
  pluginId: z.enum(PLUGIN_IDS),
  actionId: z.string(),
  requestId: z.string(),
});
export type ActionRequest = z.infer<typeof ActionRequestSchema>;

export function pluginInstanceId(projectId: string, pluginId: PluginId): string {
  return `${projectId}/${pluginId}`;
}

export function isPluginId(value: string): value is PluginId {
  return (PLUGIN_IDS as readonly string[]).includes(value);
}
