/**
 * The bench's user functions module (run by the local runtime with `--functions`): every handler notes
 * when it was invoked for which event, one JSON line per invocation in $BENCH_EVENTS_FILE, so the bench
 * can measure commit → function latency and count deliveries (duplicates, gaps). Only handlers may be
 * exported here: the runtime rejects any export that names no event.
 */
import { appendFileSync } from "node:fs";
import type { UserFunction } from "../../sdk/src/index.js";

const file = process.env.BENCH_EVENTS_FILE;

const record: UserFunction = (event) => {
  const at = Date.now();
  if (!file) return;
  appendFileSync(
    file,
    JSON.stringify({ id: event.id, type: event.type, version: event.version, resource: event.resource, at }) + "\n",
  );
};

export const onGatheringCreated = record;
export const onGatheringMemberJoined = record;
export const onGatheringMemberReady = record;
export const onGatheringOwnerChanged = record;
export const onGatheringStarted = record;
export const onGatheringEnded = record;
