import { fileURLToPath } from "node:url";

/**
 * How every Lambda is bundled, in one place: the stack (./node-function.ts) hands these to NodejsFunction's
 * esbuild, and the cold-start bench (bench/suites/cold-start.ts) builds with the very same options.
 *
 * - ESM, minified, for Node 24, with an external source map (no sources inside).
 * - The AWS SDK v3 is not bundled: the nodejs24.x runtime ships it, and a bundle that carries its own
 *   clients is 250–500 KB larger and loads slower (docs in README, "Cold start").
 * - `zod` resolves to ./zod-without-locales.js: zod's API without its 40 locales (see that file).
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
  alias: { zod: fileURLToPath(new URL("./zod-without-locales.js", import.meta.url)) },
} as const;
