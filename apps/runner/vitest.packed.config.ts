import { defineConfig } from "vitest/config";

// The packed-install test alone (`pnpm test:packed` at the root): it packs, installs from the npm registry
// and runs the installed CLI, which takes minutes, so the CI runs it as its own step.
export default defineConfig({
  test: {
    include: ["src/packed-install.test.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "dist-test/packed-results.json" },
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
