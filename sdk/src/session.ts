import { enc, replaceFields, withFields, type ProjectContext } from "./context.js";
import { DocumentSubscription } from "./subscriptions.js";
import type { CallOptions } from "./transport.js";
import type { SessionData } from "./types.js";

/**
 * A live Session: every API field is on the object (`session.title`, `session.status`), kept current by
 * `refresh()` and by `watch()`.
 *
 * Transcript features (messages, annotations, plugin actions, debug audio, start/stop of the bot,
 * regenerating the summary) are not part of this API yet; they will appear here when it offers them.
 */
export class Session extends withFields<SessionData>() {
  readonly #ctx: ProjectContext;
  #raw: SessionData;

  /** @internal Sessions come from `project.sessions.get(id)` or `gathering.getSession()`. */
  constructor(ctx: ProjectContext, data: SessionData) {
    super(data);
    this.#ctx = ctx;
    this.#raw = data;
  }

  /**
   * The raw API response object.
   * @deprecated The response fields are available directly on this object (`session.title` instead of
   * `session.data.title`). This accessor will be removed before the stable release.
   */
  get data(): SessionData {
    return this.#raw;
  }

  #path(suffix = ""): string {
    return `${this.#ctx.base}/sessions/${enc(this.id)}${suffix}`;
  }

  #observe(data: SessionData): void {
    if (data.version < this.version) return;
    replaceFields(this, this.#raw, data);
    this.#raw = data;
  }

  /** Reloads the session from the API. */
  async refresh(options: CallOptions = {}): Promise<this> {
    const { body } = await this.#ctx.transport.request<SessionData>({ method: "GET", path: this.#path(), ...options });
    this.#observe(body);
    return this;
  }

  /**
   * Live-subscribe to this session. The initial value is loaded via REST, then kept in sync over SSE
   * (the object's own fields follow along).
   */
  watch(): DocumentSubscription<SessionData> {
    return new DocumentSubscription<SessionData>(this.#ctx.transport, {
      path: this.#path("/events"),
      describe: `watch of session ${this.id}`,
      load: async (signal) =>
        (await this.#ctx.transport.request<SessionData>({ method: "GET", path: this.#path(), signal })).body,
      fromEvent: (event) => (event.data as { session?: SessionData }).session,
      versionOf: (session) => session.version,
      observe: (session) => this.#observe(session),
      options: this.#ctx.live,
    });
  }

  toJSON(): SessionData {
    return { ...this.#raw };
  }
}
