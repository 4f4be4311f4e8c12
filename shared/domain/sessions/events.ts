import { z } from "zod";
import type { EventDefinition } from "../../store/commit.js";
import { SessionSchema } from "./model.js";

/** The session aggregate's events (assembled into the catalog by `events/catalog.ts`). */
const session = z.object({ session: SessionSchema });

export const SESSION_EVENTS = {
  "session.created": { aggregate: "session", description: "A session started transcribing a room.", data: session },
  "session.ended": { aggregate: "session", description: "A session ended.", data: session },
} as const satisfies Record<string, EventDefinition>;

export type SessionEventType = keyof typeof SESSION_EVENTS;
