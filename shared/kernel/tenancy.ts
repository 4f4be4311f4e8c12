/**
 * Who owns data. Every stored item of a project is keyed under its tenant *and* project (see
 * `store/keys.ts`), so two tenants that pick the same project id never share a partition, and a query
 * built from an authenticated scope cannot reach another tenant's items.
 */
export interface Scope {
  tenantId: string;
  projectId: string;
}

/** Who is calling, as the authorizer resolved the credential. */
export interface Principal {
  tenantId: string;
  /** The project this key may use, or "*" for a tenant key. */
  projectScope: string;
  keyId: string;
  /** Who the key stands for in events; an API key unless the caller is a user function. */
  actorType?: "apiKey" | "function" | "bot" | "participant";
  /**
   * What the key may do: a project key (`api`, the default) uses the API; a `bot` key may only report for
   * sessions (the bot API) and nothing else.
   */
  credential?: Credential;
  /** A participant token (`credential: "participant"`): the one participant it may act as. */
  participantId?: string;
  /** A participant token limited to these gatherings (absent: any gathering the participant is a member of). */
  gatherings?: string[];
  /** When a participant token expires (ISO 8601). */
  expiresAt?: string;
  /**
   * What this key may do on the API (see `requiredScope` in shared/domain/auth/scopes.ts); absent = every
   * scope, so keys minted before scopes existed keep their full power.
   */
  scopes?: readonly KeyScope[];
}

/** A key's scopes: `read` (GET), `write` (other changes), `admin` (keys and settings), `bot` (the bot API). */
export const KEY_SCOPES = ["read", "write", "admin", "bot"] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

export const CREDENTIALS = ["api", "bot", "participant"] as const;
export type Credential = (typeof CREDENTIALS)[number];

/** Tenant ids are chosen by the operator when minting keys; `#` (the key delimiter) can never appear. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
