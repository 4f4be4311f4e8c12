import { ValidationError, type FieldIssue } from "../../kernel/errors.js";
import { formatJoinCode } from "./join-code.js";
import type { Scope } from "../../kernel/tenancy.js";
import type { CreateGatheringBody, Gathering, GatheringStatus, GatheringType } from "./model.js";

const INITIAL_STATUS: Record<GatheringType, GatheringStatus> = {
  lobby: "open",
  appointment: "scheduled",
  open: "open",
};

/** An appointment lasts at least a minute (calendars show whole seconds; a shorter one would end as it starts). */
export const MIN_APPOINTMENT_MS = 60_000;
export const MIN_APPOINTMENT_MESSAGE = "must be at least 1 minute after startsAt";

/** Type rules that a schema alone cannot express. Pure: `now` is passed in. */
export function validateCreate(body: CreateGatheringBody, now: Date): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (body.type === "appointment") {
    if (!body.startsAt) issues.push({ path: "startsAt", message: "is required for an appointment" });
    if (!body.endsAt) issues.push({ path: "endsAt", message: "is required for an appointment" });
    if (body.startsAt && Date.parse(body.startsAt) <= now.getTime())
      issues.push({ path: "startsAt", message: "must be in the future" });
    if (body.startsAt && body.endsAt && Date.parse(body.endsAt) - Date.parse(body.startsAt) < MIN_APPOINTMENT_MS)
      issues.push({ path: "endsAt", message: MIN_APPOINTMENT_MESSAGE });
  } else {
    for (const field of ["startsAt", "endsAt"] as const)
      if (body[field] !== undefined) issues.push({ path: field, message: `is only allowed for an appointment` });
    if (body.autoStartSession !== undefined && body.type === "open")
      issues.push({ path: "autoStartSession", message: "is not allowed for an open gathering" });
  }
  if (body.autoStart !== undefined && body.type !== "lobby") {
    issues.push({ path: "autoStart", message: "is only allowed for a lobby" });
  }
  if (body.autoStart && body.maxMembers !== undefined && body.autoStart.minMembers > body.maxMembers) {
    issues.push({ path: "autoStart.minMembers", message: "must not exceed maxMembers" });
  }
  if (body.maxMembers !== undefined && body.type === "appointment") {
    // appointments are invitation-driven; capacity is a lobby/open concern
    issues.push({ path: "maxMembers", message: "is only allowed for a lobby or an open gathering" });
  }
  return issues;
}

export function newGathering(
  body: CreateGatheringBody,
  scope: Scope,
  ids: { id: string; joinCode: string },
  now: Date,
): Gathering {
  const issues = validateCreate(body, now);
  if (issues.length > 0) throw new ValidationError("The gathering is not valid for its type", issues);
  const at = now.toISOString();
  return {
    id: ids.id,
    projectId: scope.projectId,
    tenantId: scope.tenantId,
    name: body.name,
    type: body.type,
    status: INITIAL_STATUS[body.type],
    version: 1,
    joinCode: formatJoinCode(ids.joinCode),
    ...(body.startsAt !== undefined && { startsAt: body.startsAt }),
    ...(body.endsAt !== undefined && { endsAt: body.endsAt }),
    ...(body.type === "appointment" && { calendarSequence: 0 }),
    autoStartSession: body.autoStartSession ?? false,
    ...(body.autoStart !== undefined && { autoStart: body.autoStart }),
    ...(body.maxMembers !== undefined && { maxMembers: body.maxMembers }),
    listed: body.listed ?? body.type === "open",
    metadata: body.metadata ?? {},
    ownerId: null,
    memberCount: 0,
    readyCount: 0,
    createdAt: at,
    updatedAt: at,
  };
}
