import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [react()],
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
    testTimeout: 30_000,
    // Setup can be slow on a loaded 2-core machine.
    hookTimeout: 60_000,
    // The JSON result feeds the one-line total that `pnpm test` prints at the end.
    reporters: ["default", "json"],
    outputFile: { json: "dist-test/results.json" },
  },
});
