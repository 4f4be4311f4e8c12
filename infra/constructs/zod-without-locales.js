// What `import { z } from "zod"` resolves to in the Lambda bundles (LAMBDA_BUNDLING in ./bundling.ts aliases
// "zod" here): zod's classic API (node_modules/zod/v4/classic/external.js) without what a bundler cannot
// drop once `z` is a namespace value. Each left out is unused by the project; using one in a handler
// would be `undefined` in the bundle only (the tests and `npm start` run the full package):
// - `z.locales` and `z.core` (which re-exports every locale): 258 KB of error messages in 40 languages.
//   English, the default, is still installed by zod's schemas module.
// - `z.compile`, `z.withParser`, `z.ZodCompile*Error` and `z.fromJSONSchema`: 40 KB.
import * as z from "./zod-without-locales.js";

export * from "../../node_modules/zod/v4/classic/schemas.js";
export * from "../../node_modules/zod/v4/classic/checks.js";
export * from "../../node_modules/zod/v4/classic/errors.js";
export * from "../../node_modules/zod/v4/classic/parse.js";
export * from "../../node_modules/zod/v4/classic/compat.js";
export {
  globalRegistry,
  registry,
  config,
  memoizer,
  $output,
  $input,
  $brand,
  clone,
  regexes,
  treeifyError,
  prettifyError,
  formatError,
  flattenError,
  TimePrecision,
  util,
  NEVER,
  INVALID,
  toZod,
  getDiscriminatedOption,
} from "../../node_modules/zod/v4/core/index.js";
export { toJSONSchema } from "../../node_modules/zod/v4/core/json-schema-processors.js";
export { deepPartial } from "../../node_modules/zod/v4/classic/deep-partial.js";
export { input, output } from "../../node_modules/zod/v4/classic/in-out.js";
export { ZodISODateTime, ZodISODate, ZodISOTime, ZodISODuration } from "../../node_modules/zod/v4/classic/iso.js";
export * as iso from "../../node_modules/zod/v4/classic/iso.js";
export * as coerce from "../../node_modules/zod/v4/classic/coerce.js";
export { z, z as default };
