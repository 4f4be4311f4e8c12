import { existsSync, readFileSync } from "node:fs";

/** One invocation of a bench user function (bench/support/functions.ts writes one JSON line each). */
export interface FunctionCall {
  id: string;
  type: string;
  version: number;
  resource: string;
  at: number;
}

export function readFunctionCalls(file: string): FunctionCall[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as FunctionCall);
}
