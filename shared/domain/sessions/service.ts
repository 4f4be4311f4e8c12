import { NotFoundError } from "../../kernel/errors.js";
import type { Scope } from "../../kernel/tenancy.js";
import { isId } from "../../kernel/ids.js";
import { aggregateRootKey } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import { SessionSchema, type Session } from "./model.js";

export async function getSession(store: Store, scope: Scope, id: string): Promise<Session> {
  if (!isId("session", id)) throw new NotFoundError(`session ${id} not found`);
  const item = await store.get(aggregateRootKey("session", scope, id), { consistent: true });
  if (!item) throw new NotFoundError(`session ${id} not found`);
  return SessionSchema.parse(item);
}
