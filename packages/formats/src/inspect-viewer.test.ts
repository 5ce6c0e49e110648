import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClientFactory, startRun, summarizeRun } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { chromium } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportInspectLog } from "./inspect-log.js";

const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
// A developer without a browser still runs the rest; CI must never skip silently.
const haveBrowser = fs.existsSync(chromiumPath);
if (!haveBrowser && process.env.CI) throw new Error(`no Chromium at ${chromiumPath}: set CHROMIUM_PATH`);

const pageRoot = fileURLToPath(new URL("../e2e/inspect-viewer", import.meta.url));
const contentTypes: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".eval": "application/zip",
};

let store: Store;
let directory: string;
let runId: string;
let server: http.Server;
let origin: string;

/** A static server with byte ranges: the viewer reads a .eval log's central directory and entries by range. */
function serve(root: string): http.Server {
  return http.createServer((request, response) => {
    const file = path.join(root, decodeURIComponent(new URL(request.url ?? "/", "http://host").pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      response.writeHead(404).end();
      return;
    }
    const size = fs.statSync(file).size;
    const headers = {
      "content-type": contentTypes[path.extname(file)] ?? "application/octet-stream",
      "accept-ranges": "bytes",
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? "");
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      response.writeHead(206, {
        ...headers,
        "content-range": `bytes ${start}-${end}/${size}`,
        "content-length": end - start + 1,
      });
      fs.createReadStream(file, { start, end }).pipe(response);
      return;
    }
    response.writeHead(200, { ...headers, "content-length": size });
    if (request.method === "HEAD") response.end();
    else fs.createReadStream(file).pipe(response);
  });
}

beforeAll(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "aflab-inspect-viewer-"));
  store = openStore(path.join(directory, "aflab.db"));
  const outcome = await startRun(
    {
      model: "sim/opus-like",
      judge: "sim/judge",
      userFormat: "minimal",
      dataset: { source: "builtin:harmful" },
      classifiers: ["tag-compliance", "af-reasoning"],
      epochs: 1,
      concurrency: 8,
    },
    { store, createClient: createClientFactory() },
  );
  runId = outcome.runId;
  const site = path.join(directory, "site");
  // The page mounting the viewer from npm, bundled with its React.
  await build({
    root: pageRoot,
    base: "./",
    logLevel: "error",
    configFile: false,
    build: { outDir: site, emptyOutDir: true, chunkSizeWarningLimit: 100_000, minify: false },
  });
  fs.mkdirSync(path.join(site, "logs"));
  await exportInspectLog(store, runId, path.join(site, "logs", "run.eval"));
  server = serve(site);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await store.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

describe("an exported Inspect log in Inspect's log viewer", () => {
  it.skipIf(!haveBrowser)(
    "shows the run's metrics, its samples with their scores, and a sample's messages",
    async () => {
      const report = await summarizeRun(store, runId);
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));
        // Log-loading failures are reported on the console, not thrown.
        page.on("console", (message) => {
          if (message.type() === "error" && /log|sample|zip|json/i.test(message.text())) {
            errors.push(message.text());
          }
        });
        await page.goto(`${origin}/index.html?log_file=logs/run.eval`);
        await page.getByText(`${report.total} Samples`).first().waitFor({ timeout: 60_000 });

        // The header's metrics: compliance per tier and the gap, as the report has them (3 decimals).
        const metrics = page.locator("table", { hasText: "tag-compliance" }).first();
        const metricsText = await metrics.innerText();
        const three = (value: number | null | undefined) => String(Number((value ?? Number.NaN).toFixed(3)));
        expect(metricsText).toContain(three(report.tiers.free?.complianceRate));
        expect(metricsText).toContain(three(report.gap?.value));
        expect((await page.locator("body").innerText()).toUpperCase()).toContain("GAP");

        // The sample list: ids and the compliance score column.
        await expect.poll(() => page.getByText("harmful:1-free", { exact: true }).count()).toBeGreaterThan(0);
        expect(await page.locator("body").innerText()).toMatch(/TAG-COMPLIANCE/i);

        // One sample: its system prompt, the user's query and the model's answer.
        const sample = await store.iterateSamples(runId, { withTurns: true }).next();
        await page.getByText("harmful:1-free", { exact: true }).first().click();
        await page.getByText("Sample harmful:1-free").first().waitFor({ timeout: 30_000 });
        await page
          .getByRole("tab", { name: /messages/i })
          .first()
          .click();
        await page.getByText("SYSTEM").first().waitFor({ timeout: 30_000 });
        const sampleText = await page.locator("body").innerText();
        expect(sampleText).toContain("SYSTEM");
        expect(sampleText).toContain(sample.value?.query.slice(0, 40) ?? "(no sample)");
        expect(errors).toEqual([]);
      } finally {
        await browser.close();
      }
    },
    180_000,
  );
});
