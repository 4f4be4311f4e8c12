import { ForbiddenError, ValidationError } from "../../kernel/errors.js";
import { KEY_SCOPES, type KeyScope } from "../../kernel/tenancy.js";

/** `"read,write"` → `["read", "write"]`; an unknown or empty list is a 400 naming the scopes there are. */
export function parseScopes(raw: string): KeyScope[] {
  const names = raw
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const unknown = names.filter((name) => !(KEY_SCOPES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new ValidationError(`scopes must be a non-empty list of ${KEY_SCOPES.join(", ")}`, [
      { path: "scopes", message: unknown.length > 0 ? `unknown scope ${unknown.join(", ")}` : "empty" },
    ]);
  }
  return KEY_SCOPES.filter((scope) => names.includes(scope));
}

/** How the authorizer context carries scopes (context values are strings): `*` for a key without scopes. */
export function formatScopes(scopes: readonly KeyScope[] | undefined): string {
  return scopes === undefined ? "*" : scopes.join(",");
}

/** A key without a `scopes` field predates scopes and holds all of them. */
export function hasScope(scopes: readonly KeyScope[] | undefined, wanted: KeyScope): boolean {
  return scopes === undefined || scopes.includes(wanted);
}

/** A key hands out only what it holds: creating or rotating a key with a scope the caller lacks is a 403. */
export function requireScopesHeld(
  held: readonly KeyScope[] | undefined,
  wanted: readonly KeyScope[] | undefined,
): void {
  const missing = (wanted ?? KEY_SCOPES).filter((scope) => !hasScope(held, scope));
  if (missing.length > 0) {
    throw new ForbiddenError(`This key cannot hand out scopes it does not hold: ${missing.join(", ")}`, {
      missingScope: missing[0],
    });
  }
}
