import { enc, type ProjectContext } from "./context.js";
import type { CallOptions } from "./transport.js";
import type { PluginInstance, UpdatePluginInput } from "./types.js";

/**
 * The project's plugins: the deployment's catalog (profanity, sentiment, summary, action items), each as
 * this project has it — enabled or not, and configured. A plugin the project never touched runs with
 * its defaults; disabling one stops its new annotations and takes its actions off `getActions()`.
 */
export class Plugins {
  readonly #ctx: ProjectContext;

  /** @internal */
  constructor(ctx: ProjectContext) {
    this.#ctx = ctx;
  }

  /** Every plugin of the catalog, as this project has it. */
  async list(options: CallOptions = {}): Promise<PluginInstance[]> {
    const request = { method: "GET" as const, path: `${this.#ctx.base}/plugins`, ...options };
    return (await this.#ctx.transport.request<{ items: PluginInstance[] }>(request)).body.items;
  }

  /** One plugin as this project has it (read from the list: the catalog is a handful); undefined if unknown. */
  async get(pluginId: string, options: CallOptions = {}): Promise<PluginInstance | undefined> {
    return (await this.list(options)).find((plugin) => plugin.id === pluginId);
  }

  /**
   * Enables, disables or configures this project's instance of a plugin, e.g.
   * `update("summary", { config: { maxSentences: 5 } })`; a configuration replaces the previous one
   * (keys left out take their defaults) and is checked per plugin (400 if it does not fit).
   */
  async update(pluginId: string, input: UpdatePluginInput, options: CallOptions = {}): Promise<PluginInstance> {
    const path = `${this.#ctx.base}/plugins/${enc(pluginId)}`;
    return (await this.#ctx.transport.request<PluginInstance>({ method: "PUT", path, body: input, ...options })).body;
  }
}
