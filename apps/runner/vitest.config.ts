import { defineConfig } from "vitest/config";

// Resolve @aflab/* to sources so tests need no prior build of the dependencies.
export default defineConfig({
  resolve: { conditions: ["@aflab/source"] },
  ssr: { resolve: { conditions: ["@aflab/source"] } },
  test: {
    include: ["src/**/*.test.ts"],
    // Run on its own by `pnpm test:packed` (see vitest.packed.config.ts).
    exclude: ["src/packed-install.test.ts"],
    // The JSON result feeds the one-line total that `pnpm test` prints at the end.
    reporters: ["default", "json"],
    outputFile: { json: "dist-test/results.json" },
    testTimeout: 60_000,
    // Setup that fills a store or starts servers can be slow on a loaded 2-core machine.
    hookTimeout: 60_000,
  },
});
