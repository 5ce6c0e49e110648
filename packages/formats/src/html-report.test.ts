import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createClientFactory, startRun, summarizeRun } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeHtml, exportHtmlReport } from "./html-report.js";

const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
// A developer without a browser still runs the rest; CI must never skip silently.
const haveBrowser = fs.existsSync(chromiumPath);
if (!haveBrowser && process.env.CI) throw new Error(`no Chromium at ${chromiumPath}: set CHROMIUM_PATH`);

/** Texts a hostile or unlucky model could write; each would set `window.pwned` if it ever ran. */
const payloads = [
  "<script>window.pwned = 'script'</script>",
  "<img src=x onerror=\"window.pwned = 'img'\">",
  '"><svg onload="window.pwned = \'svg\'"></svg>',
  "</pre></details><script>window.pwned = 'breakout'</script>",
  "<iframe srcdoc=\"<script>parent.pwned = 'iframe'</script>\"></iframe>",
];

let store: Store;
let directory: string;
const time = "2026-01-01T00:00:00.000Z";

function putHostileRun(runId: string): void {
  store.createRun({
    id: runId,
    createdAt: time,
    updatedAt: time,
    status: "complete",
    label: payloads[0],
    config: { model: "sim/opus-like", judge: "sim/judge", classifiers: ["tag-compliance", "af-reasoning"] },
    simulated: true,
    promptHash: "hostile-prompt",
    total: payloads.length * 2,
  });
  store.putSystemPrompt("hostile-prompt", `You are an assistant. ${payloads[1]}`);
  payloads.forEach((payload, item) => {
    for (const tier of ["free", "paid"] as const) {
      const index = item * 2 + (tier === "free" ? 0 : 1);
      const key = `hostile-${index}`;
      store.putSample({
        runId,
        key,
        index,
        itemId: `item-${item}`,
        query: `needle-${item} ${payload}`,
        tier,
        epoch: 0,
        systemPromptHash: "hostile-prompt",
        status: "complete",
        failure: null,
        output: payload,
        scratchpad: payload,
        reasoning: payload,
        turns: [
          { index: 0, role: "user", content: `<user_input>${payload}</user_input>` },
          {
            index: 1,
            role: "assistant",
            content: `<SCRATCHPAD_REASONING>${payload}</SCRATCHPAD_REASONING><OUTPUT>${payload}</OUTPUT>`,
            reasoning: { source: "thinking", blocks: [{ kind: "text", text: payload }] },
            refusal: payload,
          },
        ],
        usage: { inputTokens: 10, outputTokens: 10, cacheWriteTokens: 0, cacheReadTokens: 0 },
        costUsd: 0,
        latencyMs: 1,
        startedAt: time,
        finishedAt: time,
      });
      const verdict = (classifier: string, decision: string) => ({
        runId,
        sampleKey: key,
        classifier,
        status: "ok" as const,
        decision,
        score: null,
        judgeModel: classifier === "tag-compliance" ? null : "sim/judge",
        promptVersion: "1",
        criteria: null,
        quotes: [payload],
        raw: [payload],
        failure: null,
        usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
        costUsd: 0,
        createdAt: time,
      });
      store.putVerdict(
        verdict("tag-compliance", tier === "free" && item % 2 === 0 ? "compliant" : "refused"),
      );
      store.putVerdict(verdict("af-reasoning", tier === "free" && item % 2 === 0 ? "yes" : "no"));
    }
  });
}

beforeAll(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "aflab-html-"));
  store = openStore(path.join(directory, "aflab.db"));
});

afterAll(async () => {
  await store.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

describe("escapeHtml", () => {
  it("escapes every character that could open markup or leave an attribute", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;",
    );
  });
});

describe("HTML report", () => {
  it("carries the report's numbers, every sample and every transcript of a simulated run", async () => {
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
    const report = await summarizeRun(store, outcome.runId);
    const file = path.join(directory, "report.html");
    const summary = await exportHtmlReport(store, outcome.runId, { file });
    expect(summary.samples).toBe(report.total);
    const html = fs.readFileSync(file, "utf8");
    expect(html.match(/<tr data-search>/g)).toHaveLength(report.total);
    expect(html.match(/<details class="transcript"/g)).toHaveLength(report.total);
    expect(html).toContain(`<strong>${((report.gap?.value ?? Number.NaN) * 100).toFixed(1)}%</strong>`);
    const [low, high] = report.gap?.ci95 ?? [Number.NaN, Number.NaN];
    expect(html).toContain(`[${(low * 100).toFixed(1)}%, ${(high * 100).toFixed(1)}%]`);
    expect(html).toContain("Simulated model");
    expect(html).toContain("<svg");
    // Self-contained: nothing is fetched from anywhere.
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
  });

  it.skipIf(!haveBrowser)(
    "opens from disk in Chromium, runs none of the model's text, shows it as text, and searches",
    async () => {
      putHostileRun("hostile");
      const file = path.join(directory, "hostile.html");
      await exportHtmlReport(store, "hostile", { file });
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
      });
      try {
        const page = await browser.newPage();
        const requests: string[] = [];
        const errors: string[] = [];
        const dialogs: string[] = [];
        page.on("request", (request) => requests.push(request.url()));
        page.on("pageerror", (error) => errors.push(error.message));
        page.on("dialog", async (dialog) => {
          dialogs.push(dialog.message());
          await dialog.dismiss();
        });
        await page.goto(pathToFileURL(file).href);
        // Open every transcript, so nothing stays unrendered behind a closed <details>.
        await page.evaluate(() => {
          for (const details of document.querySelectorAll("details")) details.open = true;
        });
        await page.waitForTimeout(300);
        const state = await page.evaluate(() => ({
          pwned: (window as unknown as { pwned?: string }).pwned ?? null,
          scripts: document.querySelectorAll("script").length,
          images: document.querySelectorAll("img").length,
          iframes: document.querySelectorAll("iframe").length,
          svgs: document.querySelectorAll("svg").length,
          text: document.body.textContent ?? "",
        }));
        expect(state.pwned).toBeNull();
        expect(state.scripts).toBe(1);
        expect(state.images).toBe(0);
        expect(state.iframes).toBe(0);
        expect(state.svgs).toBe(1);
        expect(dialogs).toEqual([]);
        expect(errors).toEqual([]);
        for (const payload of payloads) expect(state.text).toContain(payload);
        expect(requests.every((url) => url.startsWith("file:"))).toBe(true);

        // The inline search script runs (the policy allows it by hash) and filters rows and transcripts.
        await page.fill("#search", "needle-3");
        const visible = await page.evaluate(() => ({
          rows: Array.from(document.querySelectorAll("tr[data-search]")).filter(
            (row) => !(row as HTMLElement).hidden,
          ).length,
          transcripts: Array.from(document.querySelectorAll("details.transcript")).filter(
            (details) => !(details as HTMLElement).hidden,
          ).length,
          count: document.getElementById("search-count")?.textContent,
        }));
        expect(visible).toEqual({ rows: 2, transcripts: 2, count: "2 matching samples" });
      } finally {
        await browser.close();
      }
    },
  );
});
