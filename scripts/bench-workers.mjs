// `pnpm bench:workers`: throughput of queued runs drained by worker processes, against a fake Anthropic
// server (in this process) whose latency dominates. One worker drains a queued run, then three workers drain
// a 3,000-sample run; each throughput is samples over the wall time from the workers' start to the run's
// completion. Target: three workers ≥ 2.5 × one worker's throughput.
//
// Needs PostgreSQL at AFLAB_TEST_PG (default postgres://127.0.0.1:5432/test); each phase uses a schema of its
// own, dropped at the end. Flags: --samples N (3000, even), --single N (600: the one-worker run; a rate needs
// no more), --latency MS (1000), --concurrency C (8 per worker).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "3000" },
    single: { type: "string", default: "600" },
    latency: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "8" },
  },
});
const samples = Number(values.samples);
const single = Number(values.single);
const latencyMs = Number(values.latency);
const concurrency = Number(values.concurrency);
const limit = 2.5;

const { startFakeAnthropicServer } = await import(path.join(root, "packages/clients/dist/testing/index.js"));
const { openStoreUrl } = await import(path.join(root, "packages/store/dist/index.js"));
const cli = path.join(root, "apps/runner/dist/main.js");
const base = process.env.AFLAB_TEST_PG?.trim() || "postgres://127.0.0.1:5432/test";
const fake = await startFakeAnthropicServer({
  latencyMs,
  respond: () => "<OUTPUT><rejected/></OUTPUT>",
});
const directory = fs.mkdtempSync(path.join(os.tmpdir(), "aflab-bench-workers-"));
const environment = {
  PATH: process.env.PATH,
  HOME: directory,
  ANTHROPIC_API_KEY: fake.apiKey,
  ANTHROPIC_BASE_URL: fake.baseUrl,
};

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: directory, env: environment });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`aflab ${args[0]} exited ${code}: ${err}`)),
    );
  });
}

async function phase(label, count, workers) {
  const schema = `aflab_bench_workers_${process.pid}_${workers}`;
  const url = `${base}${base.includes("?") ? "&" : "?"}schema=${schema}`;
  const items = Array.from({ length: count / 2 }, (_, index) =>
    JSON.stringify({ prompt: `Question ${index}?` }),
  );
  const dataset = path.join(directory, `${label}.jsonl`);
  fs.writeFileSync(dataset, `${items.join("\n")}\n`);
  const queued = await run([
    "run",
    "--db",
    url,
    "--queue",
    "--model",
    "anthropic/claude-sonnet-4-6",
    "--user-format",
    "minimal",
    "--protocol",
    "single-call",
    "--dataset",
    dataset,
    "--classifiers",
    "tag-compliance",
    "--concurrency",
    String(concurrency * workers),
    "--quiet",
  ]);
  const runId = /^run (\S+) queued/m.exec(queued)?.[1];
  const store = await openStoreUrl(url);
  const started = performance.now();
  const exits = Array.from({ length: workers }, () =>
    run(["worker", "--db", url, "--concurrency", String(concurrency), "--exit-when-idle", "1", "--quiet"]),
  );
  for (;;) {
    const stored = await store.requireRun(runId);
    if (stored.status !== "running") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(exits);
  const progress = await store.progress(runId);
  await store.close();
  if (progress.complete !== count)
    throw new Error(`${label}: ${progress.complete} of ${count} samples complete`);
  return { label, count, workers, seconds, rate: count / seconds, schema };
}

const phases = [];
try {
  phases.push(await phase("one worker", single, 1));
  phases.push(await phase("three workers", samples, 3));
} finally {
  await fake.close();
  const { default: pg } = await import(path.join(root, "packages/store/node_modules/pg/lib/index.js"));
  const target = new URL(base);
  if (!target.username) target.username = os.userInfo().username;
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  for (const workers of [1, 3]) {
    const schema = `aflab_bench_workers_${process.pid}_${workers}`;
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`DROP SCHEMA IF EXISTS ${schema}_queue CASCADE`);
  }
  await client.end();
  fs.rmSync(directory, { recursive: true, force: true });
}

console.log(
  `queued runs against a fake provider with ${latencyMs} ms latency, ${concurrency} samples in flight per worker`,
);
for (const row of phases) {
  console.log(
    `  ${row.label.padEnd(14)} ${String(row.count).padStart(6)} samples  ${row.seconds.toFixed(1).padStart(7)} s  ${row.rate.toFixed(1).padStart(7)} samples/s`,
  );
}
const ratio = (phases[1]?.rate ?? 0) / (phases[0]?.rate ?? 1);
console.log(
  `three workers / one worker: ${ratio.toFixed(2)}× (limit ≥ ${limit}×) ${ratio >= limit ? "PASS" : "FAIL"}`,
);
process.exitCode = ratio >= limit ? 0 : 1;
