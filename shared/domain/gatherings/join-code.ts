import { randomInt } from "node:crypto";

/**
 * Join codes: 8 characters from Crockford's base32 alphabet (no I, L, O, U), shown as `ABCD-1234`.
 * Lookup is forgiving: case, hyphens, spaces and invisible characters are ignored, and the look-alikes
 * O→0, I→1, L→1 are folded, so whatever a person types or pastes resolves.
 */
export const JOIN_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
export const JOIN_CODE_LENGTH = 8;
const CANONICAL = new RegExp(`^[${JOIN_CODE_ALPHABET}]{${JOIN_CODE_LENGTH}}$`);

export function generateJoinCode(random: (max: number) => number = randomInt): string {
  let code = "";
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) code += JOIN_CODE_ALPHABET[random(JOIN_CODE_ALPHABET.length)];
  return code;
}

/** `ABCD1234` → `ABCD-1234`. */
export function formatJoinCode(canonical: string): string {
  return `${canonical.slice(0, 4)}-${canonical.slice(4)}`;
}

/** Returns the canonical 8-character code, or undefined when the input cannot be one. */
export function normalizeJoinCode(input: string): string | undefined {
  const folded = input
    .normalize("NFKC")
    // separators, dashes, punctuation people paste between groups, and invisible format characters
    .replace(/[\p{Z}\p{Pd}\p{Cf}\s_.]/gu, "")
    .toUpperCase()
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  return CANONICAL.test(folded) ? folded : undefined;
}
