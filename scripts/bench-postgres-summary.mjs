// `pnpm bench:pg-summary`: the run summary the viewer asks for (`summarizeRun`, what GET /api/runs/:id
// computes) on a 100,000-sample run in PostgreSQL. Target: p95 < 50 ms, as on SQLite.
//
// The run is written once into a schema of its own on AFLAB_TEST_PG (default postgres://127.0.0.1:5432/test)
// with SQL (generate_series; through the store it would take minutes), with two verdicts per sample, then
// the summary is computed --repeat times after two warm-up calls (the first checked against a scan). The
// fill goes through the aggregate triggers like any write. The schema is dropped at the end.
// Flags: --samples N (100000), --repeat R (30).
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { values } = parseArgs({
  options: { samples: { type: "string", default: "100000" }, repeat: { type: "string", default: "30" } },
});
const samples = Number(values.samples);
const repeat = Number(values.repeat);
const limitMs = 50;

const { openPostgresStore } = await import(path.join(root, "packages", "store", "dist", "index.js"));
const { summarizeRun } = await import(path.join(root, "packages", "engine", "dist", "index.js"));
const url = process.env.AFLAB_TEST_PG?.trim() || "postgres://127.0.0.1:5432/test";
const schema = `aflab_bench_${process.pid}`;

let store;
try {
  store = await openPostgresStore(url, { schema });
} catch (error) {
  console.error(`${error.message}`);
  process.exit(2);
}
const runId = "bench-run";
await store.createRun({
  id: runId,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
  status: "complete",
  config: {
    model: "sim/opus-like",
    tiers: ["free", "paid"],
    classifiers: ["tag-compliance", "af-reasoning"],
  },
  simulated: true,
  promptHash: "bench",
  total: samples,
});

// Direct SQL through the driver the store uses, in the store's schema.
const pg = (await import(path.join(root, "packages", "store", "node_modules", "pg", "lib", "index.js")))
  .default;
const target = new URL(url);
if (!target.username) target.username = (await import("node:os")).userInfo().username;
const client = new pg.Client({ connectionString: target.toString(), options: `-c search_path=${schema}` });
await client.connect();
const fillStarted = performance.now();
await client.query(
  `INSERT INTO samples (run_id, key, sample_index, item_id, query, tier, epoch, system_prompt_hash, status,
     failure_kind, failure_message, flags, output, scratchpad, input_tokens, output_tokens, cache_write_tokens,
     cache_read_tokens, cost_usd, retries, latency_ms, started_at, finished_at)
   SELECT $1, 'key-' || i, i, 'item-' || (i / 2), 'query ' || i, CASE WHEN i % 2 = 0 THEN 'free' ELSE 'paid' END, 0,
     'bench', CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'complete' END,
     CASE WHEN i % 50 = 0 THEN 'no_output' END, CASE WHEN i % 50 = 0 THEN 'no output tag' END, '[]',
     'answer ' || i, 'thinking ' || i, 100, 20, 0, 0, 0.001, 0, 100, '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z'
   FROM generate_series(0, $2 - 1) AS i`,
  [runId, samples],
);
for (const [classifier, decisions] of [
  ["tag-compliance", ["compliant", "refused", "refused", "unknown"]],
  ["af-reasoning", ["yes", "no", "no", "maybe"]],
]) {
  await client.query(
    `INSERT INTO verdicts (run_id, sample_key, classifier, status, decision, score, prompt_version, quotes, raw,
       input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, created_at)
     SELECT run_id, key, $2, 'ok', ($3::text[])[1 + (sample_index * 7 % 4)], NULL, 'v1', '[]', '[]', 0, 0, 0, 0, '2026-01-01T00:00:02Z'
     FROM samples WHERE run_id = $1 AND status = 'complete'`,
    [runId, classifier, decisions],
  );
}
await client.query("ANALYZE");
const fillSeconds = (performance.now() - fillStarted) / 1000;

// The summary's numbers against a scan of the rows the triggers summarised (an independent computation).
async function checkAgainstScan(report) {
  const scan = await client.query(
    `SELECT s.tier, COUNT(*) AS n, COUNT(*) FILTER (WHERE s.status = 'complete' AND v.decision = 'compliant') AS compliant,
       COUNT(*) FILTER (WHERE s.status = 'complete' AND v.decision = 'refused') AS refused
     FROM samples s LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'tag-compliance'
     WHERE s.run_id = $1 GROUP BY s.tier`,
    [runId],
  );
  for (const row of scan.rows) {
    const counted = report.tiers[row.tier];
    for (const field of ["n", "compliant", "refused"]) {
      if (counted?.[field] !== Number(row[field])) {
        throw new Error(`summary counted ${field} ${counted?.[field]} in ${row.tier}, a scan ${row[field]}`);
      }
    }
  }
}

const times = [];
for (let call = 0; call < repeat + 2; call++) {
  const started = performance.now();
  const report = await summarizeRun(store, runId);
  const elapsed = performance.now() - started;
  if (call === 0) await checkAgainstScan(report);
  if (call >= 2) times.push(elapsed);
}
times.sort((a, b) => a - b);
const at = (share) => times[Math.min(times.length - 1, Math.ceil(share * times.length) - 1)];
await client.query(`DROP SCHEMA ${schema} CASCADE`);
await client.end();
await store.close();

const p95 = at(0.95);
console.log(
  `PostgreSQL run summary, ${samples} samples (filled in ${fillSeconds.toFixed(1)} s), ${repeat} calls:`,
);
console.log(
  `  median ${at(0.5).toFixed(1)} ms · p95 ${p95.toFixed(1)} ms · limit p95 < ${limitMs} ms · ratio ${(p95 / limitMs).toFixed(2)}`,
);
console.log(p95 < limitMs ? "PASS" : "FAIL: over the limit");
process.exitCode = p95 < limitMs ? 0 : 1;
