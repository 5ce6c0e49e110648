import { defineConfig } from "vitest/config";

// Resolve @aflab/* to sources so tests need no prior build of the dependencies.
export default defineConfig({
  resolve: { conditions: ["@aflab/source"] },
  ssr: { resolve: { conditions: ["@aflab/source"] } },
  test: { include: ["src/**/*.test.ts"], testTimeout: 30_000 },
});
