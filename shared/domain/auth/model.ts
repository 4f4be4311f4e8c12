import { z } from "zod";
import { KEY_SCOPES } from "../../kernel/tenancy.js";

/** The API's view of a key: never its secret or hash. */
export const ApiKeySchema = z
  .object({
    keyId: z.string().describe("key_…: what logs and events name"),
    prefix: z.string().describe("The secret's first characters (ck_AbCd), to recognise it"),
    projectScope: z.string().describe('The project the key may use, or "*" for every project of the tenant'),
    scopes: z.union([z.array(z.enum(KEY_SCOPES)), z.literal("all")]),
    credential: z.enum(["api", "bot"]),
    description: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().optional(),
    revokedAt: z.string().optional(),
    lastUsedAt: z.string().optional(),
  })
  .meta({ id: "ApiKey" });

export const ApiKeyWithSecretSchema = z
  .object({ key: ApiKeySchema, secret: z.string().describe("The key itself: shown once, store it now") })
  .meta({ id: "ApiKeyWithSecret" });

export const CreateKeyBodySchema = z
  .strictObject({
    scopes: z.array(z.enum(KEY_SCOPES)).min(1).max(KEY_SCOPES.length),
    description: z.string().max(200).default(""),
    expiresAt: z.iso.datetime().optional().describe("After this instant the key is refused"),
  })
  .meta({ id: "CreateKeyBody" });
