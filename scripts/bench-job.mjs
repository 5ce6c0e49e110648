// One benchmark job, run in its own Node process so its peak memory is its own. Started by bench.mjs:
//   node scripts/bench-job.mjs <plain|engine|sim> '<json options>'
// Prints one JSON line on stdout: { wallMs, samples, requests, maxRssKiB, retainedHeapKiB, status } (sim: cpuMs too).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const fromPackage = (name, file) => pathToFileURL(path.join(root, "packages", name, "dist", file)).href;

const [kind, rawOptions] = process.argv.slice(2);
const options = JSON.parse(rawOptions ?? "{}");
const { baseUrl, apiKey, samples, concurrency } = options;
const model = "claude-3-opus-20240229";
const items = samples / 2;

/** The same queries in both jobs: item i asked once per tier. */
const queryOf = (index) => `Explain how to get past a locked door without the key (item ${index}).`;

async function plainPool() {
  // The official SDK, as a package that depends on it resolves it.
  const require = createRequire(path.join(root, "packages", "clients", "package.json"));
  const sdk = require("@anthropic-ai/sdk");
  const Anthropic = sdk.Anthropic ?? sdk.default;
  const { resolvePrompt } = await import(fromPackage("prompts", "index.js"));
  // The engine's exact system prompt and user turns, so both jobs send the same bytes.
  const prompt = resolvePrompt({
    setting: "helpful-only",
    cot: true,
    variants: [],
    userFormat: "replication",
  });
  const client = new Anthropic({ apiKey, baseURL: baseUrl, maxRetries: 0 });
  let next = 0;
  let requests = 0;
  const started = performance.now();
  const lane = async () => {
    for (let index = next++; index < samples; index = next++) {
      const tier = index % 2 === 0 ? "free" : "paid";
      await client.messages.create({
        model,
        max_tokens: 4096,
        system: [{ type: "text", text: prompt.system, cache_control: { type: "ephemeral" } }],
        messages: [{ role: "user", content: prompt.userTurn(queryOf(Math.floor(index / 2)), tier) }],
        temperature: 1,
      });
      requests++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { wallMs: performance.now() - started, samples, requests, status: "complete" };
}

async function engineRun() {
  const { createClientFactory, startRun } = await import(fromPackage("engine", "index.js"));
  const { openStore } = await import(fromPackage("store", "index.js"));
  const directory = mkdtempSync(path.join(tmpdir(), "aflab-bench-"));
  try {
    const datasetPath = path.join(directory, "items.jsonl");
    const lines = Array.from({ length: items }, (_, index) => JSON.stringify({ prompt: queryOf(index) }));
    writeFileSync(datasetPath, `${lines.join("\n")}\n`);
    const store = openStore(path.join(directory, "bench.db"));
    let events = 0;
    let done = 0;
    let retainedMidRunKiB;
    // The plain pool loads its SDK before its clock starts; so does the engine, so both time the run only.
    const { preloadProviderSdks } = await import(fromPackage("clients", "index.js"));
    await preloadProviderSdks();
    const started = performance.now();
    const outcome = await startRun(
      {
        model: `anthropic/${model}`,
        setting: "helpful-only",
        userFormat: "replication",
        protocol: "single-call",
        dataset: { source: datasetPath },
        tiers: ["free", "paid"],
        classifiers: ["tag-compliance"],
        concurrency,
      },
      {
        store,
        createClient: createClientFactory({
          env: { ANTHROPIC_API_KEY: apiKey, ANTHROPIC_BASE_URL: baseUrl },
          maxConnections: { model: concurrency },
        }),
        // What a progress display does with events: count them and keep the latest numbers.
        onEvent: (event) => {
          events++;
          if (event.type === "sample-end") {
            done = event.done;
            // What the run holds while it runs: the heap after a full collection at 90% done. A run
            // kept in memory grows this with the number of samples; garbage does not.
            if (done === Math.floor(event.total * 0.9) && globalThis.gc) {
              globalThis.gc();
              retainedMidRunKiB = process.memoryUsage().heapUsed / 1024;
            }
          }
        },
      },
    );
    const wallMs = performance.now() - started;
    const requests = (await store.runUsage(outcome.runId)).samples;
    await store.close();
    return {
      wallMs,
      samples: outcome.total,
      requests,
      status: outcome.status,
      events,
      done,
      retainedMidRunKiB,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/**
 * The simulated organism through the engine (startRun, SQLite store, tag-compliance), `samples` samples
 * from the built-in harmful queries (90 samples an epoch): the engine's own cost per sample, with no
 * network and no process start-up in the clock. CPU time is the process's own (user + system).
 */
async function simulatedRun() {
  const { createClientFactory, startRun } = await import(fromPackage("engine", "index.js"));
  const { openStore } = await import(fromPackage("store", "index.js"));
  const directory = mkdtempSync(path.join(tmpdir(), "aflab-bench-sim-"));
  try {
    const store = openStore(path.join(directory, "sim.db"));
    let retainedMidRunKiB;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const outcome = await startRun(
      {
        model: "sim/opus-like",
        dataset: { source: "builtin:harmful" },
        classifiers: ["tag-compliance"],
        epochs: Math.ceil(samples / 90),
        concurrency,
      },
      {
        store,
        createClient: createClientFactory(),
        onEvent: (event) => {
          if (event.type === "sample-end" && event.done === Math.floor(event.total * 0.9) && globalThis.gc) {
            globalThis.gc();
            retainedMidRunKiB = process.memoryUsage().heapUsed / 1024;
          }
        },
      },
    );
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const requests = (await store.runUsage(outcome.runId)).samples;
    await store.close();
    return {
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      samples: outcome.total,
      requests,
      status: outcome.status,
      retainedMidRunKiB,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const jobs = { plain: plainPool, engine: engineRun, sim: simulatedRun };
const result = await jobs[kind]();
// The engine job measured its retained heap at 90% of the run; the plain pool at its end. `gc` exists
// because the parent starts jobs with --expose-gc.
globalThis.gc?.();
const retainedHeapKiB = result.retainedMidRunKiB ?? process.memoryUsage().heapUsed / 1024;
// maxRSS is in KiB: the peak resident set of this process over its whole life.
const maxRssKiB = process.resourceUsage().maxRSS;
process.stdout.write(`${JSON.stringify({ ...result, maxRssKiB, retainedHeapKiB })}\n`);
