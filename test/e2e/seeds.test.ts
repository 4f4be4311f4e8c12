import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeSeedSamples } from "../support/seed-sample-tests.js";

/**
 * The seeds' SDK samples, run unchanged but for their import line (test/support/seeds/), against the
 * local runtime: each runs in its own `node` with CORTEX_API_KEY set, its hosted origin redirected to
 * the runtime by a preload, and what it prints is asserted (test/support/seed-sample-tests.ts; the packed
 * SDK runs the same tests in sdk-package.test.ts).
 */
describeSeedSamples();

describe("the sample files", () => {
  const seedsDir = fileURLToPath(new URL("../../../shared/seeds/", import.meta.url));
  const samplesDir = fileURLToPath(new URL("../support/seeds/", import.meta.url));
  const compact = (text: string) => text.replace(/\s+/g, "");

  it.skipIf(!existsSync(seedsDir))(
    "are the seeds' code token for token, but for the import line (the setup lines come from seed 000)",
    () => {
      const seeds = compact(
        readdirSync(seedsDir)
          .map((f) => readFileSync(seedsDir + f, "utf8"))
          .join("\n"),
      );
      const samples = readdirSync(samplesDir).filter((f) => /^[a-z-]+\.ts$/.test(f) && f !== "run-sample.ts");
      expect(samples.sort()).toEqual([
        "appointment.ts",
        "join-by-code.ts",
        "lobby-quickstart.ts",
        "lobby.ts",
        "members-watch.ts",
      ]);
      for (const file of samples) {
        const [importLine, ...rest] = readFileSync(samplesDir + file, "utf8").split("\n");
        expect(importLine, file).toMatch(/import \{ CortexClient \} from "\.\.\/\.\.\/\.\.\/sdk\/src\/index\.js";$/);
        // The setup block (client + project) and the snippet are each verbatim seed text.
        const [setup, snippet] = rest.join("\n").split(/(?<=client\.project\("your-project-id"\);)/);
        expect(seeds, `${file}: setup`).toContain(compact(setup!));
        expect(seeds, `${file}: snippet`).toContain(compact(snippet!));
      }
    },
  );
});
