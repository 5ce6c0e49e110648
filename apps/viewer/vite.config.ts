import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// In development the API runs separately (`aflab serve`); the dev server forwards /api to it.
export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1500 },
  server: { proxy: { "/api": "http://127.0.0.1:8787" } },
});
