import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Every zod import goes through shared/kernel/zod.ts (the one module allowed to import zod itself). */
const ZOD_VIA_KERNEL = {
  group: ["zod", "zod/*"],
  message:
    'import zod as `import * as z from "…/shared/kernel/zod.js"` (zod/mini: classic zod puts every schema kind in every bundle)',
};

/** The layers of shared/, lowest first (see README, "Architecture"). */
const SHARED_LAYERS = ["kernel", "store", "domain", "events", "consumers", "app", "adapters"];

export default tseslint.config(
  { ignores: ["node_modules/", "cdk.out/", ".cache/", ".data/", "bench/results/", "coverage/", "sdk/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly" } },
    rules: {
      // The TypeScript compiler already checks undefined names (and knows DOM/Node globals).
      "no-undef": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["**/local/**"],
              message: "functions/ and shared/ must not know about the local runtime",
            },
            ZOD_VIA_KERNEL,
          ],
        },
      ],
    },
  },
  // shared/ is layered, lowest first; a layer imports only from the layers below it (and itself).
  ...SHARED_LAYERS.map((layer, i) => ({
    files: [`shared/${layer}/**/*.ts`],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            ...(layer === "adapters"
              ? []
              : [
                  {
                    group: ["@aws-sdk/*"],
                    message: "only shared/adapters/ may import an AWS SDK; add a port + adapter",
                  },
                ]),
            ...SHARED_LAYERS.slice(i + 1).map((above) => ({
              group: [`**/${above}/**`],
              message: `shared/${layer}/ sits below shared/${above}/ and must not import it (layers: ${SHARED_LAYERS.join(" → ")})`,
            })),
            {
              group: ["**/local/**", "**/functions/**", "**/infra/**", "**/sdk/**"],
              message:
                "shared/ knows nothing of the local runtime, the Lambda entries, the stack or the SDK: inject it",
            },
            ZOD_VIA_KERNEL,
          ],
        },
      ],
    },
  })),
  {
    files: ["local/**/*.ts", "test/**/*.ts", "bench/**/*.ts", "scripts/**", "infra/**/*.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Tests read JSON response bodies; typing each one would only restate the assertions.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
