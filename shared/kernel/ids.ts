import { monotonicFactory } from "ulid";

/** Ids carry a type prefix and sort by creation time (ULID). */
export const ID_PREFIX = {
  gathering: "gth",
  session: "sess",
  message: "msg",
  invitation: "inv",
  event: "evt",
  request: "req",
  webhook: "whk",
  attempt: "att",
  command: "cmd",
  annotation: "ann",
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const nextUlid = monotonicFactory();

export function newId(kind: IdKind, now: number = Date.now()): string {
  return `${ID_PREFIX[kind]}_${nextUlid(now).toLowerCase()}`;
}

const ID_PATTERN = /^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$/;

export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIX[kind]}_`) && ID_PATTERN.test(value);
}
