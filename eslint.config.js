import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "cdk.out/", ".cache/", ".data/", "bench/results/", "coverage/"] },
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
              group: ["**/local/**", "#local/*"],
              message: "functions/ and shared/ must not know about the local runtime",
            },
          ],
        },
      ],
    },
  },
  {
    // The domain talks to AWS only through adapters.
    files: ["shared/**/*.ts"],
    ignores: ["shared/adapters/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["@aws-sdk/*"], message: "shared/ domain code must not import an AWS SDK; add a port + adapter" },
            { group: ["**/local/**", "#local/*"], message: "shared/ must not know about the local runtime" },
          ],
        },
      ],
    },
  },
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
