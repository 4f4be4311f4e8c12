import { enc, type ProjectContext } from "./context.js";
import { Gathering } from "./gathering.js";
import { PageIterator } from "./pagination.js";
import { Plugins } from "./plugins.js";
import { Session } from "./session.js";
import type { LiveOptions } from "./sse.js";
import { Transport, type CallOptions, type FetchLike } from "./transport.js";
import type {
  CreateGatheringInput,
  CreateSessionInput,
  EventEnvelope,
  GatheringData,
  JoinByCodeInput,
  ListGatheringsQuery,
  ListSessionsQuery,
  Member,
  Page,
  PageQuery,
  Participant,
  ProjectSettings,
  PutParticipantInput,
  SessionData,
  UpdateSettingsInput,
} from "./types.js";
import { Webhooks } from "./webhooks.js";

export interface CortexClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000` for `npm start`. */
  baseUrl: string;
  /**
   * The project API key (sent as `Authorization: Bearer …`), for servers. Give this or `token`.
   */
  apiKey?: string | undefined;
  /**
   * A participant token (`cpt_…`) that a game server minted with `POST /v1/projects/{projectId}/tokens`,
   * for a player's client: it may only join by code, ready, unready, leave, and read or watch its
   * gatherings. Give this or `apiKey`.
   */
  token?: string | undefined;
  /** A fetch implementation (default: the global `fetch`). */
  fetch?: FetchLike | undefined;
  /** Retries of an idempotent call on 429, 5xx and network errors (default 3). */
  maxRetries?: number | undefined;
  /** Per-attempt timeout of a call in milliseconds (default 30 000). */
  timeoutMs?: number | undefined;
  /** Base of the retry backoff in milliseconds (default 250). */
  retryBaseMs?: number | undefined;
  /** Tuning of live views (`watch*()`). */
  live?: LiveOptions | undefined;
}

/** The entry point: `new CortexClient({ baseUrl, apiKey }).project(id)` (or `{ baseUrl, token }` in a player's client). */
export class CortexClient {
  readonly #transport: Transport;
  readonly #live: LiveOptions;

  constructor(options: CortexClientOptions) {
    if (!options.baseUrl) throw new TypeError("CortexClient needs a baseUrl");
    if (options.apiKey && options.token) {
      throw new TypeError("CortexClient takes an apiKey or a participant token, not both");
    }
    const credential = options.apiKey || options.token;
    if (!credential) {
      throw new TypeError(
        "CortexClient needs an apiKey (a server) or a token (a player's client); is the variable holding it set?",
      );
    }
    this.#transport = new Transport({ ...options, apiKey: credential });
    this.#live = options.live ?? {};
  }

  get baseUrl(): string {
    return this.#transport.baseUrl;
  }

  /** One project's resources. */
  project(projectId: string): Project {
    return new Project({
      transport: this.#transport,
      projectId,
      base: `/v1/projects/${enc(projectId)}`,
      live: this.#live,
    });
  }
}

export class Project {
  readonly id: string;
  readonly gatherings: Gatherings;
  readonly participants: Participants;
  readonly webhooks: Webhooks;
  readonly sessions: Sessions;
  readonly settings: Settings;
  readonly plugins: Plugins;
  readonly #ctx: ProjectContext;

  /** @internal */
  constructor(ctx: ProjectContext) {
    this.#ctx = ctx;
    this.id = ctx.projectId;
    this.gatherings = new Gatherings(ctx);
    this.participants = new Participants(ctx);
    this.webhooks = new Webhooks(ctx);
    this.sessions = new Sessions(ctx);
    this.settings = new Settings(ctx);
    this.plugins = new Plugins(ctx);
  }

  /** The project's activity log: every delivered domain event, oldest first. */
  activity(query: PageQuery = {}): PageIterator<EventEnvelope> {
    return new PageIterator(async (cursor) => {
      const { body } = await this.#ctx.transport.request<Page<EventEnvelope>>({
        method: "GET",
        path: `${this.#ctx.base}/activity`,
        query: { limit: query.limit, cursor },
      });
      return body;
    }, query.cursor);
  }
}

/** The result of joining by code: the live gathering and the member you now are. */
export interface JoinResult {
  gathering: Gathering;
  member: Member;
}

export class Gatherings {
  readonly #ctx: ProjectContext;

  /** @internal */
  constructor(ctx: ProjectContext) {
    this.#ctx = ctx;
  }

