import { NotFoundError, ValidationError } from "../../kernel/errors.js";
import type { Scope } from "../../kernel/tenancy.js";
import { PLUGIN_SETTINGS_SK_PREFIX, pluginSettingsKey } from "../../store/keys.js";
import type { Item, Store } from "../../store/store.js";
import {
  isPluginId,
  PLUGIN_IDS,
  PLUGINS,
  pluginInstanceId,
  type PluginDefinition,
  type PluginId,
  type PluginInstance,
  type UpdatePluginBody,
} from "./model.js";

/**
 * A project's plugin instances: the catalog's plugins with what the project set (enabled, configuration).
 * A plugin the project never touched runs with its defaults. Consumers read this at each event, so
 * disabling a plugin stops its new annotations at once.
 */
function instanceOf(scope: Scope, definition: PluginDefinition, item: Item | undefined): PluginInstance {
  const stored = item?.config !== undefined ? definition.config.safeParse(item.config) : undefined;
  return {
    id: definition.id,
    pluginInstanceId: pluginInstanceId(scope.projectId, definition.id),
    name: definition.name,
    description: definition.description,
    writes: [...definition.writes],
    listensTo: [...definition.listensTo],
    actions: definition.actions.map((a) => ({ ...a })),
    enabled: typeof item?.enabled === "boolean" ? item.enabled : definition.defaults.enabled,
    // A configuration stored by an older version that no longer parses falls back to the defaults.
    config: { ...(definition.defaults.config as object), ...(stored?.success ? (stored.data as object) : {}) },
    ...(typeof item?.updatedAt === "string" && { updatedAt: item.updatedAt }),
  };
}

function definitionOf(pluginId: string): PluginDefinition {
  if (!isPluginId(pluginId)) {
    throw new NotFoundError(`plugin ${pluginId} not found (plugins: ${PLUGIN_IDS.join(", ")})`);
  }
  return PLUGINS[pluginId] as PluginDefinition;
}

/** Every plugin of the catalog, as this project has it. */
export async function listPlugins(store: Store, scope: Scope): Promise<PluginInstance[]> {
  // One query for the project's plugin items (they share the settings partition), not a read per plugin.
  const { PK } = pluginSettingsKey(scope, "");
  const { items } = await store.query({ pk: PK, beginsWith: PLUGIN_SETTINGS_SK_PREFIX, consistent: true, limit: 100 });
  const byId = new Map(items.map((item) => [item.SK.slice(PLUGIN_SETTINGS_SK_PREFIX.length), item]));
  return PLUGIN_IDS.map((id) => instanceOf(scope, PLUGINS[id] as PluginDefinition, byId.get(id)));
}

export async function getPlugin(store: Store, scope: Scope, pluginId: string): Promise<PluginInstance> {
  const definition = definitionOf(pluginId);
  const item = await store.get(pluginSettingsKey(scope, definition.id), { consistent: true });
  return instanceOf(scope, definition, item);
}

/** Enables, disables or configures the project's instance of a plugin; the configuration is checked whole. */
export async function updatePlugin(
  store: Store,
  scope: Scope,
  pluginId: string,
  body: UpdatePluginBody,
  at: string,
): Promise<PluginInstance> {
  const definition = definitionOf(pluginId);
  const current = await getPlugin(store, scope, definition.id);
  let config = current.config;
  if (body.config !== undefined) {
    const parsed = definition.config.safeParse({ ...(definition.defaults.config as object), ...body.config });
    if (!parsed.success) {
      throw new ValidationError(
        `The configuration of plugin ${definition.id} is not valid`,
        parsed.error.issues.map((issue) => ({
          path: ["config", ...issue.path.map(String)].join("."),
          message: issue.message,
        })),
      );
    }
    config = parsed.data as Record<string, unknown>;
  }
  const enabled = body.enabled ?? current.enabled;
  await store.transact([
    {
      op: "put",
      item: { ...pluginSettingsKey(scope, definition.id), kind: "pluginSettings", enabled, config, updatedAt: at },
    },
  ]);
  return instanceOf(scope, definition, { PK: "", SK: "", enabled, config, updatedAt: at });
}

/** The plugins a project has enabled (what `getActions()` lists and what consumers act for). */
export async function enabledPlugins(store: Store, scope: Scope): Promise<PluginInstance[]> {
  return (await listPlugins(store, scope)).filter((p) => p.enabled);
}

export type { PluginId };
