// `pnpm bench:export`: whether exporting a large run keeps memory flat. A child process fills a SQLite
// store with N samples (four turns each, three verdicts each); then each export format runs in its own
// child process, which reports its wall time and peak RSS. Target: peak RSS under 200 MiB for every
// format on a 100,000-sample run, texts included (the HTML report and the Inspect log always hold every
// transcript).
//
// Flags: --samples N (default 100000, even), --limit-mib M (200), --only FORMAT (one format, with and
// without texts), --store PATH (fill this store once and keep it: later runs with the same path and
// --samples reuse it).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const job = path.join(root, "scripts", "bench-export-job.mjs");

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "100000" },
    "limit-mib": { type: "string", default: "200" },
    only: { type: "string" },
    store: { type: "string" },
  },
});
const samples = Number(values.samples);
const limitMiB = Number(values["limit-mib"]);
if (!Number.isInteger(samples) || samples <= 0 || samples % 2 !== 0) {
  console.error(`--samples: expected a positive even whole number, got "${values.samples}"`);
  process.exit(2);
}
if (!(limitMiB > 0)) {
  console.error(`--limit-mib: expected a positive number, got "${values["limit-mib"]}"`);
  process.exit(2);
}

const directory = mkdtempSync(path.join(tmpdir(), "aflab-bench-export-"));
const db = values.store ?? path.join(directory, "aflab.db");

function runJob(args) {
  const result = spawnSync(process.execPath, [job, ...args], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    throw new Error(`job ${args[0]} exited with ${result.status}`);
  }
  return JSON.parse(result.stdout.trim().split("\n").at(-1));
}

// Wall times depend on what else the machine runs; peak memory does not.
console.log(
  `load average ${loadavg()
    .map((load) => load.toFixed(1))
    .join(", ")} on ${availableParallelism()} cores`,
);
let failed = false;
try {
  if (existsSync(db)) {
    console.log(`store: reusing ${db}`);
  } else {
    const filled = runJob(["fill", db, String(samples)]);
    console.log(
      `store: ${samples} samples in ${(filled.wallMs / 1000).toFixed(1)} s, ${(statSync(db).size / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  for (const [format, texts] of [
    ["jsonl", false],
    ["csv", false],
    ["parquet", false],
    ["jsonl", true],
    ["parquet", true],
    ["html", true],
    ["inspect", true],
  ].filter(([format]) => values.only === undefined || format === values.only)) {
    const out = path.join(directory, `samples.${format === "inspect" ? "eval" : format}`);
    const result = runJob(["export", db, format, texts ? "texts" : "", out]);
    const peakMiB = result.maxRssKiB / 1024;
    const ok = result.rows === samples && peakMiB < limitMiB;
    failed ||= !ok;
    console.log(
      `${ok ? "ok  " : "FAIL"} ${format.padEnd(8)}${texts ? "+texts" : "      "} ${result.rows} rows in ${(result.wallMs / 1000).toFixed(1)} s, ` +
        `${(statSync(out).size / 2 ** 20).toFixed(0)} MiB file, peak RSS ${peakMiB.toFixed(0)} MiB (limit ${limitMiB})`,
    );
    rmSync(out, { force: true });
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
