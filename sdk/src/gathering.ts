import { enc, replaceFields, withFields, type MutationOptions, type ProjectContext } from "./context.js";
import { PageIterator } from "./pagination.js";
import { Session } from "./session.js";
import { CollectionSubscription, DocumentSubscription } from "./subscriptions.js";
import type { CallOptions } from "./transport.js";
import type {
  AddMemberInput,
  EventEnvelope,
  GatheringData,
  Invitation,
  InvitationStatus,
  Member,
  MemberStatus,
  Page,
  PageQuery,
  SendInvitationsInput,
  SessionData,
  StartGatheringInput,
  UpdateGatheringInput,
} from "./types.js";

interface JoinResultData {
  gathering: GatheringData;
  member: Member;
}

/** The event types a members view folds in: every member change, and ownership moving. */
export const MEMBER_EVENT_TYPES = ["gathering.member.*", "gathering.owner.changed"] as const;
export const INVITATION_EVENT_TYPES = ["gathering.invitation.*"] as const;

/** Members in a stable order: longest present first (or oldest), then by participant id. */
export function compareMembers(a: Member, b: Member): number {
  const ka = a.presentSince ?? a.createdAt;
  const kb = b.presentSince ?? b.createdAt;
  if (ka !== kb) return ka < kb ? -1 : 1;
  return a.participantId < b.participantId ? -1 : a.participantId > b.participantId ? 1 : 0;
}

/** Invitations in the order they were created. */
export function compareInvitations(a: Invitation, b: Invitation): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Folds a gathering event into a members view. Skips what a member item already reflects (its `version`). */
export function applyMemberEvent(members: Map<string, Member>, event: EventEnvelope): void {
  const data = event.data as { member?: Member; previousOwnerId?: string | null; ownerId?: string | null };
  const member = data.member;
  if (member) {
    const known = members.get(member.participantId);
    if (known?.version === undefined || event.version > known.version) {
      if (event.type === "gathering.member.removed") members.delete(member.participantId);
      else members.set(member.participantId, { ...member, version: event.version });
    }
  }
  if (event.type === "gathering.owner.changed") {
    // Ownership changes the role of two member items; the event names them rather than carrying them.
    const roles: Array<[string | null | undefined, Member["role"]]> = [
      [data.previousOwnerId, "member"],
      [data.ownerId, "owner"],
    ];
    for (const [participantId, role] of roles) {
      const known = participantId ? members.get(participantId) : undefined;
      if (!known || (known.version !== undefined && event.version <= known.version)) continue;
      members.set(known.participantId, { ...known, role, version: event.version, updatedAt: event.occurredAt });
    }
  }
}

/**
 * Folds an invitation event into an invitations view. Invitation items carry no version, so an older
 * replayed event is recognised by its `updatedAt` (or by `version`, should the API add one).
 */
export function applyInvitationEvent(invitations: Map<string, Invitation>, event: EventEnvelope): void {
  const invitation = (event.data as { invitation?: Invitation & { version?: number } }).invitation;
  if (!invitation) return;
  const known = invitations.get(invitation.id) as (Invitation & { version?: number }) | undefined;
  if (known) {
    if (known.version !== undefined ? event.version <= known.version : invitation.updatedAt < known.updatedAt) return;
  }
  invitations.set(invitation.id, invitation);
}

/**
 * A live Gathering. Every API field is on the object (`lobby.status`, `lobby.readyCount`, …); every
 * method that changes the gathering updates those fields from the API's answer, and so does any live
 * view of it (`watch*()`) as events arrive.
 */
export class Gathering extends withFields<GatheringData>() {
  readonly #ctx: ProjectContext;
  #raw: GatheringData;

  /** @internal Gatherings come from `project.gatherings`. */
  constructor(ctx: ProjectContext, data: GatheringData) {
    super(data);
    this.#ctx = ctx;
    this.#raw = data;
  }

  /**
   * The raw API response object.
   * @deprecated The response fields are available directly on this object (`lobby.status` instead of
   * `lobby.data.status`). This accessor will be removed before the stable release.
   */
  get data(): GatheringData {
    return this.#raw;
  }

  toJSON(): GatheringData {
    return { ...this.#raw };
  }

  #path(suffix = ""): string {
    return `${this.#ctx.base}/gatherings/${enc(this.id)}${suffix}`;
  }

