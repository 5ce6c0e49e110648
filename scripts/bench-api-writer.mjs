// Appends samples (with their verdicts) to a running run of the `pnpm bench:api` store, from its own
// process, as an engine on the same file would: a batch every 20 ms until killed.
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { openStore } = await import(path.join(root, "packages", "store", "dist", "index.js"));
const { writeSamples } = await import(path.join(root, "scripts", "bench-api-fixture.mjs"));

const [file, runId] = process.argv.slice(2);
const store = openStore(file);
// Indices are contiguous from 0: carry on after the samples an earlier benchmark appended.
const stored = await store.progress(runId);
const first = stored.complete + stored.failed + stored.errored;
let next = first;
const batch = 10;
let stopping = false;
process.on("SIGTERM", () => {
  stopping = true;
});
console.log(JSON.stringify({ writing: runId }));
while (!stopping) {
  await writeSamples(store, runId, next, next + batch, next);
  next += batch;
  await new Promise((resolve) => setTimeout(resolve, 20));
}
await store.close();
console.log(JSON.stringify({ written: next - first }));
