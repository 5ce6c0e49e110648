// `pnpm bench:api`: the API on a large store. A store with two finished runs of --samples samples (four
// turns and four verdicts each) and a third, running one is written once and kept in the temporary
// directory for the next time. The server runs in its own process, as `aflab serve` does; another process
// appends samples to the running run, as an engine on the same file would. Then:
//   (a) --clients concurrent clients, each sending its next request as soon as the last is answered, for
//       --seconds per route: the run page's summary, the paired comparison of the two runs, a samples page
//       (first page, and one deep in the run). Target: p95 < 50 ms.
//   (b) --streams event streams follow the running run while samples are appended, and one client asks
//       `/api/health` every 5 ms. Target: p99 < 20 ms.
// Each route's first (cold) answer is printed apart: reports and comparisons are kept until their runs
// change, and that first answer is what it costs to compute one.
//
// Flags: --samples N (default 100000, a multiple of 1000), --clients C (20), --seconds S (8),
// --streams K (200), --store FILE (where the fixture is kept), --fresh (write it again).
import { spawn } from "node:child_process";
import http from "node:http";
import { loadavg } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "100000" },
    clients: { type: "string", default: "20" },
    seconds: { type: "string", default: "8" },
    streams: { type: "string", default: "200" },
    store: { type: "string" },
    fresh: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(
    "usage: node scripts/bench-api.mjs [--samples 100000] [--clients 20] [--seconds 8] [--streams 200] [--store FILE] [--fresh]",
  );
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
const clients = positiveInteger("clients", values.clients);
const seconds = positiveInteger("seconds", values.seconds);
const streams = positiveInteger("streams", values.streams);
if (samples % 1000 !== 0) {
  console.error("--samples: expected a multiple of 1000");
  process.exit(2);
}

const { benchFixture } = await import(path.join(root, "scripts", "bench-api-fixture.mjs"));

const file = await benchFixture({ samples, file: values.store, fresh: values.fresh });

function startChild(script, args) {
  const child = spawn(process.execPath, [path.join(root, "scripts", script), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const firstLine = new Promise((resolve, reject) => {
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const newline = output.indexOf("\n");
      if (newline >= 0) resolve(JSON.parse(output.slice(0, newline)));
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${script} exited with code ${code}`)));
  });
  return { child, ready: firstLine };
}

const server = startChild("bench-api-server.mjs", [file, String(streams)]);
const { url } = await server.ready;
const agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

/** One GET; resolves to [status, milliseconds]. The body is read in full. */
function get(route) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = http.get(`${url}${route}`, { agent }, (response) => {
      response.on("data", () => {});
      response.on("end", () => resolve([response.statusCode, performance.now() - started]));
      response.on("error", reject);
    });
    request.on("error", reject);
  });
}

function percentile(sorted, share) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? Number.NaN;
}

const results = [];
function report(label, latencies, share, limitMs) {
  const sorted = [...latencies].sort((left, right) => left - right);
  const value = percentile(sorted, share);
  const name = `p${Math.round(share * 100)}`;
  const ok = value < limitMs;
  results.push(ok);
  console.log(
    `  ${label.padEnd(34)} n=${String(sorted.length).padStart(6)}  p50 ${percentile(sorted, 0.5).toFixed(1).padStart(7)} ms  ${name} ${value.toFixed(1).padStart(7)} ms  max ${sorted.at(-1).toFixed(1).padStart(7)} ms  limit ${name} < ${limitMs} ms  ${(value / limitMs).toFixed(2)}×  ${ok ? "ok" : "OVER"}`,
  );
}

async function load(route) {
  const latencies = [];
  const failures = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const [status, ms] = await get(route);
        if (status !== 200) failures.push(status);
        latencies.push(ms);
      }
    }),
  );
  if (failures.length > 0)
    throw new Error(`${route}: ${failures.length} answers were not 200 (${failures[0]})`);
  return latencies;
}

console.log(
  `\n(a) ${clients} concurrent clients, ${seconds} s per route, runs of ${samples.toLocaleString("en")} samples`,
);
const routes = [
  ["run summary   GET /api/runs/bench-a", "/api/runs/bench-a"],
  ["compare       GET /api/compare", "/api/compare?a=bench-a&b=bench-b"],
  ["samples page  first 50", "/api/runs/bench-a/samples?limit=50"],
  ["samples page  50 at the middle", `/api/runs/bench-a/samples?limit=50&offset=${samples / 2}`],
  [
    "samples page  tier + verdict filter",
    "/api/runs/bench-a/samples?limit=50&tier=free&verdict=tag-compliance:refused",
  ],
];
for (const [label, route] of routes) {
  const [status, coldMs] = await get(route);
  if (status !== 200) throw new Error(`${route} answered ${status}`);
  console.log(`  ${label.padEnd(34)} first answer ${coldMs.toFixed(0)} ms`);
}
for (const [label, route] of routes) report(label, await load(route), 0.95, 50);

console.log(`\n(b) ${streams} event streams follow bench-live while another process appends samples`);
const writer = startChild("bench-api-writer.mjs", [file, "bench-live"]);
await writer.ready;
let progressEvents = 0;
let streamsOpen = 0;
const openStreams = [];
await Promise.all(
  Array.from(
    { length: streams },
    () =>
      new Promise((resolve, reject) => {
        const request = http.get(`${url}/api/runs/bench-live/events`, { agent }, (response) => {
          if (response.statusCode !== 200)
            return reject(new Error(`event stream answered ${response.statusCode}`));
          streamsOpen++;
          let first = true;
          response.setEncoding("utf8");
          response.on("data", (chunk) => {
            progressEvents += chunk.split("event: progress").length - 1;
            if (first) {
              first = false;
              resolve();
            }
          });
          response.on("error", () => {});
        });
        request.on("error", reject);
        openStreams.push(request);
      }),
  ),
);
const eventsBefore = progressEvents;
const health = [];
const until = performance.now() + seconds * 1000;
while (performance.now() < until) {
  const [status, ms] = await get("/api/health");
  if (status !== 200) throw new Error(`/api/health answered ${status}`);
  health.push(ms);
  await new Promise((resolve) => setTimeout(resolve, 5));
}
report(`health with ${streamsOpen} streams open`, health, 0.99, 20);
console.log(
  `  progress events delivered while measuring: ${progressEvents - eventsBefore} (${((progressEvents - eventsBefore) / streams / seconds).toFixed(2)} per stream per second)`,
);

writer.child.kill("SIGTERM");
for (const request of openStreams) request.destroy();
server.child.kill("SIGTERM");
agent.destroy();
const load1 = loadavg()[0].toFixed(2);
console.log(
  `\n${results.filter(Boolean).length}/${results.length} within their limits (load average ${load1} on ${(await import("node:os")).cpus().length} cores)`,
);
process.exit(results.every(Boolean) ? 0 : 1);
