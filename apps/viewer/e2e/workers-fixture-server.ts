// Starts the API with the built viewer on a PostgreSQL store whose queued run has workers beating, and
// prints one JSON line describing it ({"skipped": true} when no PostgreSQL server is reachable outside CI).
// Stops on SIGTERM, SIGINT, or when stdin closes (the test runner's end).
import { fileURLToPath } from "node:url";
import { startWorkersDemoServer } from "../../api/src/testing/workers-demo-server.js";

const server = await startWorkersDemoServer({
  viewerDir: fileURLToPath(new URL("../dist", import.meta.url)),
});
// Without a server it still waits for the runner's stop, so the one line is read before any exit.
const close = server ? server.close : async () => undefined;
const facts = server
  ? { url: server.url, runId: server.runId, unqueuedRunId: server.unqueuedRunId }
  : { skipped: true };
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
