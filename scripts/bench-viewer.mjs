// `pnpm bench:viewer`: every page of the viewer on a 100,000-sample run, in Debian's Chromium.
// The store is `pnpm bench:api`'s fixture (two finished runs of --samples samples, four turns and four
// verdicts each, and a running one), written once and kept in the temporary directory. The API server runs
// in its own process, as `aflab serve` does, serving the built viewer. Each page is loaded --loads times in
// a fresh tab; the time is from navigation to its first useful content (the first rows of a table, the
// figure, the transcript). The first load of a page is cold: the server computes the report and keeps it
// until the run changes. Target (issue: every page stays fast on a 100k-sample run): the slowest load of each
// page, cold included, < 1,500 ms.
//
// Flags: --samples N (default 100000, a multiple of 1000), --loads K (3), --store FILE, --fresh.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const limitMs = 1500;

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "100000" },
    loads: { type: "string", default: "3" },
    store: { type: "string" },
    fresh: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log("usage: node scripts/bench-viewer.mjs [--samples 100000] [--loads 3] [--store FILE] [--fresh]");
  process.exit(0);
}
function positiveInteger(name, text) {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name}: expected a positive whole number, got "${text}"`);
    process.exit(2);
  }
  return value;
}
const samples = positiveInteger("samples", values.samples);
const loads = positiveInteger("loads", values.loads);
if (samples % 1000 !== 0) {
  console.error("--samples: expected a multiple of 1000");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
if (!existsSync(executablePath)) {
  console.error(
    `no Chromium at ${executablePath}: install it (apt-get install chromium) or set CHROMIUM_PATH`,
  );
  process.exit(2);
}
const viewerDir = path.join(root, "apps", "viewer", "dist");
if (!existsSync(path.join(viewerDir, "index.html"))) {
  console.error("the viewer is not built: run pnpm build first");
  process.exit(2);
}

const { benchFixture } = await import(path.join(root, "scripts", "bench-api-fixture.mjs"));
const { chromium } = await import(
  path.join(root, "apps", "viewer", "node_modules", "playwright-core", "index.mjs")
);

const file = await benchFixture({ samples, file: values.store, fresh: values.fresh });

const server = spawn(
  process.execPath,
  [path.join(root, "scripts", "bench-api-server.mjs"), file, "32", viewerDir],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const { url } = await new Promise((resolve, reject) => {
  server.once("exit", (code) => reject(new Error(`the server exited with ${code}`)));
  createInterface({ input: server.stdout }).once("line", (line) => resolve(JSON.parse(line)));
});

const last = samples - 1;
const lastItem = `item-${Math.floor(last / 2)}`;
const rows = (page, count = 5) =>
  page.waitForFunction(
    (wanted) => document.querySelectorAll("[role=row] .column-query a").length > wanted,
    count,
    { timeout: 60_000 },
  );
/** Each page: where it is, and what shows it is ready to read. */
const pages = [
  {
    name: "runs list",
    path: "/",
    ready: (page) => page.getByRole("link", { name: "bench-b" }).waitFor({ timeout: 60_000 }),
  },
  {
    name: "run page: figure and first rows",
    path: "/runs/bench-a",
    ready: async (page) => {
      await page
        .getByRole("img", { name: "Compliance and alignment faking per tier" })
        .waitFor({ timeout: 60_000 });
      await rows(page);
    },
  },
  {
    name: "run page sorted by compliance (descending)",
    path: "/runs/bench-a?sort=compliance&order=desc",
    ready: (page) => rows(page),
  },
  {
    name: "run page filtered to paid-tier compliant",
    path: "/runs/bench-a?tier=paid&compliance=compliant",
    ready: (page) => rows(page),
  },
  {
    name: "transcript of the last sample",
    path: `/runs/bench-a/samples/s-${last}`,
    ready: (page) => page.locator('[data-segment-kind="output"]').first().waitFor({ timeout: 60_000 }),
  },
  {
    name: "paired view of the last query",
    path: `/runs/bench-a/items/${lastItem}`,
    ready: (page) => page.getByTestId("paired-free-0").waitFor({ timeout: 60_000 }),
  },
  {
    name: "compare two runs",
    path: "/compare?a=bench-a&b=bench-b",
    ready: (page) => page.getByRole("table", { name: "Side by side" }).waitFor({ timeout: 60_000 }),
  },
  {
    name: "forest plot of three runs",
    path: "/compare/many?runs=bench-a,bench-b,bench-live",
    ready: (page) => page.getByTestId("forest-gap").waitFor({ timeout: 60_000 }),
  },
];

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
console.log(
  `viewer on ${samples.toLocaleString("en")} samples per run, ${loads} loads per page, load average ${loadavg()[0].toFixed(1)}`,
);
let failed = 0;
try {
  for (const target of pages) {
    const times = [];
    for (let load = 0; load < loads; load++) {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const errors = [];
      page.on("pageerror", (error) => errors.push(error.message));
      const started = performance.now();
      await page.goto(`${url}${target.path}`);
      await target.ready(page);
      times.push(performance.now() - started);
      await page.close();
      if (errors.length > 0) throw new Error(`${target.name}: the page threw: ${errors.join("; ")}`);
    }
    const slowest = Math.max(...times);
    const ok = slowest < limitMs;
    if (!ok) failed++;
    const shown = times.map((ms) => ms.toFixed(0)).join(", ");
    console.log(
      `  ${target.name.padEnd(44)} cold ${times[0].toFixed(0).padStart(5)} ms · loads ${shown} ms · slowest/limit ${(slowest / limitMs).toFixed(2)} ${ok ? "PASS" : "FAIL"}`,
    );
  }
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
console.log(
  failed === 0 ? `every page under ${limitMs} ms: PASS` : `${failed} page(s) at or over ${limitMs} ms: FAIL`,
);
process.exit(failed === 0 ? 0 : 1);
