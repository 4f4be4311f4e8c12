import { ConflictError } from "../../kernel/errors.js";
import type { Gathering, GatheringStatus } from "./model.js";

/**
 * The gathering lifecycle as data: which actions each status allows. Pure; an illegal action is a 409
 * whose message says why.
 *
 *   scheduled ─┐
 *              ├─ start ─▶ started ─ end ─▶ ended
 *   open ──────┘                          (an open space may also end while open)
 *   scheduled | open | started ─ cancel ─▶ cancelled
 */
export type GatheringAction = "start" | "end" | "cancel" | "update" | "changeMembers" | "regenerateJoinCode";

const LIVE: GatheringStatus[] = ["scheduled", "open", "started"];

const ALLOWED: Record<GatheringAction, (g: Gathering) => boolean> = {
  start: (g) => g.status === "scheduled" || g.status === "open",
  end: (g) => g.status === "started" || (g.type === "open" && g.status === "open"),
  cancel: (g) => LIVE.includes(g.status),
  update: (g) => LIVE.includes(g.status),
  changeMembers: (g) => LIVE.includes(g.status),
  regenerateJoinCode: (g) => LIVE.includes(g.status),
};

const VERB: Record<GatheringAction, string> = {
  start: "start",
  end: "end",
  cancel: "cancel",
  update: "update",
  changeMembers: "change the members of",
  regenerateJoinCode: "regenerate the join code of",
};

export function canPerform(gathering: Gathering, action: GatheringAction): boolean {
  return ALLOWED[action](gathering);
}

export function assertCanPerform(gathering: Gathering, action: GatheringAction): void {
  if (canPerform(gathering, action)) return;
  const closed = gathering.status === "ended" || gathering.status === "cancelled";
  throw new ConflictError(
    `Cannot ${VERB[action]} a gathering that is ${gathering.status}` +
      (action === "end" && gathering.status !== "started" && !closed ? " (only a started gathering can end)" : ""),
    closed ? "gathering_closed" : "invalid_transition",
    { gatheringStatus: gathering.status },
  );
}

/** The gathering after a lifecycle action, stamped at `at`. Does not check; call assertCanPerform first. */
export function applyLifecycle(gathering: Gathering, action: "start" | "end" | "cancel", at: string): Gathering {
  switch (action) {
    case "start":
      return { ...gathering, status: "started", startedAt: at, updatedAt: at };
    case "end":
      return { ...gathering, status: "ended", endedAt: at, updatedAt: at };
    case "cancel":
      return { ...gathering, status: "cancelled", cancelledAt: at, updatedAt: at };
  }
}
