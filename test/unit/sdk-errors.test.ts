import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as kernelErrors from "../../shared/kernel/errors.js";
import { GATEWAY_RESPONSES } from "../../shared/app/http/gateway-responses.js";
import {
  ConflictError,
  CortexError,
  ERROR_CLASSES_BY_CODE,
  errorClassFor,
  GatheringFullError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  ServiceUnavailableError,
} from "../../sdk/src/index.js";
import { errorFromResponse } from "../../sdk/src/errors.js";

/** Every problem code the server can send: the kernel's error classes, the gateway's responses, and the
 * domain's specific conflict / not-found codes (the string passed to `new ConflictError(…, "code")`). */
function serverProblemCodes(): string[] {
  const codes = new Set<string>();
  for (const value of Object.values(kernelErrors)) {
    if (typeof value !== "function" || !(value.prototype instanceof kernelErrors.DomainError)) continue;
    const instance = Reflect.construct(value as new (...args: unknown[]) => { code: string }, ["x", "x"]);
    codes.add(instance.code === "x" ? new (value as new (m: string) => { code: string })("x").code : instance.code);
  }
  for (const response of Object.values(GATEWAY_RESPONSES)) codes.add(response.code);
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
    );
  for (const file of walk("shared")) {
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(/new (?:Conflict|NotFound)Error\(([\s\S]*?)\)\s*;/g)) {
      for (const code of match[1]!.matchAll(/,\s*"([a-z]+(?:_[a-z]+)*)"/g)) codes.add(code[1]!);
    }
  }
  return [...codes].sort();
}

describe("SDK error classes", () => {
  it("knows a class for every problem code the server sends", () => {
    const codes = serverProblemCodes();
    // The scan must find the domain's own codes, or it proves nothing.
    expect(codes).toEqual(expect.arrayContaining(["gathering_full", "join_code_taken", "session_ended", "not_found"]));
    const unknown = codes.filter((code) => !Object.hasOwn(ERROR_CLASSES_BY_CODE, code) && code !== "gateway_error");
    expect(unknown).toEqual([]);
  });

  it("builds the code's class from a problem response, which is still a CortexError and its status family", () => {
    const error = errorFromResponse(409, "Conflict", {
      type: "urn:cortex:problem:gathering_full",
      title: "Gathering is full",
      status: 409,
      code: "gathering_full",
      detail: "gth_1 holds 2 of 2",
    });
    expect(error).toBeInstanceOf(GatheringFullError);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toBeInstanceOf(CortexError);
    expect(error).toMatchObject({ name: "GatheringFullError", status: 409, code: "gathering_full" });
  });

  it("falls back to the status's class for a code this SDK does not know, and to ServerError for any 5xx", () => {
    expect(errorClassFor({ code: "something_new", status: 409 })).toBe(ConflictError);
    expect(errorClassFor({ code: "something_new", status: 404 })).toBe(NotFoundError);
    expect(errorClassFor({ code: "http_502", status: 502 })).toBe(ServerError);
    expect(errorClassFor({ code: "service_unavailable", status: 503 })).toBe(ServiceUnavailableError);
    expect(errorClassFor({ code: "throttled", status: 429 })).toBe(RateLimitedError);
    expect(errorClassFor({ code: "http_418", status: 418 })).toBe(CortexError);
    const plain = errorFromResponse(500, "Internal Server Error", "<html>oops</html>");
    expect(plain).toBeInstanceOf(ServerError);
    expect(plain.code).toBe("http_500");
  });

  it("does not take a class from the prototype chain for a code like constructor", () => {
    expect(errorClassFor({ code: "constructor", status: 400 }).name).toBe("ValidationFailedError");
  });
});
