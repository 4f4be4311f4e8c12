import {
  applyMessageAnnotationEvent,
  applySessionAnnotationEvent,
  compareMessageAnnotations,
  compareSessionAnnotations,
  MESSAGE_ANNOTATION_EVENT_TYPES,
  MESSAGE_ANNOTATION_PAGE_LIMIT,
  SESSION_ANNOTATION_EVENT_TYPES,
} from "./annotations.js";
import { enc, replaceFields, withFields, type MutationOptions, type ProjectContext } from "./context.js";
import { PageIterator } from "./pagination.js";
import { CollectionSubscription, DocumentSubscription } from "./subscriptions.js";
import type { CallOptions } from "./transport.js";
import type {
  ActionAccepted,
  Attendee,
  DebugAudioLink,
  EventEnvelope,
  ListMessageAnnotationsQuery,
  ListSessionAnnotationsQuery,
  Message,
  MessageAnnotation,
  Page,
  PageQuery,
  SessionActions,
  SessionAnnotation,
  SessionCommandResult,
  SessionData,
  UpdateSessionInput,
} from "./types.js";

/** The event type a transcript view folds in. */
export const MESSAGE_EVENT_TYPES = ["message.created"] as const;

/** The largest page the messages listing serves: a transcript is read whole. */
export const MESSAGE_PAGE_LIMIT = 1000;

/** The transcript's order, the API's own: by `timestamp`, then by `id`. */
export function compareMessages(a: Message, b: Message): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Folds a `message.created` event into a transcript view, by message id. The listing may already hold a
 * message whose event comes later (a message is listed as soon as it is posted, and given its place in
 * the event log just after), so the event replaces it rather than adding a second entry.
 */
export function applyMessageEvent(messages: Map<string, Message>, event: EventEnvelope): void {
  if (event.type !== "message.created") return;
  const message = (event.data as { message?: Message }).message;
  if (message && typeof message.id === "string") messages.set(message.id, message);
}

interface CommandAnswer extends SessionCommandResult {
  session: SessionData;
}

/**
 * Events that carry no session and change nothing of it but its version: a plugin's annotation, given
 * its place in the session's log.
 */
const VERSION_ONLY_EVENT_TYPES: ReadonlySet<string> = new Set([
  ...MESSAGE_ANNOTATION_EVENT_TYPES,
  ...SESSION_ANNOTATION_EVENT_TYPES,
]);

/**
 * The session an event leaves behind: the one it carries; for `message.created`, the current one with
 * the message counted; for an annotation event, the current one at the event's version. Undefined when
 * the event does not say (an unknown event without a session, or nothing current to advance).
 */
export function sessionAfter(event: EventEnvelope, current: SessionData | undefined): SessionData | undefined {
  const carried = (event.data as { session?: SessionData }).session;
  if (carried) return carried;
  if (!current) return undefined;
  if (VERSION_ONLY_EVENT_TYPES.has(event.type)) return { ...current, version: event.version };
  if (event.type !== "message.created") return undefined;
  const message = (event.data as { message?: Message }).message;
  return {
    ...current,
    version: event.version,
    messageCount: current.messageCount + 1,
    ...(message?.type === "user" && { lastActivityAt: event.occurredAt }),
  };
}

/**
 * A live Session. Every field from the API response is available directly on the object
 * (`session.title`, `session.status`, `session.bot.state`, `session.messageCount`, …), and the object
 * exposes action methods: `start()`, `stop()`, `getMessages()`, `watch()`, `watchMessages()`,
 * `downloadDebugAudio()`, `getAttendance()`, `update()`, `refresh()`, `delete()`, and the plugins'
 * `getActions()`, `runAction()`, `regenerateSummary()`, `getSessionAnnotations()`,
 * `getMessageAnnotations()`, `watchSessionAnnotations()`, `watchMessageAnnotations()`. Every call that
 * returns the session updates these fields, and so does `watch()` as events arrive.
 */
export class Session extends withFields<SessionData>() {
  readonly #ctx: ProjectContext;
  #raw: SessionData;

