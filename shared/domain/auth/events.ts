import * as z from "../../kernel/zod.js";
import type { EventDefinition } from "../../store/commit.js";
import { ApiKeySchema } from "./model.js";

/**
 * The audit events of API keys, each in its key's own log (the `apiKey` aggregate, in the key's project,
 * `*` for a tenant-wide key). The actor is the key that made the change; the data is the key's API view —
 * id, prefix, scopes — never its secret or its hash.
 */
export const KEY_EVENTS = {
  "key.created": {
    aggregate: "apiKey",
    description: "An API key was created (the actor is the key that created it). Never carries the secret.",
    data: z.object({ key: ApiKeySchema }),
  },
  "key.revoked": {
    aggregate: "apiKey",
    description: "An API key was revoked; it is refused once the authorizer's cached answer for it expires.",
    data: z.object({ key: ApiKeySchema }),
  },
  "key.rotated": {
    aggregate: "apiKey",
    description: "An API key was rotated: `replacedBy` is the new key's id; this one works until its expiresAt.",
    data: z.object({ key: ApiKeySchema, replacedBy: z.string() }),
  },
} as const satisfies Record<string, EventDefinition>;

export type KeyEventType = keyof typeof KEY_EVENTS;
