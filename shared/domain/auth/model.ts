import { z } from "zod";
import { KEY_SCOPES, TENANT_ID_PATTERN } from "../../kernel/tenancy.js";

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

/** Where a key may act: one project of the tenant, or every project (`*`). */
const ProjectScopeSchema = z.union([
  z.literal("*"),
  z.string().regex(TENANT_ID_PATTERN, "must be a project id (1–64 letters, digits, '.', '_' or '-') or \"*\""),
]);

/** A tenant admin's key: for one project of the tenant, or tenant-wide (`*`). */
export const CreateTenantKeyBodySchema = CreateKeyBodySchema.extend({
  projectScope: ProjectScopeSchema.describe('The project the key may use, or "*" for every project of the tenant'),
}).meta({ id: "CreateTenantKeyBody" });

export const ListTenantKeysQuerySchema = z.object({
  projectScope: ProjectScopeSchema.optional().describe('Only keys of this project ("*": only tenant-wide keys)'),
});