  #memberPath(participantId: string, suffix = ""): string {
    return this.#path(`/members/${enc(participantId)}${suffix}`);
  }

  /** Takes a newer state of the gathering (never an older one: answers and events may cross). */
  #observe(data: GatheringData): void {
    if (data.id !== this.id || data.version < this.version) return;
    replaceFields(this, this.#raw, data);
    this.#raw = data;
  }

  #call(options: MutationOptions): CallOptions {
    const { ifMatch, ...rest } = options;
    return { ...rest, ifMatch: ifMatch === true ? this.version : ifMatch };
  }

  async #mutate(method: "POST" | "PATCH", suffix: string, body: unknown, options: MutationOptions): Promise<this> {
    const { body: data } = await this.#ctx.transport.request<GatheringData>({
      method,
      path: this.#path(suffix),
      body,
      ...this.#call(options),
    });
    this.#observe(data);
    return this;
  }

  async #memberCall(method: "POST" | "DELETE", path: string, body: unknown, options: MutationOptions): Promise<Member> {
    const { body: result } = await this.#ctx.transport.request<JoinResultData>({
      method,
      path,
      body,
      ...this.#call(options),
    });
    this.#observe(result.gathering);
    return result.member;
  }

  // ── The gathering ───────────────────────────────────────────────────────────────────────────────────

  /** Reloads the gathering from the API. */
  async refresh(options: CallOptions = {}): Promise<this> {
    const { body } = await this.#ctx.transport.request<GatheringData>({
      method: "GET",
      path: this.#path(),
      ...options,
    });
    this.#observe(body);
    return this;
  }

  /** Changes name, times, capacity, listing, auto-start or metadata. */
  update(patch: UpdateGatheringInput, options: MutationOptions = {}): Promise<this> {
    return this.#mutate("PATCH", "", patch, options);
  }

  /** Starts the gathering; `autoStartSession` (or the gathering's own setting) also starts its session. */
  start(input?: StartGatheringInput, options: MutationOptions = {}): Promise<this> {
    return this.#mutate("POST", "/start", input, options);
  }

  /** Ends a started gathering (and its session). */
  end(options: MutationOptions = {}): Promise<this> {
    return this.#mutate("POST", "/end", undefined, options);
  }

  /** Cancels the gathering (and ends its session). */
  cancel(options: MutationOptions = {}): Promise<this> {
    return this.#mutate("POST", "/cancel", undefined, options);
  }

  /** Issues a new join code (`joinCode` changes); the old one stops working. */
  regenerateJoinCode(options: MutationOptions = {}): Promise<this> {
    return this.#mutate("POST", "/join-code", undefined, options);
  }

  /** The session this gathering started, if it started one. */
  async getSession(options: CallOptions = {}): Promise<Session | undefined> {
    if (!this.sessionId) return undefined;
    const { body } = await this.#ctx.transport.request<SessionData>({
      method: "GET",
      path: `${this.#ctx.base}/sessions/${enc(this.sessionId)}`,
      ...options,
    });
    return new Session(this.#ctx, body);
  }

  // ── Members ─────────────────────────────────────────────────────────────────────────────────────────

  /** Adds a member (joined); adding a present member again changes nothing. */
  addMember(input: AddMemberInput, options: MutationOptions = {}): Promise<Member> {
    return this.#memberCall("POST", this.#path("/members"), input, options);
  }

  /** Removes a member; ownership passes on if it was the owner. Returns the member as removed. */
  removeMember(participantId: string, options: MutationOptions = {}): Promise<Member> {
    return this.#memberCall("DELETE", this.#memberPath(participantId), undefined, options);
  }

  async getMember(participantId: string, options: CallOptions = {}): Promise<Member> {
    return (
      await this.#ctx.transport.request<Member>({ method: "GET", path: this.#memberPath(participantId), ...options })
    ).body;
  }

  /** The members, page by page (`for await` yields each member). */
  members(query: PageQuery & { status?: MemberStatus } = {}): PageIterator<Member> {
    return new PageIterator(async (cursor) => {
      const { body } = await this.#ctx.transport.request<Page<Member>>({
        method: "GET",
        path: this.#path("/members"),
        query: { limit: query.limit ?? 100, status: query.status, cursor },
      });
      return body;
    }, query.cursor);
  }

  /** Every member (all pages), optionally only those with one status. */
  listMembers(query: { status?: MemberStatus } = {}): Promise<Member[]> {
    return this.members(query).toArray();
  }

  /** Joins (from invited, or rejoins after leaving). */
  join(participantId: string, options: MutationOptions = {}): Promise<Member> {
    return this.#memberCall("POST", this.#memberPath(participantId, "/join"), undefined, options);
  }

  /** Marks the member ready. */
  ready(participantId: string, options: MutationOptions = {}): Promise<Member> {
    return this.#memberCall("POST", this.#memberPath(participantId, "/ready"), undefined, options);
  }

  /** Takes back the member's ready. */
  unready(participantId: string, options: MutationOptions = {}): Promise<Member> {
    return this.#memberCall("POST", this.#memberPath(participantId, "/unready"), undefined, options);
  }

  /** The member leaves; if it owned the gathering, the longest-present member inherits ownership. */
  leave(participantId: string, options: MutationOptions = {}): Promise<Member> {
    return this.#memberCall("POST", this.#memberPath(participantId, "/leave"), undefined, options);
  }

  /** Makes a present member the owner. Returns the new owner. */
  transferOwnership(participantId: string, options: MutationOptions = {}): Promise<Member> {
    return this.#memberCall("POST", this.#path("/owner"), { participantId }, options);
  }

  // ── Invitations ─────────────────────────────────────────────────────────────────────────────────────

  /** Invites participants (by id) and/or people (by email); each invitation is emailed independently. */
  async sendInvitations(input: SendInvitationsInput, options: CallOptions = {}): Promise<Invitation[]> {
    const { body } = await this.#ctx.transport.request<{ invitations: Invitation[] }>({
      method: "POST",
      path: this.#path("/invitations"),
      body: input,
      ...options,
    });
    return body.invitations;
  }

  /** The invitations, page by page (`for await` yields each invitation). */
  invitations(query: PageQuery & { status?: InvitationStatus } = {}): PageIterator<Invitation> {
    return new PageIterator(async (cursor) => {
      const { body } = await this.#ctx.transport.request<Page<Invitation>>({
        method: "GET",
        path: this.#path("/invitations"),
        query: { limit: query.limit ?? 100, status: query.status, cursor },
      });
      return body;
    }, query.cursor);
  }

  /** Every invitation (all pages), optionally only those with one status. */
  listInvitations(query: { status?: InvitationStatus } = {}): Promise<Invitation[]> {
    return this.invitations(query).toArray();
  }

  async getInvitation(invitationId: string, options: CallOptions = {}): Promise<Invitation> {
    const path = this.#path(`/invitations/${enc(invitationId)}`);
    return (await this.#ctx.transport.request<Invitation>({ method: "GET", path, ...options })).body;
  }

  async acceptInvitation(invitationId: string, options: CallOptions = {}): Promise<Invitation> {
    const path = this.#path(`/invitations/${enc(invitationId)}/accept`);
    return (await this.#ctx.transport.request<Invitation>({ method: "POST", path, ...options })).body;
  }

  async declineInvitation(invitationId: string, options: CallOptions = {}): Promise<Invitation> {
    const path = this.#path(`/invitations/${enc(invitationId)}/decline`);
    return (await this.#ctx.transport.request<Invitation>({ method: "POST", path, ...options })).body;
  }

  // ── Live views ──────────────────────────────────────────────────────────────────────────────────────

  /** Live-subscribe to this gathering: loaded via REST, then kept in sync over SSE. */
  watch(): DocumentSubscription<GatheringData> {
    return new DocumentSubscription<GatheringData>(this.#ctx.transport, {
      path: this.#path("/events"),
      describe: `watch of gathering ${this.id}`,
      load: async (signal) =>
        (await this.#ctx.transport.request<GatheringData>({ method: "GET", path: this.#path(), signal })).body,
      fromEvent: (event) => (event.data as { gathering?: GatheringData }).gathering,
      versionOf: (gathering) => gathering.version,
      observe: (gathering) => this.#observe(gathering),
      options: this.#ctx.live,
    });
  }

  /**
   * Live-subscribe to the members (every status, including `left`), ordered by `presentSince` (or
   * `createdAt`) then participant id.
   */
  watchMembers(): CollectionSubscription<Member> {
    return new CollectionSubscription<Member>(this.#ctx.transport, {
      path: this.#path("/events"),
      types: MEMBER_EVENT_TYPES,
      describe: `watch of the members of gathering ${this.id}`,
      idOf: (member) => member.participantId,
      compare: compareMembers,
      load: async (signal) => {
        // The version first, then the list: every change after that version is replayed, and a member
        // item already reflecting an event (its own `version`) skips it.
        const version = await this.#loadVersion(signal);
        return { version, items: await this.members().toArray() };
      },
      apply: applyMemberEvent,
      observe: (event) => this.#observeEvent(event),
      options: this.#ctx.live,
    });
  }

  /** Live-subscribe to the invitations, in the order they were created. */
  watchInvitations(): CollectionSubscription<Invitation> {
    return new CollectionSubscription<Invitation>(this.#ctx.transport, {
      path: this.#path("/events"),
      types: INVITATION_EVENT_TYPES,
      describe: `watch of the invitations of gathering ${this.id}`,
      idOf: (invitation) => invitation.id,
      compare: compareInvitations,
      load: async (signal) => {
        const version = await this.#loadVersion(signal);
        return { version, items: await this.invitations().toArray() };
      },
      apply: applyInvitationEvent,
      observe: (event) => this.#observeEvent(event),
      options: this.#ctx.live,
    });
  }

  async #loadVersion(signal: AbortSignal): Promise<number> {
    const { body } = await this.#ctx.transport.request<GatheringData>({ method: "GET", path: this.#path(), signal });
    this.#observe(body);
    return body.version;
  }

  #observeEvent(event: EventEnvelope): void {
    const gathering = (event.data as { gathering?: GatheringData }).gathering;
    if (gathering) this.#observe(gathering);
  }
}