  /** @internal Sessions come from `project.sessions` or `gathering.getSession()`. */
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

  toJSON(): SessionData {
    return { ...this.#raw };
  }

  #path(suffix = ""): string {
    return `${this.#ctx.base}/sessions/${enc(this.id)}${suffix}`;
  }

  /** Takes a newer state of the session (never an older one: answers and events may cross). */
  #observe(data: SessionData): void {
    if (data.id !== this.id || data.version < this.version) return;
    replaceFields(this, this.#raw, data);
    this.#raw = data;
  }

  #call(options: MutationOptions): CallOptions {
    const { ifMatch, ...rest } = options;
    return { ...rest, ifMatch: ifMatch === true ? this.version : ifMatch };
  }

  async #get(options: CallOptions): Promise<SessionData> {
    const { body } = await this.#ctx.transport.request<SessionData>({ method: "GET", path: this.#path(), ...options });
    this.#observe(body);
    return body;
  }

  // ── The session ─────────────────────────────────────────────────────────────────────────────────────

  /** Reloads the session from the API. */
  async refresh(options: CallOptions = {}): Promise<this> {
    await this.#get(options);
    return this;
  }

  /** Changes the title or the idle timeout. `{ ifMatch: true }` pins it to this object's `version`. */
  async update(patch: UpdateSessionInput, options: MutationOptions = {}): Promise<this> {
    const { body } = await this.#ctx.transport.request<SessionData>({
      method: "PATCH",
      path: this.#path(),
      body: patch,
      ...this.#call(options),
    });
    this.#observe(body);
    return this;
  }

  /** Deletes the session with its transcript, attendance and debug audio (the bot is released). */
  async delete(options: MutationOptions = {}): Promise<void> {
    await this.#ctx.transport.request<void>({ method: "DELETE", path: this.#path(), ...this.#call(options) });
  }

  /** Start this session: command the bot to join the room. Resolves once the command is sent. */
  start(options: CallOptions = {}): Promise<SessionCommandResult> {
    return this.#command("/start", options);
  }

  /** Stop this session: it ends, and the bot is commanded to leave the room. */
  stop(options: CallOptions = {}): Promise<SessionCommandResult> {
    return this.#command("/stop", options);
  }

  async #command(suffix: string, options: CallOptions): Promise<SessionCommandResult> {
    const { body } = await this.#ctx.transport.request<CommandAnswer>({
      method: "POST",
      path: this.#path(suffix),
      ...options,
    });
    this.#observe(body.session);
    return { message: body.message };
  }

  // ── Transcript and attendance ───────────────────────────────────────────────────────────────────────

  #pages<T>(
    suffix: string,
    limit: number,
    query: PageQuery,
    options: { signal?: AbortSignal; filters?: Record<string, string | undefined> } = {},
  ): PageIterator<T> {
    return new PageIterator(async (cursor) => {
      const { body } = await this.#ctx.transport.request<Page<T>>({
        method: "GET",
        path: this.#path(suffix),
        query: { ...options.filters, limit: query.limit ?? limit, cursor },
        signal: options.signal,
      });
      return body;
    }, query.cursor);
  }

  /** The transcript page by page, in chronological order (`for await` yields each message). */
  messages(query: PageQuery = {}): PageIterator<Message> {
    return this.#pages("/messages", MESSAGE_PAGE_LIMIT, query);
  }

  /** The whole transcript (every page), in chronological order: by `timestamp`, then `id`. */
  getMessages(): Promise<Message[]> {
    return this.messages().toArray();
  }

  /** Who was in the room, page by page. */
  attendance(query: PageQuery = {}): PageIterator<Attendee> {
    return this.#pages("/attendance", 100, query);
  }

  /** Everyone who was in the room (every page), with the intervals they were there. */
  getAttendance(): Promise<Attendee[]> {
    return this.attendance().toArray();
  }

  /**
   * Downloads the debug-audio WAV of one message — the audio that was transcribed — to investigate
   * transcription quality. Available while the project enables debug audio (`project.settings`) and for
   * 24 hours after the message; check `message.hasDebugAudio` first. Fails with a 404 CortexError when
   * the message has none, 410 once the retention window has passed.
   *
   * The API answers with a short-lived presigned URL, fetched without this client's credentials (so it
   * works in a browser too, given the bucket's CORS rules).
   */
  async downloadDebugAudio(messageId: string, options: CallOptions = {}): Promise<Blob> {
    const { body: link } = await this.#ctx.transport.request<DebugAudioLink>({
      method: "GET",
      path: this.#path(`/messages/${enc(messageId)}/debug-audio`),
      query: { redirect: false },
      ...options,
    });
    const bytes = await this.#ctx.transport.download(link.url, options);
    return new Blob([bytes], { type: "audio/wav" });
  }

  // ── Plugins: actions and annotations ─────────────────────────────────────────────────────────────────

  /**
   * The plugin actions available for this session, grouped by the plugin that contributes them (the
   * project's enabled plugins): what an action menu shows, e.g. "Generate minutes".
   */
  async getActions(options: CallOptions = {}): Promise<SessionActions> {
    const request = { method: "GET" as const, path: this.#path("/actions"), ...options };
    return (await this.#ctx.transport.request<SessionActions>(request)).body;
  }

  /**
   * Runs a plugin action (as `getActions()` lists them). Resolves once it is accepted; the plugin runs it
   * on its queue, and the annotation it produces names the answer's `requestId` in `trigger.requestId`.
   * A disabled plugin's action fails with a 409 CortexError (`plugin_disabled`).
   */
  async runAction(pluginId: string, actionId: string, options: CallOptions = {}): Promise<ActionAccepted> {
    const path = this.#path(`/actions/${enc(pluginId)}/${enc(actionId)}`);
    return (await this.#ctx.transport.request<ActionAccepted>({ method: "POST", path, ...options })).body;
  }

  /**
   * Regenerate the summary for this session. Resolves once the request is accepted; the new summary
   * arrives as a `session.annotation.created` (see `watchSessionAnnotations()`) and supersedes the
   * previous one, which is kept with `current: false`. Pass `idempotencyKey` to make a retry across
   * restarts one request.
   */
  async regenerateSummary(options: CallOptions = {}): Promise<void> {
    await this.#ctx.transport.request<ActionAccepted>({
      method: "POST",
      path: this.#path("/summary/regenerate"),
      ...options,
    });
  }

  /** The session-level annotations (summaries, action items, the meeting's sentiment), oldest first. */
  async getSessionAnnotations(
    query: ListSessionAnnotationsQuery = {},
    options: CallOptions = {},
  ): Promise<SessionAnnotation[]> {
    const { body } = await this.#ctx.transport.request<{ items: SessionAnnotation[] }>({
      method: "GET",
      path: this.#path("/annotations"),
      query: { type: query.type },
      ...options,
    });
    return body.items;
  }

  /** The annotations of this session's messages (profanity, sentiment) page by page, by message id. */
  messageAnnotations(query: ListMessageAnnotationsQuery = {}): PageIterator<MessageAnnotation> {
    const { messageId, ...page } = query;
    return this.#pages("/message-annotations", MESSAGE_ANNOTATION_PAGE_LIMIT, page, { filters: { messageId } });
  }

  /** Every annotation of this session's messages (every page), or of one message (`{ messageId }`). */
  getMessageAnnotations(query: Pick<ListMessageAnnotationsQuery, "messageId"> = {}): Promise<MessageAnnotation[]> {
    return this.messageAnnotations(query).toArray();
  }

  // ── Live views ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * Live-subscribe to this session. The initial value is loaded via REST, then kept in sync over SSE
   * (the object's own fields follow along); `current` becomes undefined if the session is deleted.
   * A transcript event (`message.created`) carries only its message; the session it implies — the next
   * version, one more message, and for an utterance the activity time — is folded in, exactly as the
   * server commits it, so the object's `version` stays usable for `If-Match` during a meeting.
   */
  watch(): DocumentSubscription<SessionData> {
    return new DocumentSubscription<SessionData>(this.#ctx.transport, {
      path: this.#path("/events"),
      describe: `watch of session ${this.id}`,
      load: (signal) => this.#get({ signal }),
      fromEvent: (event, current) => sessionAfter(event, current),
      removes: (event) => event.type === "session.deleted",
      versionOf: (session) => session.version,
      observe: (session) => this.#observe(session),
      options: this.#ctx.live,
    });
  }

  /**
   * Live-subscribe to this session's transcript, in chronological order (by `timestamp`, then `id`, as
   * `getMessages()` orders it). The session's version is read first, then every page of messages, then
   * the `message.created` events after that version: no message is missed, and none appears twice.
   */
  watchMessages(): CollectionSubscription<Message> {
    return new CollectionSubscription<Message>(this.#ctx.transport, {
      path: this.#path("/events"),
      types: MESSAGE_EVENT_TYPES,
      describe: `watch of the messages of session ${this.id}`,
      idOf: (message) => message.id,
      compare: compareMessages,
      load: async (signal) => {
        const { version } = await this.#get({ signal });
        return {
          version,
          items: await this.#pages<Message>("/messages", MESSAGE_PAGE_LIMIT, {}, { signal }).toArray(),
        };
      },
      apply: applyMessageEvent,
      options: this.#ctx.live,
    });
  }

  /**
   * Live-subscribe to message annotations for this session's messages, in the listing's order (by
   * message id, then plugin). The session's version is read first, then every page of
   * `getMessageAnnotations()`; `message.annotation.created` events after that version fold new
   * annotations in as plugins emit them.
   *
   * Note: `message.annotation.created` is message-scoped (its `resource` is `message:{id}`, not the
   * session), and the reducer can't cheaply verify which session a given messageId belongs to. Group the
   * returned annotations by `messageId` and render only the ones for messages you already know belong to
   * this session: pair this watch with `watchMessages()` or `getMessages()` and use that messageId set as
   * the filter on the rendering side.
   */
  watchMessageAnnotations(): CollectionSubscription<MessageAnnotation> {
    return new CollectionSubscription<MessageAnnotation>(this.#ctx.transport, {
      path: this.#path("/events"),
      types: MESSAGE_ANNOTATION_EVENT_TYPES,
      describe: `watch of the message annotations of session ${this.id}`,
      idOf: (annotation) => annotation.id,
      compare: compareMessageAnnotations,
      load: async (signal) => {
        const { version } = await this.#get({ signal });
        const pages = this.#pages<MessageAnnotation>(
          "/message-annotations",
          MESSAGE_ANNOTATION_PAGE_LIMIT,
          {},
          {
            signal,
          },
        );
        return { version, items: await pages.toArray() };
      },
      apply: applyMessageAnnotationEvent,
      options: this.#ctx.live,
    });
  }

  /**
   * Live-subscribe to session-level annotations for this session (summaries, action items, the meeting's
   * sentiment), oldest first as `getSessionAnnotations()` lists them. The session's version is read
   * first, then the annotations; `session.annotation.created` events after that version fold new ones
   * in. A new annotation is `current`, and the one of the same type it supersedes turns `current: false`
   * (it is kept), so the view always equals a fresh read.
   */
  watchSessionAnnotations(): CollectionSubscription<SessionAnnotation> {
    return new CollectionSubscription<SessionAnnotation>(this.#ctx.transport, {
      path: this.#path("/events"),
      types: SESSION_ANNOTATION_EVENT_TYPES,
      describe: `watch of the session annotations of session ${this.id}`,
      idOf: (annotation) => annotation.id,
      compare: compareSessionAnnotations,
      load: async (signal) => {
        const { version } = await this.#get({ signal });
        return { version, items: await this.getSessionAnnotations({}, { signal }) };
      },
      apply: applySessionAnnotationEvent,
      options: this.#ctx.live,
    });
  }
}
