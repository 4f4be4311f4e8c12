import type { Scope } from "../../kernel/tenancy.js";
import { projectSettingsKey } from "../../store/keys.js";
import type { Store } from "../../store/store.js";
import type { ProjectSettings, UpdateSettingsBody } from "./model.js";

/** A project's settings; a project that never set one has the defaults (debug audio off, summary email on). */
export async function getSettings(store: Store, scope: Scope): Promise<ProjectSettings> {
  const item = await store.get(projectSettingsKey(scope), { consistent: true });
  return {
    debugAudioEnabled: item?.debugAudioEnabled === true,
    summaryEmailEnabled: item?.summaryEmailEnabled !== false,
    ...(Array.isArray(item?.allowedOrigins) && { allowedOrigins: (item.allowedOrigins as unknown[]).map(String) }),
    ...(typeof item?.updatedAt === "string" && { updatedAt: item.updatedAt }),
  };
}

export async function updateSettings(
  store: Store,
  scope: Scope,
  body: UpdateSettingsBody,
  at: string,
): Promise<ProjectSettings> {
  const current = await getSettings(store, scope);
  const next: ProjectSettings = { ...current, ...body, updatedAt: at };
  await store.transact([{ op: "put", item: { ...projectSettingsKey(scope), kind: "settings", ...next } }]);
  return next;
}
