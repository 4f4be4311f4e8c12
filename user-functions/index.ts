/**
 * Your functions: export a handler named after an event and it runs for every such event —
 * `onGatheringMemberReady` for `gathering.member.ready`, `onGatheringCreated` for `gathering.created`,
 * and so on (names that match no event are rejected at start and at synth). On AWS each export becomes its
 * own Lambda with an EventBridge rule (retries, DLQ); `npm start` runs them locally on the same events.
 *
 * `ctx.client` is an SDK client bound to the event's project; `ctx.logger` writes structured logs.
 * Events are delivered at least once: make handlers idempotent (dedupe on `event.id` if it matters).
 */
import type { UserFunction } from "../sdk/src/index.js";

/** Tells the host another player is ready, and starts a lobby once at least two are present and all are ready. */
export const onGatheringMemberReady: UserFunction<"onGatheringMemberReady"> = async (event, ctx) => {
  const { gathering, member } = event.data; // typed by the export's name: the member-ready payload
  ctx.logger.info("member ready", {
    gatheringId: gathering.id,
    participantId: member.participantId,
    ready: `${gathering.readyCount}/${gathering.memberCount}`,
  });
  const everyoneReady = gathering.memberCount >= 2 && gathering.readyCount === gathering.memberCount;
  // Lobbies that declare their own autoStart start themselves; this covers the ones that don't.
  if (gathering.type !== "lobby" || gathering.autoStart || !everyoneReady) return;
  const lobby = await ctx.client.gatherings.get(gathering.id);
  if (lobby.status !== "open" || lobby.readyCount !== lobby.memberCount) return; // someone changed their mind
  try {
    await lobby.start();
    ctx.logger.info("lobby started by onGatheringMemberReady", { gatheringId: gathering.id });
  } catch (error) {
    // Another delivery (or the host) started it first: that is the outcome we wanted.
    if ((error as { status?: number }).status !== 409) throw error;
  }
};
