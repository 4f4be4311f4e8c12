// The one module that imports zod itself (eslint.config.js sends every other import here).
// eslint-disable-next-line no-restricted-imports
import { clone, config, globalRegistry, type ZodMiniType } from "zod/mini";
// eslint-disable-next-line no-restricted-imports
import en from "zod/v4/locales/en.js";

/**
 * The project's zod, imported as `import * as z from "…/kernel/zod.js"` (a namespace import, so esbuild
 * keeps only the members used): the `zod/mini` API, functions over schemas such as `z.optional(z.string())`.
 * A Lambda bundle keeps only the schema kinds it uses: 26–61 KB of zod per function, against 132 KB with the
 * classic API, whose every schema carries every method (README, "Cold start"). Unlike the classic API, mini
 * loads no locale by itself: English messages are installed here, once, for every module that validates.
 */
config(en());

// eslint-disable-next-line no-restricted-imports
export * from "zod/mini";

type GlobalMeta = Parameters<typeof globalRegistry.add>[1];

/**
 * A copy of `schema` carrying `meta` (an `id`, a description, examples…) in the global registry, from which
 * the OpenAPI document is written; `schema` itself is unchanged. As zod's classic `.meta()`: schemas derived
 * from the copy inherit its metadata except the `id` (mini's `z.meta()` check would pass the `id` on too).
 */
export function withMeta<T extends ZodMiniType>(schema: T, meta: GlobalMeta): T {
  const copy = clone(schema);
  globalRegistry.add(copy, meta);
  return copy;
}

/** `withMeta(schema, { description })`: zod classic's `.describe()`. */
export function withDescription<T extends ZodMiniType>(schema: T, description: string): T {
  return withMeta(schema, { description });
}
