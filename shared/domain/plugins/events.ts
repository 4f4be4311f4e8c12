import * as z from "../../kernel/zod.js";
import type { EventDefinition } from "../../store/commit.js";
import { SessionSchema } from "../sessions/model.js";
import { ActionRequestSchema, MessageAnnotationSchema, SessionAnnotationSchema } from "./model.js";

/**
 * The plugins' events, all in the session's log (so a watch is snapshot + SSE with no gap), published by
 * the message sequencer when a plugin's annotation item appears (shared/domain/sessions/sequencer.ts).
 * `message.annotation.created` is message-scoped: its `resource` is `message:{messageId}`, as seed 003
 * says — a watcher groups annotations by `messageId`.
 */
export const PLUGIN_EVENTS = {
  "message.annotation.created": {
    aggregate: "session",
    description: "A plugin annotated a message (profanity, sentiment). Resource: message:{messageId}.",
    data: z.object({ annotation: MessageAnnotationSchema }),
    resource: (data: { annotation: { messageId: string } }) => `message:${data.annotation.messageId}`,
    aggregateId: (data: { annotation: { sessionId: string } }) => data.annotation.sessionId,
  },
  "session.annotation.created": {
    aggregate: "session",
    description: "A plugin annotated the session (summary, action items, the sentiment of the meeting).",
    data: z.object({ annotation: SessionAnnotationSchema }),
  },
  "session.action.requested": {
    aggregate: "session",
    description: "A plugin action was requested (e.g. Generate minutes, or regenerateSummary()).",
    data: z.object({ session: SessionSchema, action: ActionRequestSchema }),
  },
} as const satisfies Record<string, EventDefinition>;

export type PluginEventType = keyof typeof PLUGIN_EVENTS;
