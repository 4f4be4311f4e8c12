import { ValidationError } from "../../kernel/errors.js";

/**
 * How deeply a request body may nest objects and arrays. JSON.parse copes with any depth, but everything
 * after it that walks the value (validation, JSON.stringify for sizes, fingerprints, DynamoDB marshalling)
 * recurses, and DynamoDB itself refuses items nested deeper than 32 levels. No request schema comes close.
 */
export const MAX_BODY_DEPTH = 32;

/**
 * The deepest nesting of objects/arrays in a JSON text, found without recursion; stops counting (and
 * returns a value above `limit`) as soon as the limit is passed. Brackets inside strings do not count.
 */
export function jsonNestingDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return max;
}

/** Parses a JSON request body; malformed or too deeply nested JSON is a 400, never a crash. */
export function parseJsonBody(raw: string): unknown {
  if (jsonNestingDepth(raw, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    throw new ValidationError(`The request body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels`, [
      { path: "", message: `nests deeper than ${MAX_BODY_DEPTH} levels` },
    ]);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new ValidationError(`The request body is not valid JSON (${(error as Error).message})`, [
      { path: "", message: "is not valid JSON" },
    ]);
  }
}
