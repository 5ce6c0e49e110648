// A run of the simulated organism through the built engine that prints, one JSON line each, the events
// that report a write as stored (generation-end, judge-end, sample-end): a test kills this process with
// SIGKILL and checks that the store holds everything printed. Standard output to a pipe is written
// synchronously on Linux (Node's documented behaviour), so a line is in the pipe before the process goes on.
//   node report-stored-run.mjs <store file> <epochs>
import { createClientFactory, startRun } from "@aflab/engine";
import { openStore } from "@aflab/store";

const [file, epochs] = process.argv.slice(2);
const store = openStore(file);
const reported = new Set(["generation-end", "judge-end", "sample-end"]);
await startRun(
  {
    model: "sim/opus-like",
    userFormat: "minimal",
    dataset: { source: "builtin:harmful" },
    classifiers: ["tag-compliance"],
    epochs: Number(epochs),
    concurrency: 64,
  },
  {
    store,
    createClient: createClientFactory(),
    onEvent: (event) => {
      if (reported.has(event.type)) process.stdout.write(`${JSON.stringify(event)}\n`);
    },
  },
);
await store.close();