  #path(suffix = ""): string {
    return `${this.#ctx.base}/gatherings${suffix}`;
  }

  /** Creates a gathering (lobby, appointment or open). */
  async create(input: CreateGatheringInput, options: CallOptions = {}): Promise<Gathering> {
    const request = { method: "POST" as const, path: this.#path(), body: input, ...options };
    return new Gathering(this.#ctx, (await this.#ctx.transport.request<GatheringData>(request)).body);
  }

  async get(gatheringId: string, options: CallOptions = {}): Promise<Gathering> {
    const request = { method: "GET" as const, path: this.#path(`/${enc(gatheringId)}`), ...options };
    return new Gathering(this.#ctx, (await this.#ctx.transport.request<GatheringData>(request)).body);
  }

  /**
   * Gatherings, newest first (filters: type, status, listed). `for await (const g of list())` walks every
   * page; `.pages()` yields page by page; `.page(cursor)` fetches one.
   */
  list(query: ListGatheringsQuery = {}): PageIterator<Gathering> {
    const { cursor: start, ...filters } = query;
    return new PageIterator(async (cursor) => this.#page({ ...filters, ...(cursor && { cursor }) }), start);
  }

  /** One page of gatherings (pass the previous page's `nextCursor` as `cursor` for the next). */
  listPage(query: ListGatheringsQuery = {}): Promise<Page<Gathering>> {
    return this.#page(query);
  }

  async #page(query: ListGatheringsQuery): Promise<Page<Gathering>> {
    const { body } = await this.#ctx.transport.request<Page<GatheringData>>({
      method: "GET",
      path: this.#path(),
      query: { ...query },
    });
    return { ...body, items: body.items.map((data) => new Gathering(this.#ctx, data)) };
  }

  /** Joins a gathering by its join code (case-, hyphen- and look-alike-tolerant: `ABCD-1234` = `abcd1234`). */
  async joinByCode(input: JoinByCodeInput, options: CallOptions = {}): Promise<JoinResult> {
    const request = { method: "POST" as const, path: this.#path("/join"), body: input, ...options };
    const { body } = await this.#ctx.transport.request<{ gathering: GatheringData; member: Member }>(request);
    return { gathering: new Gathering(this.#ctx, body.gathering), member: body.member };
  }
}

/** The participant directory: display names and email addresses by participant id. */
export class Participants {
  readonly #ctx: ProjectContext;

  /** @internal */
  constructor(ctx: ProjectContext) {
    this.#ctx = ctx;
  }

  /** Creates or replaces a participant's entry. */
  async put(participantId: string, input: PutParticipantInput, options: CallOptions = {}): Promise<Participant> {
    const path = `${this.#ctx.base}/participants/${enc(participantId)}`;
    return (await this.#ctx.transport.request<Participant>({ method: "PUT", path, body: input, ...options })).body;
  }

  async get(participantId: string, options: CallOptions = {}): Promise<Participant> {
    const path = `${this.#ctx.base}/participants/${enc(participantId)}`;
    return (await this.#ctx.transport.request<Participant>({ method: "GET", path, ...options })).body;
  }
}

/** A project's sessions: transcriptions of voice rooms. */
export class Sessions {
  readonly #ctx: ProjectContext;

  /** @internal */
  constructor(ctx: ProjectContext) {
    this.#ctx = ctx;
  }

  #path(suffix = ""): string {
    return `${this.#ctx.base}/sessions${suffix}`;
  }

  /** Creates a session for a voice room; unless `autoStart: false`, the bot is commanded to join now. */
  async create(input: CreateSessionInput, options: CallOptions = {}): Promise<Session> {
    const request = { method: "POST" as const, path: this.#path(), body: input, ...options };
    return new Session(this.#ctx, (await this.#ctx.transport.request<SessionData>(request)).body);
  }

  async get(sessionId: string, options: CallOptions = {}): Promise<Session> {
    const request = { method: "GET" as const, path: this.#path(`/${enc(sessionId)}`), ...options };
    return new Session(this.#ctx, (await this.#ctx.transport.request<SessionData>(request)).body);
  }

  /**
   * Sessions, newest first (filters: status, externalRoomId, gatheringId). `for await (const s of list())`
   * walks every page; `.pages()` yields page by page; `.page(cursor)` fetches one.
   */
  list(query: ListSessionsQuery = {}): PageIterator<Session> {
    const { cursor: start, ...filters } = query;
    return new PageIterator(async (cursor) => this.#page({ ...filters, ...(cursor && { cursor }) }), start);
  }

  /** One page of sessions (pass the previous page's `nextCursor` as `cursor` for the next). */
  listPage(query: ListSessionsQuery = {}): Promise<Page<Session>> {
    return this.#page(query);
  }

  async #page(query: ListSessionsQuery): Promise<Page<Session>> {
    const { body } = await this.#ctx.transport.request<Page<SessionData>>({
      method: "GET",
      path: this.#path(),
      query: { ...query },
    });
    return { ...body, items: body.items.map((data) => new Session(this.#ctx, data)) };
  }
}

/** The project's settings (debug audio). */
export class Settings {
  readonly #ctx: ProjectContext;

  /** @internal */
  constructor(ctx: ProjectContext) {
    this.#ctx = ctx;
  }

  async get(options: CallOptions = {}): Promise<ProjectSettings> {
    const request = { method: "GET" as const, path: `${this.#ctx.base}/settings`, ...options };
    return (await this.#ctx.transport.request<ProjectSettings>(request)).body;
  }

  /** Changes settings, e.g. `{ debugAudioEnabled: true }` to keep each utterance's WAV for 24 h. */
  async update(patch: UpdateSettingsInput, options: CallOptions = {}): Promise<ProjectSettings> {
    const request = { method: "PATCH" as const, path: `${this.#ctx.base}/settings`, body: patch, ...options };
    return (await this.#ctx.transport.request<ProjectSettings>(request)).body;
  }
}
