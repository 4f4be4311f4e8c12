import type { CommitRequest } from "../../store/commit.js";
import type { Actor } from "../../kernel/envelope.js";
import { DEFAULT_GATEWAY, type Session } from "./model.js";

/** Pure: a new active session for a room. */
export function newSession(input: {
  id: string;
  tenantId: string;
  projectId: string;
  externalRoomId: string;
  title: string;
  gatheringId?: string;
  idleTimeout?: number | null;
  gateway?: string;
  createdBy: string;
  at: string;
}): Session {
  return {
    id: input.id,
    tenantId: input.tenantId,
    projectId: input.projectId,
    externalRoomId: input.externalRoomId,
    gateway: input.gateway ?? DEFAULT_GATEWAY,
    title: input.title,
    status: "active",
    ...(input.idleTimeout !== undefined && { idleTimeout: input.idleTimeout }),
    ...(input.gatheringId !== undefined && { gatheringId: input.gatheringId }),
    createdByUserId: input.createdBy,
    version: 1,
    createdAt: input.at,
    updatedAt: input.at,
  };
}

/** The commit that creates a session (to be written atomically with whatever started it). */
export function sessionCreation(session: Session, actor: Actor): CommitRequest {
  const { version: _version, ...attributes } = session;
  return {
    aggregate: { type: "session", id: session.id, projectId: session.projectId, tenantId: session.tenantId },
    expectedVersion: 0,
    root: { ...attributes, kind: "session" },
    events: [{ type: "session.created", data: { session }, actor }],
  };
}

/** The commit that ends an active session. */
export function sessionEnding(session: Session, actor: Actor, at: string): CommitRequest {
  const ended: Session = { ...session, status: "ended", endedAt: at, updatedAt: at, version: session.version + 1 };
  const { version: _version, ...attributes } = ended;
  return {
    aggregate: { type: "session", id: session.id, projectId: session.projectId, tenantId: session.tenantId },
    expectedVersion: session.version,
    root: { ...attributes, kind: "session" },
    events: [{ type: "session.ended", data: { session: ended }, actor }],
  };
}
