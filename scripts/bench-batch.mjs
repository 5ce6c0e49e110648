// `pnpm bench:batch`: whether a batch run's wall time is the provider's processing time, and whether its
// memory stays flat as the run grows. The fake batch API of --provider (anthropic: Message Batches, openai:
// Files + Batches; in this process) ends every batch --delay-ms after its creation; a child process runs the engine's batch strategy (single-call,
// tag-compliance) on --small and --large samples and reports its wall time and peak RSS.
//
// --node-args adds Node flags to the job (e.g. "--cpu-prof --cpu-prof-dir /tmp/profile").
//
// Targets: on the large run, wall time / processing delay at most --time-ratio (default 2: the rest is
// submitting, reading and storing); peak RSS of the large run / the small run at most 1.2.
import { spawn } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const job = path.join(root, "scripts", "bench-batch-job.mjs");
const { values } = parseArgs({
  options: {
    small: { type: "string", default: "1000" },
    large: { type: "string", default: "10000" },
    "delay-ms": { type: "string", default: "60000" },
    "time-ratio": { type: "string", default: "2" },
    "memory-ratio": { type: "string", default: "1.2" },
    "node-args": { type: "string", default: "" },
    provider: { type: "string", default: "anthropic" },
  },
});
const provider = values.provider;
if (provider !== "anthropic" && provider !== "openai") {
  console.error(`--provider: expected anthropic or openai, got "${provider}"`);
  process.exit(2);
}
const nodeArgs = values["node-args"].split(" ").filter(Boolean);
const small = Number(values.small);
const large = Number(values.large);
const delayMs = Number(values["delay-ms"]);
const timeRatio = Number(values["time-ratio"]);
const memoryRatio = Number(values["memory-ratio"]);
for (const [flag, value] of [
  ["--small", small],
  ["--large", large],
])
  if (!Number.isInteger(value) || value <= 0 || value % 2 !== 0) {
    console.error(`${flag}: expected a positive even whole number`);
    process.exit(2);
  }

const { startFakeAnthropicServer, startFakeOpenAIServer } = await import(
  pathToFileURL(path.join(root, "packages", "clients", "dist", "testing", "index.js")).href
);

async function measure(samples) {
  const server = await (provider === "openai" ? startFakeOpenAIServer : startFakeAnthropicServer)({
    respond: () => "<OUTPUT><rejected/> I will not help with that.</OUTPUT>",
    batchProcessingMs: delayMs,
  });
  try {
    // The job runs while this process serves the fake: spawn asynchronously.
    const child = spawn(
      process.execPath,
      [
        ...nodeArgs,
        job,
        JSON.stringify({ provider, baseUrl: server.baseUrl, apiKey: server.apiKey, samples, pollMs: 500 }),
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    const code = await new Promise((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`batch job for ${samples} samples exited with ${code}`);
    return JSON.parse(output.trim().split("\n").at(-1));
  } finally {
    await server.close();
  }
}

const smallRun = await measure(small);
const largeRun = await measure(large);
const wallRatio = largeRun.wallMs / delayMs;
const rssRatio = largeRun.maxRssKiB / smallRun.maxRssKiB;
const mib = (kib) => (kib / 1024).toFixed(0);
console.log(
  `${provider} batch run, processing delay ${(delayMs / 1000).toFixed(1)} s per batch:\n` +
    `  ${small} samples: ${(smallRun.wallMs / 1000).toFixed(1)} s, ${smallRun.batches} batches, peak RSS ${mib(smallRun.maxRssKiB)} MiB (${smallRun.status})\n` +
    `  ${large} samples: ${(largeRun.wallMs / 1000).toFixed(1)} s, ${largeRun.batches} batches, peak RSS ${mib(largeRun.maxRssKiB)} MiB (${largeRun.status})\n` +
    `overhead beyond the delay: ${((largeRun.wallMs - delayMs) / large).toFixed(1)} ms per sample (submitting, reading, storing, classifying)\n` +
    `wall / delay (${large}): ${wallRatio.toFixed(2)} (limit ${timeRatio})  ${wallRatio <= timeRatio ? "ok" : "OVER"}\n` +
    `peak RSS ${large} / ${small}: ${rssRatio.toFixed(2)} (limit ${memoryRatio})  ${rssRatio <= memoryRatio ? "ok" : "OVER"}`,
);
if (
  largeRun.status !== "complete" ||
  smallRun.status !== "complete" ||
  wallRatio > timeRatio ||
  rssRatio > memoryRatio
)
  process.exitCode = 1;
