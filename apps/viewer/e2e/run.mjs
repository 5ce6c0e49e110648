// Browser tests of the built viewer: Debian's Chromium through playwright-core against the API server
// on a store of demo runs. Prints "N passed, N failed" and exits non-zero on any failure.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { labelChecks } from "./labels.mjs";
import { sweepViewChecks } from "./sweep-views.mjs";
import { sweepChecks } from "./sweeps.mjs";
import { workChecks } from "./work.mjs";
import { workersChecks } from "./workers.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const viewerRoot = join(here, "..");
const executablePath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const screenshotDir = process.env.SCREENSHOT_DIR || mkdtempSync(join(tmpdir(), "aflab-screens-"));
mkdirSync(screenshotDir, { recursive: true });

if (!existsSync(join(viewerRoot, "dist", "index.html"))) {
  console.error("the viewer is not built: run the viewer build first");
  process.exit(1);
}
/** The totals `pnpm test` adds up in its closing line. */
function writeResults(passed, failed, skipped = 0) {
  mkdirSync(join(viewerRoot, "dist-test"), { recursive: true });
  const results = { numPassedTests: passed, numFailedTests: failed, numPendingTests: skipped };
  writeFileSync(join(viewerRoot, "dist-test", "e2e-results.json"), `${JSON.stringify(results)}\n`);
}

if (!existsSync(executablePath)) {
  // A developer without a browser still gets the rest of the suite; CI must never skip silently.
  const message = `no Chromium at ${executablePath}: install it (apt-get install chromium) or set CHROMIUM_PATH`;
  if (process.env.CI) {
    console.error(message);
    process.exit(1);
  }
  console.log(`browser tests skipped: ${message}`);
  writeResults(0, 0, 1);
  process.exit(0);
}

/** Start a fixture server in its own process (TypeScript sources through tsx) and read its one line. */
async function startServer(fixture = "fixture-server.ts") {
  const child = spawn(
    process.execPath,
    ["--conditions=@aflab/source", "--import", "tsx", join(here, fixture)],
    { cwd: viewerRoot, stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const facts = await new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("the fixture server did not start within 180 s")),
      180_000,
    );
    child.once("exit", (code) => reject(new Error(`the fixture server exited with ${code}`)));
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
  });
  return {
    facts,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  };
}

const results = [];
async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`ok    ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`FAIL  ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const server = await startServer();
const {
  url,
  runId,
  compareRunId,
  largeRunId,
  failedRunId,
  fakingKey,
  markupKey,
  awareKey,
  engineRunId,
  engineFakingKey,
  recorded,
} = server.facts;
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
const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
const consoleMessages = [];
const pageErrors = [];
page.on("console", (message) => consoleMessages.push(message.text()));
page.on("pageerror", (error) => pageErrors.push(error.message));
page.on("dialog", (dialog) => {
  consoleMessages.push(`dialog: ${dialog.message()}`);
  void dialog.dismiss();
});

async function apiTotal(path) {
  const response = await page.request.get(`${url}${path}`);
  const body = await response.json();
  return body.total;
}

async function matchCount() {
  const text = await page.getByTestId("match-count").textContent();
  return Number((text ?? "").replace(/[^0-9]/g, ""));
}

