import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["node_modules/", "artifacts/", "cache/", "sdk/src/typechain/", "coverage/", "**/dist/", ".crossproof/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "no-console": "off",
    },
  },
  {
    // Plain CommonJS programs (run as they are, e.g. by a partner's project in the packed-SDK test).
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // chai's property assertions (`.to.be.true`) are expressions.
      "@typescript-eslint/no-unused-expressions": "off",
      // Hardhat's loadFixture leaves the latest block at the snapshot's time: use test/helpers/load-fixture.ts.
      "no-restricted-imports": [
        "error",
        {
          paths: ["@nomicfoundation/hardhat-network-helpers", "@nomicfoundation/hardhat-toolbox/network-helpers"].map(
            (name) => ({
              name,
              importNames: ["loadFixture"],
              message: "import loadFixture from test/helpers/load-fixture.ts (it mines a block after the revert)",
            }),
          ),
        },
      ],
    },
  },
  {
    files: ["test/helpers/load-fixture.ts"],
    rules: { "no-restricted-imports": "off" },
  },
);
