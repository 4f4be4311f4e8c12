import { NotFoundError, UniqueConstraintError } from "../errors.js";
import type { Actor } from "../events/envelope.js";
import { isId, newId } from "../ids.js";
import type { Clock } from "../platform/clock.js";
import { commit } from "../store/commit.js";
import { aggregateRootKey, gatheringListKeys, joinCodeKey } from "../store/keys.js";
import type { Item, Store } from "../store/store.js";
import { newGathering, type Scope } from "./gathering.js";
import { generateJoinCode } from "./join-code.js";
import { GatheringSchema, type CreateGatheringBody, type Gathering } from "./model.js";

export interface GatheringDeps {
  store: Store;
  clock: Clock;
  eventRetentionSeconds: number;
  /** Injected for tests that need to force join-code collisions. */
  joinCodes?: () => string;
}

export interface CommandContext extends Scope {
  actor: Actor;
}

const JOIN_CODE_ATTEMPTS = 5;

function fromItem(item: Item): Gathering {
  return GatheringSchema.parse(item);
}

export async function createGathering(
  deps: GatheringDeps,
  ctx: CommandContext,
  body: CreateGatheringBody,
): Promise<Gathering> {
  const now = deps.clock.now();
  const id = newId("gathering", now.getTime());
  for (let attempt = 1; ; attempt++) {
    const joinCode = (deps.joinCodes ?? generateJoinCode)();
    const gathering = newGathering(body, ctx, { id, joinCode }, now);
    const { version, ...attributes } = gathering;
    try {
      await commit(
        deps.store,
        {
          aggregate: { type: "gathering", id, projectId: ctx.projectId, tenantId: ctx.tenantId },
          expectedVersion: 0,
          root: { ...attributes, kind: "gathering", ...gatheringListKeys(ctx.projectId, id) },
          uniques: [{ ...joinCodeKey(joinCode), kind: "joinCode", projectId: ctx.projectId, gatheringId: id }],
          events: [{ type: "gathering.created", data: { gathering }, actor: ctx.actor }],
        },
        { now, eventRetentionSeconds: deps.eventRetentionSeconds },
      );
      return { ...gathering, version };
    } catch (error) {
      // A join-code collision (one in ~10^12 per pair) is retried with a fresh code.
      if (error instanceof UniqueConstraintError && attempt < JOIN_CODE_ATTEMPTS) continue;
      throw error;
    }
  }
}

export async function getGathering(deps: Pick<GatheringDeps, "store">, scope: Scope, id: string): Promise<Gathering> {
  if (!isId("gathering", id)) throw new NotFoundError(`gathering ${id} not found`);
  const item = await deps.store.get(aggregateRootKey("gathering", scope.projectId, id), { consistent: true });
  if (!item) throw new NotFoundError(`gathering ${id} not found`);
  return fromItem(item);
}
