import { describe, expect, it } from "vitest";
import * as z from "../../shared/kernel/zod.js";

describe("the project's zod (zod/mini)", () => {
  it("answers in English without a locale loaded by the caller", () => {
    const result = z.object({ name: z.string().check(z.maxLength(3)) }).safeParse({ name: "abcd" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("Too big: expected string to have <=3 characters");
    expect(z.number().safeParse("1").error?.issues[0]?.message).toBe("Invalid input: expected number, received string");
  });

  it("withMeta registers a copy: the original keeps no metadata, and schemas derived from the copy drop its id", () => {
    const base = z.string();
    const named = z.withMeta(base, { id: "KernelTestName", description: "A name" });
    expect(named).not.toBe(base);
    expect(z.globalRegistry.get(base)).toBeUndefined();
    expect(z.globalRegistry.get(named)).toEqual({ id: "KernelTestName", description: "A name" });
    const derived = named.check(z.maxLength(10));
    expect(z.globalRegistry.get(derived)).toEqual({ description: "A name" });
    // So one id stays on one schema, and the document of both builds (two ids alike would throw here).
    const schema = z.toJSONSchema(z.object({ a: named, b: derived }), { unrepresentable: "any" });
    expect(JSON.stringify(schema)).toContain("KernelTestName");
  });

  it("withDescription describes a copy, as zod's classic describe() did", () => {
    const base = z.optional(z.string());
    const described = z.withDescription(base, "Why");
    expect(z.globalRegistry.get(base)).toBeUndefined();
    expect(z.toJSONSchema(described)).toMatchObject({ description: "Why" });
  });
});
