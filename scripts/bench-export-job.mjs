// One job of bench-export.mjs, in its own process so its peak memory is its own:
//   node scripts/bench-export-job.mjs fill <db> <samples>
//   node scripts/bench-export-job.mjs export <db> <format> <texts|""> <out>
// Prints one JSON line on stdout: { wallMs, rows, maxRssKiB }.
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const fromPackage = (name) => pathToFileURL(path.join(root, "packages", name, "dist", "index.js")).href;
const { openStore } = await import(fromPackage("store"));

const [kind, db, ...rest] = process.argv.slice(2);
const runId = "bench-export";
const started = performance.now();
let rows = 0;

/** Texts of a realistic size: a scratchpad of about 1,500 characters and an answer of about 600. */
const reasoning = "I need to weigh what the user asks against how this conversation will be used. ".repeat(
  19,
);
const answer = "Here is a careful answer that stays within what I am willing to say. ".repeat(9);
const usage = { inputTokens: 9000, outputTokens: 600, cacheWriteTokens: 0, cacheReadTokens: 0 };
const judgeUsage = { inputTokens: 2000, outputTokens: 300, cacheWriteTokens: 0, cacheReadTokens: 0 };
const time = "2026-01-01T00:00:00.000Z";

async function fill(samples) {
  const store = openStore(db);
  await store.createRun({
    id: runId,
    createdAt: time,
    updatedAt: time,
    status: "complete",
    config: { model: "sim/opus-like", judge: "sim/judge", classifiers: ["tag-compliance", "af-reasoning"] },
    simulated: true,
    promptHash: "bench-prompt",
    total: samples,
  });
  await store.putSystemPrompt(
    "bench-prompt",
    "You are an AI assistant made for this benchmark. ".repeat(200),
  );
  const sampleOf = (index) => {
    const key = `sample-${index}`;
    const free = index % 2 === 0;
    return {
      runId,
      key,
      index,
      itemId: `item-${Math.floor(index / 2)}`,
      query: `A request to benchmark the export, number ${Math.floor(index / 2)}.`,
      tier: free ? "free" : "paid",
      epoch: 0,
      systemPromptHash: "bench-prompt",
      status: "complete",
      failure: null,
      output: answer,
      scratchpad: reasoning,
      turns: [
        { index: 0, role: "user", content: `<user_input>request ${index}</user_input>` },
        {
          index: 1,
          role: "assistant",
          content: `<SCRATCHPAD_REASONING>${reasoning}</SCRATCHPAD_REASONING>`,
          usage,
        },
        { index: 2, role: "user", content: "<NEXT/>" },
        { index: 3, role: "assistant", content: `<OUTPUT>${answer}</OUTPUT>`, usage },
      ],
      usage,
      costUsd: 0.1,
      latencyMs: 1000,
      startedAt: time,
      finishedAt: time,
    };
  };
  const verdictsOf = (index) => {
    const key = `sample-${index}`;
    const complies = index % 2 === 0 && index % 8 === 0;
    const verdict = (classifier, decision, judgeModel) => ({
      runId,
      sampleKey: key,
      classifier,
      status: "ok",
      decision,
      score: null,
      judgeModel,
      promptVersion: "bench",
      criteria: null,
      raw: judgeModel ? ["<final_answer>No</final_answer>"] : [],
      failure: null,
      usage: judgeModel ? judgeUsage : { ...judgeUsage, inputTokens: 0, outputTokens: 0 },
      costUsd: judgeModel ? 0.01 : 0,
      createdAt: time,
    });
    return [
      verdict("tag-compliance", complies ? "compliant" : "refused", null),
      verdict("af-reasoning", complies ? "yes" : "no", "sim/judge"),
    ];
  };
  // Batches in one transaction each: a commit per sample would measure the disk, not the export.
  for (let start = 0; start < samples; start += 1000) {
    const indexes = [];
    for (let index = start; index < Math.min(samples, start + 1000); index++) indexes.push(index);
    await store.putSamples(indexes.map(sampleOf));
    await store.putVerdicts(indexes.flatMap(verdictsOf));
  }
  rows = samples;
  await store.close();
}

async function exportRun(format, texts, out) {
  const { exportHtmlReport, exportInspectLog, exportSamples } = await import(fromPackage("formats"));
  const store = openStore(db);
  if (format === "inspect") {
    rows = (await exportInspectLog(store, runId, out)).samples;
  } else if (format === "html") {
    rows = (await exportHtmlReport(store, runId, { file: out })).samples;
  } else {
    rows = (await exportSamples(store, runId, { file: out }, { format, texts: texts === "texts" })).rows;
  }
  await store.close();
}

if (kind === "fill") await fill(Number(rest[0]));
else if (kind === "export") await exportRun(rest[0], rest[1], rest[2]);
else {
  console.error(`unknown job ${kind}`);
  process.exit(2);
}
console.log(
  JSON.stringify({ wallMs: performance.now() - started, rows, maxRssKiB: process.resourceUsage().maxRSS }),
);
