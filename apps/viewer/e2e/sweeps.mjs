// Browser tests of the sweep matrix: every cell shows its run's report numbers, links to its run, keeps
// text as text, and the page polls while a cell runs.
import { join } from "node:path";

const pp = (value) => `${value > 0 ? "+" : ""}${(value * 100).toFixed(1)} pp`;
const pct = (value) => `${(value * 100).toFixed(1)}%`;

export async function sweepChecks({ page, url, facts, check, assert, screenshotDir }) {
  const { sweepId } = facts;

  await check("the sweep matrix's cells match each run's report and open their runs", async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${url}/sweeps`);
    const row = page.locator(`tr[data-sweep-id="${sweepId}"]`);
    await row.waitFor();
    await page.screenshot({ path: join(screenshotDir, "sweeps-list.png") });
    await row.getByRole("link").click();
    await page.waitForURL(`${url}/sweeps/${sweepId}`);
    const matrix = page.getByRole("table", { name: "Sweep matrix" });
    await matrix.waitFor();
    const api = await (await page.request.get(`${url}/api/sweeps/${sweepId}`)).json();
    assert((await page.locator("h1").textContent()) === api.name, "the sweep's name is not shown as text");
    assert(api.name.includes("<script>"), "the fixture's name lost its payload");
    assert((await page.evaluate(() => window.__aflabInjected)) === undefined, "markup in the sweep name ran");
    const cells = page.locator("td.sweep-cell");
    assert((await cells.count()) === 4, `expected 4 cells, found ${await cells.count()}`);
    const headers = await matrix.locator("thead th").allTextContents();
    assert(headers.join("|") === "model|unmodified prompt|cut-rlhf-info", `columns: ${headers.join("|")}`);
    for (const cell of api.cells) {
      const { summary } = await (
        await page.request.get(`${url}/api/runs/${encodeURIComponent(cell.runId)}`)
      ).json();
      const shown = page.locator(`td.sweep-cell[data-run-id="${cell.runId}"]`);
      const gap = summary.gap;
      const free = summary.alignmentFaking.free;
      const attributes = await shown.evaluate((element) => ({ ...element.dataset }));
      assert(
        Number(attributes.gap) === gap.value &&
          Number(attributes.gapLow) === gap.ci95[0] &&
          Number(attributes.gapHigh) === gap.ci95[1],
        `${cell.runId}: the cell's gap ${attributes.gap} [${attributes.gapLow}, ${attributes.gapHigh}] differs from the report's`,
      );
      assert(
        Number(attributes.af) === free.rate &&
          Number(attributes.afLow) === free.wilson95[0] &&
          Number(attributes.afHigh) === free.wilson95[1],
        `${cell.runId}: the cell's AF rate differs from the report's`,
      );
      const gapText = await shown.getByTestId("cell-gap").textContent();
      assert(gapText === pp(gap.value), `${cell.runId}: shows ${gapText}, the report ${pp(gap.value)}`);
      const afText = await shown.getByTestId("cell-af").textContent();
      const afExpected = `AF ${pct(free.rate)} [${pct(free.wilson95[0])}, ${pct(free.wilson95[1])}]`;
      assert(afText === afExpected, `${cell.runId}: shows ${afText}, the report ${afExpected}`);
      const paper = await shown.getByTestId("cell-paper").textContent();
      const paperExpected = `paper ${pp(summary.reference.gap.value)} · AF ${pct(summary.reference.alignmentFaking.value)}`;
      assert(
        paper === paperExpected,
        `${cell.runId}: paper ${paper}, the report's reference ${paperExpected}`,
      );
      const colour = await shown.evaluate((element) => getComputedStyle(element).backgroundColor);
      assert(colour !== "rgba(0, 0, 0, 0)", `${cell.runId}: the cell has no colour`);
    }
    await page.screenshot({ path: join(screenshotDir, "sweep-matrix.png") });
    const first = api.cells[0];
    await page.locator(`td.sweep-cell[data-run-id="${first.runId}"] a`).click();
    await page.waitForURL(`${url}/runs/${first.runId}`);
    await page.getByRole("link", { name: "its sweep" }).click();
    await page.waitForURL(`${url}/sweeps/${sweepId}`);
  });

  await check("the sweep page polls while a cell runs", async () => {
    let requests = 0;
    const pattern = `${url}/api/sweeps/${sweepId}`;
    // The fixture's sweep has finished: answer as the API would while its last cell still ran.
    await page.route(pattern, async (route) => {
      requests++;
      const response = await route.fetch();
      const body = await response.json();
      const last = body.cells[body.cells.length - 1];
      last.run = { ...last.run, status: "running", progress: { ...last.run.progress, complete: requests } };
      await route.fulfill({ response, json: { ...body, live: requests < 3 } });
    });
    await page.goto(`${url}/sweeps/${sweepId}`);
    await page.getByTestId("sweep-live").waitFor();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="cell-status"]')].some((element) =>
        element.textContent?.startsWith("running · 3 of"),
      ),
    );
    await page.waitForTimeout(2500);
    assert(requests === 3, `expected polling to stop after the sweep finished, saw ${requests} requests`);
    await page.unroute(pattern);
  });
}
