import { describe, expect, it, vi } from "vitest";

describe("wink-nlp's English model", () => {
  it("loads from the npm package without touching the network (its load time is reported, not asserted)", async () => {
    const fetch = vi.spyOn(globalThis, "fetch");
    const started = performance.now();
    const { analyse, winkPipeline } = await import("../../shared/domain/plugins/wink.js");
    const imported = performance.now();
    winkPipeline();
    const built = performance.now();
    const doc = analyse("Alice will send the migration guide by Friday.");
    const analysed = performance.now();

    expect(doc.sentences).toHaveLength(1);
    expect(doc.sentences[0]!.tokens.map((t) => t.pos)).toEqual([
      "PROPN",
      "AUX",
      "VERB",
      "DET",
      "NOUN",
      "NOUN",
      "ADP",
      "PROPN",
      "PUNCT",
    ]);
    expect(doc.sentences[0]!.entities).toEqual([{ type: "DATE", first: 7, last: 7 }]);
    expect(fetch).not.toHaveBeenCalled();
    console.info(
      `wink-nlp load: import ${(imported - started).toFixed(0)} ms, pipeline ${(built - imported).toFixed(0)} ms, ` +
        `first analysis ${(analysed - built).toFixed(1)} ms`,
    );
  });
});
