import { fileURLToPath } from "node:url";

/**
 * How every Lambda is bundled, in one place: the stack (./node-function.ts) hands these to NodejsFunction's
 * esbuild, and the cold-start bench (bench/suites/cold-start.ts) builds with the very same options.
 *
 * - ESM, minified, for Node 24, with an external source map (no sources inside).
 * - The AWS SDK v3 is not bundled: the nodejs24.x runtime ships it, and a bundle that carries its own
 *   clients is 250–500 KB larger and loads slower (docs in README, "Cold start").
 * - zod is bundled as `zod/mini` (shared/kernel/zod.ts), so a bundle keeps only the schema kinds it uses and
 *   English alone of zod's 40 locales.
 */
export const LAMBDA_BUNDLING = {
  format: "esm",
  platform: "node",
  target: "node24",
  mainFields: ["module", "main"],
  /**
   * ESM output still meets CommonJS dependencies that call `require` for Node built-ins; esbuild's shim
   * needs a real `require` in scope. The alias keeps the banner's names clear of the bundle's.
   */
  banner:
    "import { createRequire as __cortexCreateRequire } from 'node:module'; const require = __cortexCreateRequire(import.meta.url);",
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  /** Provided by the Lambda runtime. */
  external: ["@aws-sdk/*"],
} as const;

const NOT_BUNDLED = fileURLToPath(new URL("./not-bundled.js", import.meta.url));

/**
 * The local annotation engines' NLP packages (wink-nlp and its 3.4 MB English model) are imported only when
 * a plugin function runs a local engine (shared/adapters/aws/engines.ts imports them on first use). A
 * function configured with the AWS engines alone gets a stand-in instead: its bundle drops from 3.8 MB.
 * `environment`: the function's variables by their ENV name (what createNodeFunction is given).
 */
export function localEngineAliases(environment: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const usesWink = environment.sentimentEngine === "wink" || environment.minutesEngine === "local";
  const isPlugin = ["profanityEngine", "sentimentEngine", "minutesEngine"].some((name) => name in environment);
  return isPlugin && !usesWink ? { "wink-nlp": NOT_BUNDLED, "wink-eng-lite-web-model": NOT_BUNDLED } : {};
}
