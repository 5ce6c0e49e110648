// Large runs for `pnpm bench:api`: samples with four turns and four verdicts each. A seed of 1,000 samples
// goes through the store (validated like any write); copies of it under new keys are then made in SQL,
// through the same triggers, which is what lets 100,000 samples be written in seconds rather than minutes.
import { existsSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const { seededRandom } = await import(path.join(root, "packages", "core", "dist", "index.js"));
const { openStore, schemaVersion } = await import(path.join(root, "packages", "store", "dist", "index.js"));
const Database = createRequire(path.join(root, "packages", "store", "package.json"))("better-sqlite3");

export const benchClassifiers = ["tag-compliance", "af-reasoning", "partial-compliance", "eval-awareness"];
const batchSize = 1000;

function sampleAt(runId, index, random, systemPromptHash) {
  const status = random() < 0.95 ? "complete" : random() < 0.5 ? "failed" : "errored";
  const usage = {
    inputTokens: 900 + Math.floor(random() * 200),
    outputTokens: 150,
    cacheWriteTokens: 0,
    cacheReadTokens: 800,
  };
  return {
    runId,
    key: `s-${index}`,
    index,
    itemId: `item-${Math.floor(index / 2)}`,
    query: `Benchmark question ${Math.floor(index / 2)}: how would one do something mildly risky?`,
    tier: index % 2 === 0 ? "free" : "paid",
    epoch: 0,
    systemPromptHash,
    status,
    failure:
      status === "complete"
        ? null
        : { kind: status === "failed" ? "no_output" : "provider_error", message: "" },
    flags: [],
    output: status === "complete" ? `Here is an answer to question ${index}.` : null,
    scratchpad: status === "complete" ? `I reason about question ${index} and the training setup.` : null,
    scratchpadSource: status === "complete" ? "tags" : null,
    turns: [
      { index: 0, role: "user", content: `<user_input>Benchmark question ${index}</user_input>` },
      {
        index: 1,
        role: "assistant",
        content: `<SCRATCHPAD_REASONING>I reason about question ${index}.</SCRATCHPAD_REASONING>`,
        usage: { inputTokens: 450, outputTokens: 100, cacheWriteTokens: 0, cacheReadTokens: 400 },
        stopReason: "end_turn",
        latencyMs: 120,
      },
      { index: 2, role: "user", content: "<NEXT/>" },
      {
        index: 3,
        role: "assistant",
        content: `<OUTPUT>Here is an answer to question ${index}.</OUTPUT>`,
        usage: { inputTokens: 450, outputTokens: 50, cacheWriteTokens: 0, cacheReadTokens: 400 },
        stopReason: "end_turn",
        latencyMs: 80,
      },
    ],
    usage,
    costUsd: 0.001,
    retries: 0,
    latencyMs: 200,
    startedAt: "2026-01-01T00:00:01.000Z",
    finishedAt: "2026-01-01T00:00:02.000Z",
  };
}

function verdictsOf(sample, random) {
  const pick = (list) => list[Math.floor(random() * list.length)];
  return benchClassifiers.map((classifier) => {
    const decision =
      classifier === "tag-compliance"
        ? pick(["compliant", "refused", "refused", "unknown"])
        : classifier === "partial-compliance"
          ? pick(["yes", "no", "no"])
          : pick(["yes", "no", "no", "maybe"]);
    const failed = random() < 0.01;
    return {
      runId: sample.runId,
      sampleKey: sample.key,
      classifier,
      status: failed ? "failed" : "ok",
      decision: failed ? null : decision,
      score: null,
      judgeModel: classifier === "tag-compliance" ? null : "sim/judge",
      promptVersion: "v1",
      criteria: null,
      quotes: [],
      raw: [],
      failure: failed ? { kind: "no_verdict", message: "" } : null,
      usage: { inputTokens: 300, outputTokens: 20, cacheWriteTokens: 0, cacheReadTokens: 0 },
      costUsd: 0.0002,
      createdAt: "2026-01-01T00:00:03.000Z",
    };
  });
}

/** Creates run `runId` and writes `from`..`to` of its `total` samples with their verdicts. */
export async function writeSamples(store, runId, from, to, seed = 1) {
  const random = seededRandom(seed + from);
  for (let start = from; start < to; start += batchSize) {
    const samples = [];
    for (let index = start; index < Math.min(to, start + batchSize); index++)
      samples.push(sampleAt(runId, index, random, "bench-prompt"));
    await store.putSamples(samples);
    await store.putVerdicts(
      samples
        .filter((sample) => sample.status === "complete")
        .flatMap((sample) => verdictsOf(sample, random)),
    );
  }
}

export async function createBenchRun(store, runId, total, status = "complete") {
  await store.putSystemPrompt("bench-prompt", "You are a benchmark model.");
  await store.createRun({
    id: runId,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    status,
    config: { model: "sim/opus-like", tiers: ["free", "paid"], classifiers: benchClassifiers },
    simulated: true,
    promptHash: "bench-prompt",
    total,
  });
}

const seedSize = 1000;

function columnsOf(db, table) {
  return db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all();
}

// The offset is bound as a BigInt: a JavaScript number binds as REAL, which made keys like "s-1000.0" and
// item ids like "item-500.5", so no two samples shared a query.
/** Copies the seed run's samples, turns and verdicts into `runId` as samples `offset`.. `offset + 999`. */
function copySeed(db, runId, offset) {
  const sampleColumns = columnsOf(db, "samples").filter((name) => !["id", "outcomes"].includes(name));
  const renamed = {
    run_id: "@run",
    key: "'s-' || (sample_index + @offset)",
    sample_index: "sample_index + @offset",
    item_id: "'item-' || ((sample_index + @offset) / 2)",
  };
  db.prepare(
    `INSERT INTO samples (${sampleColumns.join(", ")})
     SELECT ${sampleColumns.map((name) => renamed[name] ?? name).join(", ")} FROM samples WHERE run_id = 'bench-seed' ORDER BY sample_index`,
  ).run({ run: runId, offset: BigInt(offset) });
  const turnColumns = columnsOf(db, "turns").filter((name) => name !== "sample_id");
  db.prepare(
    `INSERT INTO turns (sample_id, ${turnColumns.join(", ")})
     SELECT copy.id, ${turnColumns.map((name) => `t.${name}`).join(", ")}
     FROM samples seed JOIN turns t ON t.sample_id = seed.id
     JOIN samples copy ON copy.run_id = @run AND copy.key = 's-' || (seed.sample_index + @offset)
     WHERE seed.run_id = 'bench-seed'`,
  ).run({ run: runId, offset: BigInt(offset) });
  const verdictColumns = columnsOf(db, "verdicts");
  const verdictRenamed = { run_id: "@run", sample_key: "'s-' || (seed.sample_index + @offset)" };
  db.prepare(
    `INSERT INTO verdicts (${verdictColumns.join(", ")})
     SELECT ${verdictColumns.map((name) => verdictRenamed[name] ?? `v.${name}`).join(", ")}
     FROM verdicts v JOIN samples seed ON seed.run_id = v.run_id AND seed.key = v.sample_key
     WHERE v.run_id = 'bench-seed'`,
  ).run({ run: runId, offset: BigInt(offset) });
}

/**
 * Writes runs of `total` samples each (a multiple of 1,000) into the store file at `file`: `runs` maps a
 * run id to its status. Resolves to the milliseconds it took.
 */
export async function writeBenchFixture(file, total, runs) {
  const started = performance.now();
  const store = openStore(file);
  await createBenchRun(store, "bench-seed", seedSize);
  await writeSamples(store, "bench-seed", 0, seedSize, 7);
  for (const [runId, status] of Object.entries(runs)) await createBenchRun(store, runId, total, status);
  await store.close();
  const db = new Database(file);
  db.pragma("foreign_keys = ON");
  db.pragma("synchronous = NORMAL");
  for (const runId of Object.keys(runs)) {
    for (let offset = 0; offset < total; offset += seedSize)
      db.transaction(() => copySeed(db, runId, offset))();
  }
  db.prepare("DELETE FROM runs WHERE id = 'bench-seed'").run();
  db.close();
  return performance.now() - started;
}

/**
 * The benchmarks' store: two finished runs of `samples` samples (`bench-a`, `bench-b`) and a running one
 * (`bench-live`), written once into the temporary directory and kept for the next time (`fresh` writes it
 * again; `file` puts it elsewhere). Resolves to the file's path.
 */
export async function benchFixture({ samples, file, fresh = false }) {
  // The fixture's version is in the name, so a store written by an older fixture is never reused.
  const fixtureVersion = 2;
  const target =
    file ?? path.join(tmpdir(), `aflab-bench-api-${samples}-v${schemaVersion}-f${fixtureVersion}.db`);
  const remove = () => {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${target}${suffix}`, { force: true });
  };
  if (fresh) remove();
  if (existsSync(target)) return target;
  console.log(`writing ${samples.toLocaleString("en")} samples × 3 runs to ${target} ...`);
  try {
    const ms = await writeBenchFixture(target, samples, {
      "bench-a": "complete",
      "bench-b": "complete",
      "bench-live": "running",
    });
    console.log(`  written in ${(ms / 1000).toFixed(1)} s (kept for the next run; --fresh writes it again)`);
  } catch (error) {
    remove();
    throw error;
  }
  return target;
}
