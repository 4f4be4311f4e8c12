import * as z from "../../kernel/zod.js";
import { KEY_SCOPES, TENANT_ID_PATTERN } from "../../kernel/tenancy.js";

/** The API's view of a key: never its secret or hash. */
export const ApiKeySchema = z.withMeta(
  z.object({
    keyId: z.withDescription(z.string(), "key_…: what logs and events name"),
    prefix: z.withDescription(z.string(), "The secret's first characters (ck_AbCd), to recognise it"),
    projectScope: z.withDescription(z.string(), 'The project the key may use, or "*" for every project of the tenant'),
    scopes: z.union([z.array(z.enum(KEY_SCOPES)), z.literal("all")]),
    credential: z.enum(["api", "bot"]),
    description: z.string(),
    createdAt: z.string(),
    expiresAt: z.optional(z.string()),
    revokedAt: z.optional(z.string()),
    lastUsedAt: z.optional(z.string()),
  }),
  { id: "ApiKey" },
);

export const ApiKeyWithSecretSchema = z.withMeta(
  z.object({ key: ApiKeySchema, secret: z.withDescription(z.string(), "The key itself: shown once, store it now") }),
  { id: "ApiKeyWithSecret" },
);

export const CreateKeyBodySchema = z.withMeta(
  z.strictObject({
    scopes: z.array(z.enum(KEY_SCOPES)).check(z.minLength(1), z.maxLength(KEY_SCOPES.length)),
    description: z._default(z.string().check(z.maxLength(200)), ""),
    expiresAt: z.withDescription(z.optional(z.iso.datetime()), "After this instant the key is refused"),
  }),
  { id: "CreateKeyBody" },
);

/** Where a key may act: one project of the tenant, or every project (`*`). */
const ProjectScopeSchema = z.union([
  z.literal("*"),
  z.string().check(z.regex(TENANT_ID_PATTERN, "must be a project id (1–64 letters, digits, '.', '_' or '-') or \"*\"")),
]);

/** A tenant admin's key: for one project of the tenant, or tenant-wide (`*`). */
export const CreateTenantKeyBodySchema = z.withMeta(
  z.extend(CreateKeyBodySchema, {
    projectScope: z.withDescription(
      ProjectScopeSchema,
      'The project the key may use, or "*" for every project of the tenant',
    ),
  }),
  { id: "CreateTenantKeyBody" },
);

export const ListTenantKeysQuerySchema = z.object({
  projectScope: z.withDescription(
    z.optional(ProjectScopeSchema),
    'Only keys of this project ("*": only tenant-wide keys)',
  ),
});