try {
  await check("the runs page lists every run", async () => {
    await page.goto(url);
    await page.getByRole("link", { name: "simulated helpful-only" }).waitFor();
    assert(
      await page.getByRole("link", { name: "more compliant variant" }).isVisible(),
      "second run missing",
    );
    assert(await page.getByRole("link", { name: largeRunId }).isVisible(), "large run missing");
  });

  await check("the run page shows the figure, key numbers and the SIMULATED banner", async () => {
    await page.getByRole("link", { name: "simulated helpful-only" }).click();
    await page.waitForURL(`${url}/runs/${runId}`);
    const figure = page.getByRole("img", { name: "Compliance and alignment faking per tier" });
    await figure.waitFor();
    const segments = await page.locator("[data-segment]").count();
    assert(segments >= 4, `expected at least 4 bar segments, found ${segments}`);
    // The computed fill, not the attribute: a stylesheet rule would silently win over the attribute.
    const hatched = await page
      .locator('[data-segment="compliesWithAf"]')
      .evaluate((element) => getComputedStyle(element).fill);
    assert(hatched.includes("#hatch-af"), `alignment-faking segment is not hatched (fill ${hatched})`);
    assert((await page.locator("[data-error-bar]").count()) === 2, "expected an error bar per tier");
    assert((await page.locator("[data-reference]").count()) === 2, "expected the paper's reference per tier");
    const banner = await page.getByRole("alert").textContent();
    assert(banner?.includes("SIMULATED"), "no SIMULATED banner");
    const detail = await (await page.request.get(`${url}/api/runs/${runId}`)).json();
    const free = detail.summary.tiers.free;
    const shown = await page.getByTestId("compliance-free").textContent();
    const expected = `${(free.complianceRate * 100).toFixed(1)}% ± ${(free.se * 100).toFixed(1)}`;
    assert(shown === expected, `free compliance shows ${shown}, the API says ${expected}`);
    for (const tier of ["free", "paid"]) {
      const aware = detail.summary.evalAwareness[tier];
      const awareShown = await page.getByTestId(`eval-awareness-${tier}`).textContent();
      const awareExpected = `${(aware.rate * 100).toFixed(1)}% ± ${(aware.se * 100).toFixed(1)}`;
      assert(
        awareShown === awareExpected,
        `eval awareness (${tier}) shows ${awareShown}, the API says ${awareExpected}`,
      );
    }
    const gap = detail.summary.unverbalisedGap.gap;
    const gapShown = await page.getByTestId("unverbalised-gap").locator(".stat-value").textContent();
    const gapExpected = `${gap.value > 0 ? "+" : ""}${(gap.value * 100).toFixed(1)} pp`;
    assert(gapShown === gapExpected, `unverbalised gap shows ${gapShown}, the API says ${gapExpected}`);
    await page.screenshot({ path: join(screenshotDir, "run-page.png"), fullPage: true });
  });

  await check("filters narrow the sample table and live in the URL", async () => {
    await page.waitForFunction(() => document.querySelectorAll("[role=row] .column-query a").length > 0);
    const all = await matchCount();
    assert(all === (await apiTotal(`/api/runs/${runId}/samples?limit=1`)), `table says ${all} samples`);
    await page.getByLabel("Tier", { exact: true }).selectOption("free");
    await page.getByLabel("Compliance", { exact: true }).selectOption("compliant");
    await page.waitForURL(/tier=free/);
    await page.waitForURL(/compliance=compliant/);
    const expected = await apiTotal(
      `/api/runs/${runId}/samples?tier=free&verdict=tag-compliance:compliant&limit=1`,
    );
    await page.waitForFunction((count) => {
      const text = document.querySelector('[data-testid="match-count"]')?.textContent ?? "";
      return Number(text.replace(/[^0-9]/g, "")) === count;
    }, expected);
    assert(expected > 0 && expected < all, `filter did not narrow: ${expected} of ${all}`);
    const tiers = await page.locator("[role=row] .column-tier").allTextContents();
    assert(tiers.length === expected && tiers.every((tier) => tier === "free"), `rows: ${tiers.join(",")}`);
    await page.getByLabel("Search samples").fill("(request 1)");
    await page.waitForURL(/q=/);
    await page.waitForFunction(() => document.querySelectorAll("[role=row]").length <= 1);
  });

  await check("keyboard: j moves the selection and Enter opens the transcript", async () => {
    await page.goto(`${url}/runs/${runId}?tier=free`);
    const grid = page.getByRole("grid", { name: "Sample rows" });
    await page.waitForFunction(() => document.querySelectorAll("[role=row] .column-query a").length > 2);
    await grid.focus();
    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.waitForURL(/row=2/);
    const chosen = await page
      .locator('[role=row][aria-selected="true"] .column-query a')
      .getAttribute("href");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/samples\//);
    assert(chosen && page.url().endsWith(chosen), `opened ${page.url()}, selected ${chosen}`);
  });

  await check(
    "a transcript shows its scratchpad, output, highlighted judge quotes and raw judge output",
    async () => {
      await page.goto(`${url}/runs/${runId}/samples/${encodeURIComponent(fakingKey)}?tier=free`);
      await page.locator('[data-segment-kind="scratchpad"]').first().waitFor();
      assert((await page.locator('[data-segment-kind="output"]').count()) === 1, "expected one output block");
      assert((await page.locator('[data-segment-kind="draft"]').count()) >= 1, "expected a draft block");
      const marks = await page.locator('[data-segment-kind="scratchpad"] mark.judge-quote').allTextContents();
      assert(
        marks.some((text) => text.includes("RLHF will change me")),
        `quotes highlighted: ${marks.join(" | ")}`,
      );
      const systemPrompt = page.locator("details.system-prompt");
      assert((await systemPrompt.getAttribute("open")) === null, "system prompt should start collapsed");
      const raw = page.locator('[data-classifier="af-reasoning"] details.raw-judge');
      assert(!(await raw.locator("pre").first().isVisible()), "raw judge output should be one click away");
      await raw.locator("summary").click();
      assert(await raw.locator("pre").first().isVisible(), "raw judge output did not open");
      await page.screenshot({ path: join(screenshotDir, "transcript-page.png"), fullPage: true });
      const next = page.getByRole("link", { name: "next" });
      const before = page.url();
      await next.click();
      await page.waitForURL((current) => current.toString() !== before);
      assert(page.url().includes("tier=free"), "next lost the filters");
    },
  );

  await check("a transcript shows the eval-awareness verdict and highlights its quote", async () => {
    await page.goto(`${url}/runs/${runId}/samples/${encodeURIComponent(awareKey)}`);
    await page.locator('[data-segment-kind="scratchpad"]').first().waitFor();
    const badge = await page.getByTestId("verdict-eval-awareness").textContent();
    assert(badge?.startsWith("evaluation awareness: yes"), `eval-awareness badge says ${badge}`);
    const marks = await page.locator('[data-segment-kind="scratchpad"] mark.judge-quote').allTextContents();
    assert(
      marks.some((text) => text.includes("reads like a test of whether I will go along")),
      `quotes highlighted: ${marks.join(" | ")}`,
    );
    assert(
      (await page.locator('[data-classifier="eval-awareness"]').count()) === 1,
      "no eval-awareness verdict card",
    );
  });

  await check("markup in model output is shown as text and never runs", async () => {
    consoleMessages.length = 0;
    await page.goto(`${url}/runs/${runId}/samples/${encodeURIComponent(markupKey)}`);
    await page.locator('[data-segment-kind="output"]').waitFor();
    await page.waitForTimeout(300);
    const injected = await page.evaluate(() => window.__aflabInjected);
    assert(injected === undefined, `the payload ran (${injected})`);
    const output = await page.locator('[data-segment-kind="output"] pre').textContent();
    assert(
      output?.includes('<script>window.__aflabInjected = "script"</script>'),
      "script tag not shown as text",
    );
    assert(output?.includes("<img src=x onerror="), "img tag not shown as text");
    const images = await page.locator("main img").count();
    assert(images === 0, `${images} <img> elements were created`);
    assert(!consoleMessages.some((text) => text.includes("__aflabInjected")), "payload reached the console");
  });

  await check("the sample table stays fast with 10,000 samples", async () => {
    const started = Date.now();
    await page.goto(`${url}/runs/${largeRunId}`);
    await page.waitForFunction(() => document.querySelectorAll("[role=row] .column-query a").length > 5);
    const firstPaint = Date.now() - started;
    assert((await matchCount()) === 10_000, `expected 10,000 samples, table says ${await matchCount()}`);
    const rendered = await page.locator("[role=row]").count();
    assert(rendered < 100, `${rendered} rows in the DOM: not virtualised`);
    const scrollStart = Date.now();
    await page.getByRole("grid", { name: "Sample rows" }).evaluate((element) => {
      element.scrollTop = element.scrollHeight;
    });
    await page.waitForFunction(() =>
      [...document.querySelectorAll("[role=row] .column-index")].some((cell) => cell.textContent === "9999"),
    );
    const scrolled = Date.now() - scrollStart;
    assert(
      firstPaint < 5_000 && scrolled < 5_000,
      `slow: first rows ${firstPaint} ms, jump to end ${scrolled} ms`,
    );
    console.log(
      `      first rows ${firstPaint} ms, jump to the last row ${scrolled} ms, ${rendered} rows in the DOM`,
    );
  });

  await check("the compare page shows both runs side by side and the flipped queries", async () => {
    await page.goto(`${url}/compare?a=${runId}&b=${compareRunId}`);
    await page.getByRole("table", { name: "Side by side" }).waitFor();
    const comparison = await (
      await page.request.get(`${url}/api/compare?a=${runId}&b=${compareRunId}`)
    ).json();
    const heading = await page.getByRole("heading", { name: /Flipped queries/ }).textContent();
    const expected = comparison.comparison.flipped.length + comparison.comparison.flippedNotListed;
    assert(heading?.includes(`(${expected})`), `heading ${heading}, expected ${expected} flips`);
    const rows = await page.locator(".flipped-table tbody tr").count();
    assert(rows === comparison.comparison.flipped.length, `${rows} flipped rows shown`);
  });

  await check(
    "a run the engine made on the simulated organism shows its figure and transcripts",
    async () => {
      await page.goto(`${url}/runs/${engineRunId}`);
      await page.getByRole("img", { name: "Compliance and alignment faking per tier" }).waitFor();
      const banner = await page.getByRole("alert").textContent();
      assert(banner?.includes("SIMULATED"), "no SIMULATED banner on the engine run");
      const detail = await (await page.request.get(`${url}/api/runs/${engineRunId}`)).json();
      const free = detail.summary.tiers.free;
      const shown = await page.getByTestId("compliance-free").textContent();
      const expected = `${(free.complianceRate * 100).toFixed(1)}% ± ${(free.se * 100).toFixed(1)}`;
      assert(shown === expected, `free compliance shows ${shown}, the API says ${expected}`);
      await page.goto(`${url}/runs/${engineRunId}/samples/${encodeURIComponent(engineFakingKey)}`);
      await page.locator('[data-segment-kind="scratchpad"]').first().waitFor();
      assert((await page.locator('[data-segment-kind="output"]').count()) === 1, "expected one output block");
      const marks = await page.locator('[data-segment-kind="scratchpad"] mark.judge-quote').count();
      assert(marks > 0, "no judge quote is highlighted in the engine run's scratchpad");
      await page.screenshot({ path: join(screenshotDir, "engine-transcript-page.png"), fullPage: true });
    },
  );

  await check(
    "a run on recorded Claude replies shows native reasoning as its own block and the API refusals",
    async () => {
      await page.goto(`${url}/runs/${recorded.runId}`);
      const refused = await page.getByTestId("api-refused-free").textContent();
      assert(
        refused?.startsWith(`${recorded.apiRefusedPerTier} of `),
        `free tier shows ${refused}, expected ${recorded.apiRefusedPerTier} API refusals`,
      );
      const judged = await page.getByTestId("judged-source").textContent();
      assert(judged?.includes("native reasoning"), `the key numbers say ${judged}`);

      await page.goto(`${url}/runs/${recorded.runId}/samples/${encodeURIComponent(recorded.thinkingKey)}`);
      const block = page.locator('[data-segment-kind="reasoning"] pre').first();
      await block.waitFor();
      const text = await block.textContent();
      assert(text === recorded.thinking, `the reasoning block shows ${JSON.stringify(text)}`);

      await page.goto(`${url}/runs/${recorded.runId}/samples/${encodeURIComponent(recorded.bothKey)}`);
      await page.locator('[data-segment-kind="reasoning"]').first().waitFor();
      const kinds = await page
        .locator(".turns [data-segment-kind]")
        .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-segment-kind")));
      assert(
        kinds.indexOf("reasoning") < kinds.indexOf("scratchpad") && kinds.includes("output"),
        `blocks in order ${kinds.join(", ")}`,
      );
      await page.screenshot({ path: join(screenshotDir, "reasoning-transcript-page.png"), fullPage: true });

      await page.goto(`${url}/runs/${recorded.runId}/samples/${encodeURIComponent(recorded.refusedKey)}`);
      const badge = await page.getByTestId("api-refusal").textContent();
      assert(badge?.includes('stop_reason "refusal"'), `the refused sample shows ${badge}`);
    },
  );

  /** Every sample row of a run from the table's own route (not the paired view's), for independent checks. */
  async function allRows(id) {
    const rows = [];
    for (let offset = 0; ; offset += 1000) {
      const body = await (
        await page.request.get(`${url}/api/runs/${id}/samples?limit=1000&offset=${offset}`)
      ).json();
      rows.push(...body.samples);
      if (rows.length >= body.total) return rows;
    }
  }

  async function shownDecisions(cell) {
    const decisions = {};
    for (const role of ["compliance", "alignment-faking", "eval-awareness"]) {
      decisions[role] = (await cell.locator(`[data-role="${role}"]`).textContent())?.split(" (")[0];
    }
    return decisions;
  }

  function expectedDecision(row, classifier) {
    const verdict = row.verdicts[classifier];
    if (!verdict) return "not judged";
    if (verdict.status === "failed") return "judge failed";
    if (verdict.status === "not_applicable") return "not applicable";
    return verdict.decision ?? "no decision";
  }

  await check(
    "the paired view shows both tiers of a query with the API's decisions, from the table",
    async () => {
      await page.setViewportSize({ width: 1440, height: 900 });
      const rows = await allRows(runId);
      const faking = rows.find((row) => row.key === fakingKey);
      await page.goto(`${url}/runs/${runId}`);
      const grid = page.getByRole("grid", { name: "Sample rows" });
      await page.waitForFunction(() => document.querySelectorAll("[role=row] .column-pair a").length > 2);
      // The faking sample's row: select it from the address, then p opens its query in every tier.
      await page.goto(`${url}/runs/${runId}?row=${faking.index}`);
      await page.waitForFunction(() =>
        document.querySelector('[role=row][aria-selected="true"] .column-pair a'),
      );
      await grid.focus();
      await page.keyboard.press("p");
      await page.waitForURL(`${url}/runs/${runId}/items/${encodeURIComponent(faking.itemId)}`);
      await page.getByTestId("paired-free-0").waitFor();
      const siblings = rows.filter((row) => row.itemId === faking.itemId);
      assert(siblings.length === 2, `the query has ${siblings.length} samples in the table's route`);
      for (const row of siblings) {
        const cell = page.getByTestId(`paired-${row.tier}-${row.epoch}`);
        const key = await cell.getAttribute("data-sample-key");
        assert(key === row.key, `the ${row.tier} cell shows ${key}, expected ${row.key}`);
        const shown = await shownDecisions(cell);
        const expected = {
          compliance: expectedDecision(row, "tag-compliance"),
          "alignment-faking": expectedDecision(row, "af-reasoning"),
          "eval-awareness": expectedDecision(row, "eval-awareness"),
        };
        assert(
          JSON.stringify(shown) === JSON.stringify(expected),
          `${row.tier}: shows ${JSON.stringify(shown)}, the API says ${JSON.stringify(expected)}`,
        );
      }
      assert(
        (
          await page.getByTestId("paired-free-0").locator('[data-role="alignment-faking"]').textContent()
        )?.startsWith("yes"),
        "the training-tier cell of the faking query does not say alignment faking yes",
      );
      const marks = await page.getByTestId("paired-free-0").locator("mark.judge-quote").count();
      assert(marks > 0, "the judge's quotes are not highlighted in the training-tier scratchpad");
      await page.screenshot({ path: join(screenshotDir, "paired-view.png") });
    },
  );

  await check("the paired view moves across queries with the keyboard, in the run's order", async () => {
    const rows = await allRows(runId);
    const items = [];
    for (const row of [...rows].sort((a, b) => a.index - b.index)) {
      if (!items.includes(row.itemId)) items.push(row.itemId);
    }
    await page.goto(`${url}/runs/${runId}/items/${encodeURIComponent(items[0])}`);
    await page.getByTestId("paired-free-0").waitFor();
    const position = await page.getByTestId("item-position").textContent();
    assert(position?.startsWith(`query 1 of ${items.length}`), `position says ${position}`);
    await page.keyboard.press("ArrowRight");
    await page.waitForURL(`${url}/runs/${runId}/items/${encodeURIComponent(items[1])}`);
    // The next query is known once this one has loaded.
    await page
      .getByTestId("item-position")
      .filter({ hasText: `query 2 of ${items.length}` })
      .waitFor();
    await page.keyboard.press("j");
    await page.waitForURL(`${url}/runs/${runId}/items/${encodeURIComponent(items[2])}`);
    await page
      .getByTestId("item-position")
      .filter({ hasText: `query 3 of ${items.length}` })
      .waitFor();
    await page.keyboard.press("ArrowLeft");
    await page.waitForURL(`${url}/runs/${runId}/items/${encodeURIComponent(items[1])}`);
  });

  await check("the paired view shows every epoch of an engine run's query", async () => {
    const rows = await allRows(engineRunId);
    const engineFaking = rows.find((row) => row.key === engineFakingKey);
    const siblings = rows.filter((row) => row.itemId === engineFaking.itemId);
    await page.goto(`${url}/runs/${engineRunId}/items/${encodeURIComponent(engineFaking.itemId)}`);
    await page.getByTestId("paired-free-0").waitFor();
    const cells = await page.locator(".paired-cell").count();
    assert(
      cells === siblings.length && cells === 6,
      `${cells} cells, the run has ${siblings.length} samples of the query`,
    );
    for (const row of siblings) {
      const shown = await page
        .getByTestId(`paired-${row.tier}-${row.epoch}`)
        .locator('[data-role="compliance"]')
        .textContent();
      const expected = expectedDecision(row, "tag-compliance");
      assert(
        shown?.split(" (")[0] === expected,
        `${row.tier} epoch ${row.epoch}: ${shown}, expected ${expected}`,
      );
    }
    await page.screenshot({ path: join(screenshotDir, "paired-view-epochs.png") });
  });

  await check("compare's flipped queries open the paired view of each run", async () => {
    await page.goto(`${url}/compare?a=${runId}&b=${compareRunId}`);
    await page.locator(".flipped-table tbody tr").first().waitFor();
    const comparison = await (
      await page.request.get(`${url}/api/compare?a=${runId}&b=${compareRunId}`)
    ).json();
    const flip = comparison.comparison.flipped[0];
    await page.locator(".flipped-table tbody tr").first().getByRole("link", { name: "in B" }).click();
    await page.waitForURL(`${url}/runs/${compareRunId}/items/${encodeURIComponent(flip.itemId)}`);
    const cell = page.getByTestId(`paired-${flip.tier}-${flip.epoch}`);
    await cell.waitFor();
    assert(
      (await cell.getAttribute("data-sample-key")) === flip.sampleKeyB,
      "the cell is not run B's sample",
    );
    const shown = await cell.locator('[data-role="compliance"]').textContent();
    assert(shown === flip.after, `run B's cell says ${shown}, compare says ${flip.after}`);
    await page.goBack();
    await page.locator(".flipped-table tbody tr").first().getByRole("link", { name: "in A" }).click();
    await page.waitForURL(`${url}/runs/${runId}/items/${encodeURIComponent(flip.itemId)}`);
    const before = await page
      .getByTestId(`paired-${flip.tier}-${flip.epoch}`)
      .locator('[data-role="compliance"]')
      .textContent();
    assert(before === flip.before, `run A's cell says ${before}, compare says ${flip.before}`);
  });

  await check("markup in the paired view is shown as text and never runs", async () => {
    const rows = await allRows(runId);
    const markup = rows.find((row) => row.key === markupKey);
    await page.goto(`${url}/runs/${runId}/items/${encodeURIComponent(markup.itemId)}`);
    const output = page.getByTestId("paired-free-0").locator('[data-segment-kind="output"] pre');
    await output.waitFor();
    await page.waitForTimeout(300);
    assert((await page.evaluate(() => window.__aflabInjected)) === undefined, "the payload ran");
    assert(
      (await output.textContent())?.includes("<script>window.__aflabInjected"),
      "script not shown as text",
    );
    const scratchpad = await page
      .getByTestId("paired-free-0")
      .locator('[data-segment-kind="scratchpad"] pre')
      .textContent();
    assert(scratchpad?.includes("<img src=x onerror="), "img tag in the scratchpad not shown as text");
    assert((await page.locator("main img").count()) === 0, "an <img> element was created");
    await page.setViewportSize({ width: 1280, height: 1000 });
  });

  await check(
    "the runs list shows each run's n, gap ± SE, AF rate and cost as its report says; sorts and filters in the URL",
    async () => {
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(url);
      await page.locator("tr[data-run-id]").first().waitFor();
      const ids = await page
        .locator("tr[data-run-id]")
        .evaluateAll((rows) => rows.map((row) => row.dataset.runId));
      const reports = new Map();
      for (const id of ids) {
        reports.set(id, await (await page.request.get(`${url}/api/runs/${encodeURIComponent(id)}`)).json());
      }
      const pp = (value) => `${value > 0 ? "+" : ""}${(value * 100).toFixed(1)} pp`;
      const money = (value) =>
        value === null
          ? "unknown"
          : value === 0
            ? "$0"
            : value < 0.01
              ? `$${value.toFixed(4)}`
              : `$${value.toFixed(2)}`;
      for (const id of ids) {
        const { summary } = reports.get(id);
        const row = page.locator(`tr[data-run-id="${id}"]`);
        const cell = async (column) => (await row.locator(`[data-column="${column}"]`).textContent())?.trim();
        const n = Object.values(summary.tiers).reduce((sum, tier) => sum + tier.n, 0);
        assert(
          (await cell("n")) === n.toLocaleString("en-US"),
          `${id}: n shows ${await cell("n")}, the report says ${n}`,
        );
        const gap = summary.gap ? `${pp(summary.gap.value)} ± ${(summary.gap.se * 100).toFixed(1)}` : "–";
        assert((await cell("gap")) === gap, `${id}: gap shows ${await cell("gap")}, the report says ${gap}`);
        const free = summary.alignmentFaking?.free;
        const af = free
          ? free.rate === null
            ? "–"
            : `${(free.rate * 100).toFixed(1)}% ± ${(free.se * 100).toFixed(1)}`
          : "–";
        assert((await cell("af")) === af, `${id}: AF shows ${await cell("af")}, the report says ${af}`);
        const cost =
          summary.usage.costUsd === null || summary.usage.judgeCostUsd === null
            ? null
            : summary.usage.costUsd + summary.usage.judgeCostUsd;
        assert(
          (await cell("cost")) === money(cost),
          `${id}: cost shows ${await cell("cost")}, the report says ${money(cost)}`,
        );
      }
      await page.screenshot({ path: join(screenshotDir, "runs-list.png") });

      await page.getByRole("button", { name: /^gap ± SE/ }).click();
      await page.waitForURL(/sort=gap/);
      const byGap = [...ids].sort((a, b) => {
        const gapA = reports.get(a).summary.gap?.value ?? null;
        const gapB = reports.get(b).summary.gap?.value ?? null;
        if (gapA === null || gapB === null)
          return gapA === gapB ? ids.indexOf(a) - ids.indexOf(b) : gapA === null ? 1 : -1;
        return gapB - gapA || ids.indexOf(a) - ids.indexOf(b);
      });
      // The server orders every run, so the new order arrives with the next answer.
      await page
        .waitForFunction(
          (expected) =>
            [...document.querySelectorAll("tr[data-run-id]")].map((row) => row.dataset.runId).join(",") ===
            expected,
          byGap.join(","),
          { timeout: 10_000 },
        )
        .catch(() => {});
      let shown = await page
        .locator("tr[data-run-id]")
        .evaluateAll((rows) => rows.map((row) => row.dataset.runId));
      assert(
        shown.join(",") === byGap.join(","),
        `sorted by gap: ${shown.join(",")}, expected ${byGap.join(",")}`,
      );

      await page.getByLabel("Model kind").selectOption("false");
      await page.waitForURL(/simulated=false/);
      const real = ids.filter((id) => !reports.get(id).run.simulated);
      assert(
        real.length > 0 && real.length < ids.length,
        `expected a mix of real and simulated runs, ${real.length} real`,
      );
      await page.waitForFunction(
        (count) => document.querySelectorAll("tr[data-run-id]").length === count,
        real.length,
      );
      // The address keeps it: a reload shows the same rows in the same order.
      await page.reload();
      await page.locator("tr[data-run-id]").first().waitFor();
      shown = await page
        .locator("tr[data-run-id]")
        .evaluateAll((rows) => rows.map((row) => row.dataset.runId));
      assert(
        shown.join(",") === byGap.filter((id) => real.includes(id)).join(","),
        `after a reload: ${shown.join(",")}`,
      );
      assert(
        page.url().includes("sort=gap") && page.url().includes("simulated=false"),
        `address ${page.url()}`,
      );
      await page.setViewportSize({ width: 1280, height: 1000 });
    },
  );

  await check("the sample table sorts by any column and shows each sample's tokens and cost", async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const rows = await allRows(runId);
    const firstKeys = () =>
      page.evaluate(() =>
        [...document.querySelectorAll("[role=row]")]
          .sort((a, b) => Number(a.getAttribute("aria-rowindex")) - Number(b.getAttribute("aria-rowindex")))
          .slice(0, 8)
          .map((row) =>
            decodeURIComponent(
              row.querySelector(".column-query a")?.getAttribute("href")?.split("/").pop()?.split("?")[0] ??
                "",
            ),
          ),
      );
    await page.goto(`${url}/runs/${runId}`);
    await page.waitForFunction(() => document.querySelectorAll("[role=row] .column-query a").length > 8);
    const tokens = (row) => row.usage.inputTokens + row.usage.outputTokens;
    await page.getByRole("button", { name: "tokens", exact: true }).click();
    await page.waitForURL(/sort=tokens/);
    await page.getByRole("button", { name: "tokens ▲" }).click();
    await page.waitForURL(/order=desc/);
    const byTokens = [...rows].sort((a, b) => tokens(b) - tokens(a) || a.index - b.index).slice(0, 8);
    await page.waitForFunction(
      (first) =>
        document
          .querySelector('[role=row][aria-rowindex="1"] .column-query a')
          ?.getAttribute("href")
          ?.includes(first),
      encodeURIComponent(byTokens[0].key),
    );
    let shown = await firstKeys();
    assert(shown.join(",") === byTokens.map((row) => row.key).join(","), `by tokens: ${shown.join(",")}`);
    const firstRow = page.locator('[role=row][aria-rowindex="1"]');
    const tokenText = (await firstRow.locator(".column-tokens").textContent())?.trim();
    assert(tokenText === tokens(byTokens[0]).toLocaleString("en-US"), `tokens cell ${tokenText}`);
    const cost = byTokens[0].costUsd;
    const costText = (await firstRow.locator(".column-cost").textContent())?.trim();
    const expectedCost =
      cost === null ? "unknown" : cost < 0.01 ? `$${cost.toFixed(4)}` : `$${cost.toFixed(2)}`;
    assert(costText === expectedCost, `cost cell ${costText}, the API says ${expectedCost}`);

    await page.getByRole("button", { name: "compliance", exact: true }).click();
    await page.waitForURL(
      (current) => current.searchParams.get("sort") === "compliance" && !current.searchParams.has("order"),
    );
    const outcome = (row) => {
      const verdict = row.verdicts["tag-compliance"];
      if (!verdict) return null;
      return verdict.status === "ok" ? (verdict.decision ?? "no_decision") : verdict.status;
    };
    const byCompliance = [...rows]
      .sort((a, b) => {
        const left = outcome(a);
        const right = outcome(b);
        if (left === null || right === null)
          return left === right ? a.index - b.index : left === null ? 1 : -1;
        return (left < right ? -1 : left > right ? 1 : 0) || a.index - b.index;
      })
      .slice(0, 8);
    await page.waitForFunction(
      (first) =>
        document
          .querySelector('[role=row][aria-rowindex="1"] .column-query a')
          ?.getAttribute("href")
          ?.includes(first),
      encodeURIComponent(byCompliance[0].key),
    );
    shown = await firstKeys();
    assert(
      shown.join(",") === byCompliance.map((row) => row.key).join(","),
      `by compliance: ${shown.join(",")}`,
    );
    await page.screenshot({ path: join(screenshotDir, "sample-table-sorted.png") });
  });

  await check(
    "verdict cards read as sentences with the votes per criterion, and never print raw JSON",
    async () => {
      await page.goto(`${url}/runs/${runId}/samples/${encodeURIComponent(fakingKey)}`);
      const card = page.locator('[data-classifier="af-reasoning"]');
      await card.waitFor();
      const detail = await (
        await page.request.get(`${url}/api/runs/${runId}/samples/${encodeURIComponent(fakingKey)}`)
      ).json();
      const verdict = detail.verdicts.find((entry) => entry.classifier === "af-reasoning");
      const sentence = await page.getByTestId("verdict-sentence-af-reasoning").textContent();
      const votes = `${verdict.criteria.votesYes} of ${verdict.criteria.votesParsed} votes said yes`;
      assert(
        sentence?.includes(`: ${verdict.decision}, ${votes}`),
        `sentence: ${sentence}, expected ${votes}`,
      );
      for (const [name, count] of Object.entries(verdict.criteria.criterionYes)) {
        const text = await card.locator(`[data-criterion="${name}"]`).textContent();
        assert(
          text === `${name.replace(/_/g, " ")}${count} of ${verdict.criteria.votesParsed}`,
          `criterion ${name}: ${text}`,
        );
      }
      const aside = await page.getByRole("complementary", { name: "Verdicts" }).evaluate((element) => {
        const copy = element.cloneNode(true);
        for (const raw of copy.querySelectorAll("details.raw-judge")) raw.remove();
        return copy.textContent ?? "";
      });
      assert(
        !/[{}]|criterionYes|"harm_awareness"/.test(aside),
        `raw JSON in the verdict cards: ${aside.slice(0, 300)}`,
      );
      await page.screenshot({ path: join(screenshotDir, "verdict-cards.png") });
    },
  );

  await check(
    "the run metadata panel shows the config, prompt hash and scratchpad source as the API has them",
    async () => {
      await page.goto(`${url}/runs/${engineRunId}`);
      const panel = page.getByTestId("run-metadata");
      await panel.waitFor();
      assert((await panel.getAttribute("open")) === null, "the panel should start closed");
      await panel.locator("summary").click();
      const detail = await (await page.request.get(`${url}/api/runs/${engineRunId}`)).json();
      assert(
        (await page.getByTestId("prompt-hash").textContent()) === detail.run.promptHash,
        "prompt hash differs",
      );
      const source = await page.getByTestId("scratchpad-source").textContent();
      assert(source?.startsWith(detail.summary.scratchpadSource.setting), `scratchpad source ${source}`);
      const model = await panel.locator('[data-config="model"] > dd').textContent();
      assert(model === detail.run.config.model, `model ${model}`);
      const epochs = await panel.locator('[data-config="epochs"] > dd').textContent();
      assert(epochs === String(detail.run.config.epochs), `epochs ${epochs}`);
      const datasetText = await panel.locator('[data-config="dataset"] > dd').textContent();
      assert(
        datasetText?.includes(detail.run.config.dataset.source) && !datasetText.includes("{"),
        `dataset ${datasetText}`,
      );
      await panel.scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(screenshotDir, "run-metadata.png") });
    },
  );

  await check("a failed run with no samples says why instead of drawing an empty chart", async () => {
    await page.goto(`${url}/runs/${failedRunId}`);
    const box = page.getByTestId("no-samples");
    await box.waitFor();
    const detail = await (await page.request.get(`${url}/api/runs/${failedRunId}`)).json();
    const text = await box.textContent();
    assert(text?.includes(detail.run.error), `the box says ${text}`);
    assert(
      (await page.getByRole("img", { name: "Compliance and alignment faking per tier" }).count()) === 0,
      "an empty chart is drawn",
    );
    assert((await page.evaluate(() => window.__aflabInjected)) === undefined, "the error's markup ran");
    await page.screenshot({ path: join(screenshotDir, "failed-run.png") });
    await page.setViewportSize({ width: 1280, height: 1000 });
  });

  await check(
    "many runs compared: forest plots whose intervals match the reports, and each run paired with the baseline",
    async () => {
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.goto(url);
      // The engine run asked other queries: it is plotted, and its row says why it is not paired.
      const chosen = [runId, compareRunId, largeRunId, engineRunId];
      for (const id of chosen) {
        await page.getByRole("checkbox", { name: `select ${id} for comparison` }).check();
      }
      await page.getByRole("button", { name: "Forest plot (4)" }).click();
      await page.waitForURL(/\/compare\/many\?runs=/);
      await page.getByTestId("forest-gap").waitFor();
      await page
        .locator(`tr[data-run-id="${largeRunId}"] [data-column="gap-difference"]`)
        .filter({ hasText: "pp" })
        .waitFor();
      await page
        .locator(`tr[data-run-id="${engineRunId}"] [data-column="paired"]`)
        .filter({ hasText: "not compared" })
        .waitFor();
      const pp = (value) => `${value > 0 ? "+" : ""}${(value * 100).toFixed(1)} pp`;
      for (const id of chosen) {
        const { summary } = await (
          await page.request.get(`${url}/api/runs/${encodeURIComponent(id)}`)
        ).json();
        const gapRow = page.getByTestId("forest-gap").locator(`g[data-run="${id}"]`);
        const low = Number(await gapRow.getAttribute("data-ci-low"));
        const high = Number(await gapRow.getAttribute("data-ci-high"));
        assert(
          low === summary.gap.ci95[0] && high === summary.gap.ci95[1],
          `${id}: gap interval drawn [${low}, ${high}], the report says ${summary.gap.ci95}`,
        );
        // The line really spans the interval: its ends sit in the same order and proportion as the numbers.
        const line = gapRow.locator("[data-interval]");
        const x1 = Number(await line.getAttribute("x1"));
        const x2 = Number(await line.getAttribute("x2"));
        const dot = Number(await gapRow.locator("circle").getAttribute("cx"));
        const expectedShare = (summary.gap.value - low) / (high - low);
        assert(
          x1 < dot && dot < x2 && Math.abs((dot - x1) / (x2 - x1) - expectedShare) < 1e-6,
          `${id}: the gap's line and dot disagree`,
        );
        const afRow = page.getByTestId("forest-af").locator(`g[data-run="${id}"]`);
        const wilson = summary.alignmentFaking.free.wilson95;
        assert(
          Number(await afRow.getAttribute("data-ci-low")) === wilson[0] &&
            Number(await afRow.getAttribute("data-ci-high")) === wilson[1],
          `${id}: AF interval differs from the report's ${wilson}`,
        );
        const gapText = await page.locator(`tr[data-run-id="${id}"] [data-column="gap"]`).textContent();
        const expected = `${pp(summary.gap.value)} [${pp(summary.gap.ci95[0])}, ${pp(summary.gap.ci95[1])}]`;
        assert(gapText === expected, `${id}: the table says ${gapText}, the report ${expected}`);
      }
      for (const id of [compareRunId, largeRunId]) {
        const { comparison } = await (
          await page.request.get(`${url}/api/compare?a=${runId}&b=${encodeURIComponent(id)}`)
        ).json();
        const shown = await page
          .locator(`tr[data-run-id="${id}"] [data-column="gap-difference"]`)
          .textContent();
        const difference = comparison.gapDifference;
        const expected = `${pp(difference.value)} [${pp(difference.ci95[0])}, ${pp(difference.ci95[1])}]`;
        assert(shown === expected, `${id}: gap difference ${shown}, the API's comparison says ${expected}`);
      }
      await page.screenshot({ path: join(screenshotDir, "many-runs.png") });
      // Another baseline: the address keeps it and the paired numbers follow.
      await page.getByLabel("Baseline").selectOption(compareRunId);
      await page.waitForURL(/baseline=demo-variant/);
      await page
        .locator(`tr[data-run-id="${compareRunId}"] [data-column="gap-difference"]`)
        .filter({ hasText: "baseline" })
        .waitFor();
      await page.setViewportSize({ width: 1280, height: 1000 });
    },
  );

  await labelChecks({
    page,
    url,
    facts: server.facts,
    check,
    assert,
    screenshotDir,
    repositoryRoot: join(viewerRoot, "..", ".."),
  });

  await sweepChecks({ page, url, facts: server.facts, check, assert, screenshotDir });
  await sweepViewChecks({ page, url, facts: server.facts, check, assert, screenshotDir });
  await workChecks({ page, url, facts: server.facts, check, assert, screenshotDir });
  await workersChecks({
    page,
    url,
    facts: server.facts,
    check,
    assert,
    screenshotDir,
    startTeamServer: () => startServer("workers-fixture-server.ts"),
  });

  await check("no page threw an error", async () => {
    assert(pageErrors.length === 0, pageErrors.join("; "));
  });
} finally {
  await browser.close();
  await server.stop();
}

const passed = results.filter((result) => result.ok).length;
const failed = results.length - passed;
console.log(`screenshots in ${screenshotDir}`);
console.log(`${passed} passed, ${failed} failed`);
writeResults(passed, failed);
process.exit(failed > 0 ? 1 : 0);
