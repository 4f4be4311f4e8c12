import { describe, expect, it } from "vitest";
import {
  formatJoinCode,
  generateJoinCode,
  JOIN_CODE_ALPHABET,
  normalizeJoinCode,
} from "../../shared/domain/gatherings/join-code.js";

describe("join codes", () => {
  it("are 8 characters from an alphabet without the look-alikes I, L, O and U", () => {
    expect(JOIN_CODE_ALPHABET).toHaveLength(32);
    expect(JOIN_CODE_ALPHABET).not.toMatch(/[ILOU]/);
    for (let i = 0; i < 1000; i++) expect(generateJoinCode()).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
  });

  it("10,000 generated codes are unique and each resolves from its lowercase, un-hyphenated, spaced and look-alike variants", () => {
    const codes = new Set<string>();
    for (let i = 0; i < 10_000; i++) codes.add(generateJoinCode());
    expect(codes.size).toBe(10_000);
    for (const code of codes) {
      const shown = formatJoinCode(code);
      const lookAlike = shown.replace(/0/g, "O").replace(/1/g, () => (Math.random() < 0.5 ? "I" : "l"));
      for (const variant of [
        code,
        shown,
        shown.toLowerCase(),
        ` ${code.slice(0, 4)} ${code.slice(4)} `,
        lookAlike,
        lookAlike.toLowerCase(),
      ]) {
        expect(normalizeJoinCode(variant)).toBe(code);
      }
    }
  });

  it("are shown grouped as ABCD-1234", () => {
    expect(formatJoinCode("ABCD1234")).toBe("ABCD-1234");
  });

  it("ignore invisible Unicode, full-width characters and other dashes people paste", () => {
    expect(normalizeJoinCode("AB\u200BCD\u20141234")).toBe("ABCD1234"); // zero-width space, em dash
    expect(normalizeJoinCode("ＡＢＣＤ－１２３４")).toBe("ABCD1234"); // full-width
    expect(normalizeJoinCode("abcd_1234")).toBe("ABCD1234");
  });

  it("reject inputs that cannot be a code", () => {
    for (const bad of ["", "ABCD-123", "ABCD-12345", "ABCU-1234", "ABCD-12!4", "ABCD 1234 X"]) {
      expect(normalizeJoinCode(bad), bad).toBeUndefined();
    }
  });
});
