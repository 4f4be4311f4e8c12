import { VersionConflictError } from "../../kernel/errors.js";
import type { Scope } from "../../kernel/tenancy.js";
import { commit } from "../../store/commit.js";
import { aggregatePk, attendeeKey, ATTENDEE_SK_PREFIX, INVITATION_SK_PREFIX, memberKey } from "../../store/keys.js";
import type { Condition, Item, Page, Store } from "../../store/store.js";
import { messageWrites, systemMessageId } from "./messages.js";
import { AttendeeSchema, type AttendanceBody, type Attendee, type Message, type Session } from "./model.js";
import { canonicalTimestamp } from "./messages.js";
import {
  commitOptions,
  loadSession,
  SESSION_COMMAND_ATTEMPTS,
  type SessionContext,
  type SessionDeps,
} from "./service.js";
import { sessionCommit } from "./session.js";

/**
 * Attendance — seed 002's third layer: who was actually in the room. The bot reports joins and leaves;
 * each changes the attendee (intervals), adds a `[System]` message to the transcript and emits
 * `session.attendance.joined|left`, in one commit. An attendee whose `userId` is a participant of the
 * session's gathering is linked to that member and their invitation; an anonymous one stays unlinked.
 */

export const SYSTEM_SENDER = "[System]";

export function attendeeFromItem(item: Item): Attendee {
  return AttendeeSchema.parse(item);
}

/** Pure: the attendee after a report; undefined when the report changes nothing (a retry, a stray leave). */
export function applyAttendance(
  current: Attendee | undefined,
  sessionId: string,
  body: AttendanceBody,
): Attendee | undefined {
  const at = canonicalTimestamp(body.at);
  const base: Attendee = current ?? { sessionId, peerId: body.peerId, present: false, intervals: [] };
  const named: Attendee = {
    ...base,
    ...(body.userId !== undefined && { userId: body.userId }),
    ...(body.displayName !== undefined && { displayName: body.displayName }),
  };
  if (body.event === "joined") {
    if (base.present) return undefined;
    return { ...named, present: true, intervals: [...base.intervals, { joinedAt: at }] };
  }
  if (!base.present) return undefined;
  const intervals = base.intervals.map((interval, i) =>
    i === base.intervals.length - 1
      ? { ...interval, leftAt: at < interval.joinedAt ? interval.joinedAt : at }
      : interval,
  );
  return { ...named, present: false, intervals };
}

/** The member and invitation of the session's gathering that `userId` names, if any. */
async function linkToGathering(
  store: Store,
  scope: Scope,
  session: Session,
  userId: string | undefined,
): Promise<Pick<Attendee, "participantId" | "invitationId">> {
  if (!session.gatheringId || userId === undefined) return {};
  const member = await store.get(memberKey(scope, session.gatheringId, userId));
  let invitationId: string | undefined;
  let cursor: string | undefined;
  do {
    const page = await store.query({
      pk: aggregatePk("gathering", scope, session.gatheringId),
      beginsWith: INVITATION_SK_PREFIX,
      filter: { participantId: userId },
      limit: 100,
      ...(cursor && { cursor }),
    });
    invitationId = page.items.map((i) => String(i.id)).at(0);
    cursor = invitationId ? undefined : page.nextCursor;
  } while (cursor);
  return {
    ...(member && { participantId: userId }),
    ...(invitationId && { invitationId }),
  };
}

export async function reportAttendance(
  deps: SessionDeps,
  ctx: SessionContext,
  sessionId: string,
  body: AttendanceBody,
): Promise<Attendee> {
  for (let attempt = 1; ; attempt++) {
    const session = await loadSession(deps.store, ctx, sessionId);
    const key = attendeeKey(ctx, sessionId, body.peerId);
    const item = await deps.store.get(key, { consistent: true });
    const current = item ? attendeeFromItem(item) : undefined;
    const next = applyAttendance(current, sessionId, body);
    if (!next) return current!;
    const userId = next.userId;
    const linked =
      current?.participantId !== undefined || current?.invitationId !== undefined
        ? {}
        : await linkToGathering(deps.store, ctx, session, userId);
    const attendee: Attendee = { ...next, ...linked };
    const now = deps.clock.now();
    const at = canonicalTimestamp(body.at);
    const name = attendee.displayName ?? attendee.userId ?? attendee.peerId;
    const message: Message = {
      id: systemMessageId([sessionId, body.peerId, body.event, at]),
      sessionId,
      tenantId: ctx.tenantId,
      projectId: ctx.projectId,
      type: "system",
      senderName: SYSTEM_SENDER,
      peerId: body.peerId,
      ...(attendee.userId !== undefined && { userId: attendee.userId }),
      content: `${name} ${body.event === "joined" ? "joined" : "left"}`,
      timestamp: at,
      hasDebugAudio: false,
      createdAt: now.toISOString(),
    };
    const asRead: Condition = item
      ? { kind: "equals", attribute: "updatedAt", value: String(item.updatedAt) }
      : { kind: "notExists" };
    const request = sessionCommit(
      session.version,
      [
        {
          type: body.event === "joined" ? "session.attendance.joined" : "session.attendance.left",
          session: { ...session, updatedAt: now.toISOString() },
          data: { attendee },
        },
      ],
      ctx.actor,
      {
        puts: [
          { item: { ...key, kind: "attendee", ...attendee, updatedAt: now.toISOString() }, condition: asRead },
          ...messageWrites(ctx, message),
        ],
      },
    );
    try {
      await commit(deps.store, request, commitOptions(deps, now));
      return attendee;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      if (attempt >= SESSION_COMMAND_ATTEMPTS) throw error;
    }
  }
}

/** Who was in the room, by peer id, one page at a time. */
export async function listAttendance(
  store: Store,
  scope: Scope,
  sessionId: string,
  page: { limit?: number; cursor?: string },
): Promise<Page<Attendee>> {
  await loadSession(store, scope, sessionId);
  const result = await store.query({
    pk: aggregatePk("session", scope, sessionId),
    beginsWith: ATTENDEE_SK_PREFIX,
    consistent: true,
    limit: page.limit ?? 100,
    ...(page.cursor !== undefined && { cursor: page.cursor }),
  });
  return { items: result.items.map(attendeeFromItem), ...(result.nextCursor && { nextCursor: result.nextCursor }) };
}
