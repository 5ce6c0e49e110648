// Starts the API with the built viewer on a store of demo runs and prints one JSON line describing it.
// Stops on SIGTERM, SIGINT, or when stdin closes (the test runner's end).
import { fileURLToPath } from "node:url";
import { startDemoServer } from "../../api/src/testing/demo-server.js";

// With a write token, so the browser tests can label, re-classify and start runs as a reader would.
const server = await startDemoServer({
  viewerDir: fileURLToPath(new URL("../dist", import.meta.url)),
  token: "e2e-write-token",
});
const { close, ...facts } = server;
process.stdout.write(`${JSON.stringify(facts)}\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.stdin.on("end", () => void stop());
process.stdin.resume();
