import { ConflictError, NotFoundError } from "../../kernel/errors.js";
import { newId } from "../../kernel/ids.js";
import type { Scope } from "../../kernel/tenancy.js";
import { executeSession, loadSession, type SessionContext, type SessionDeps } from "../sessions/service.js";
import { GENERATE_MINUTES, type ActionAccepted, type SessionActions } from "./model.js";
import { enabledPlugins, getPlugin } from "./settings.js";

/**
 * Plugin actions: what a session's action menu shows (the project's enabled plugins, with the actions
 * each contributes), and running one — a `session.action.requested` event in the session's log, which
 * the plugin's rule routes to its queue; the annotation it produces names the request in its trigger.
 */
export async function getSessionActions(
  store: SessionDeps["store"],
  scope: Scope,
  sessionId: string,
): Promise<SessionActions> {
  const [session, plugins] = await Promise.all([loadSession(store, scope, sessionId), enabledPlugins(store, scope)]);
  return {
    sessionId: session.id,
    plugins: plugins.map((p) => ({
      id: p.id,
      pluginInstanceId: p.pluginInstanceId,
      name: p.name,
      description: p.description,
      actions: p.actions,
    })),
  };
}

/** Requests a plugin action (202: it runs on the plugin's queue). A disabled plugin's actions are a 409. */
export async function runAction(
  deps: SessionDeps,
  ctx: SessionContext,
  sessionId: string,
  pluginId: string,
  actionId: string,
): Promise<ActionAccepted> {
  // The session first: an unknown session is a 404 whatever the plugin.
  await loadSession(deps.store, ctx, sessionId);
  const plugin = await getPlugin(deps.store, ctx, pluginId);
  const action = plugin.actions.find((a) => a.id === actionId);
  if (!action) {
    const known = plugin.actions.map((a) => a.id).join(", ") || "none";
    throw new NotFoundError(`plugin ${plugin.id} has no action ${actionId} (its actions: ${known})`);
  }
  if (!plugin.enabled) {
    throw new ConflictError(
      `plugin ${plugin.id} is disabled for this project; enable it to run its actions`,
      "plugin_disabled",
    );
  }
  const requestId = newId("request", deps.clock.now().getTime());
  await executeSession(deps, ctx, sessionId, (session) => [
    { type: "session.action.requested", session, data: { action: { pluginId: plugin.id, actionId, requestId } } },
  ]);
  return {
    message: `${action.name} requested`,
    sessionId,
    pluginId: plugin.id,
    actionId,
    requestId,
  };
}

/** `regenerateSummary()`: the summary plugin's Generate minutes action. */
export function regenerateSummary(deps: SessionDeps, ctx: SessionContext, sessionId: string): Promise<ActionAccepted> {
  return runAction(deps, ctx, sessionId, "summary", GENERATE_MINUTES);
}
