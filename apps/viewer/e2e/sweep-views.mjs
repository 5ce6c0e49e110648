// Browser tests of the views some sweeps have: the distribution across a prompt set's paraphrases and a
// probe family's curve. What is drawn is checked against the API's numbers, and the drawing's geometry
// against those numbers' order.
import { join } from "node:path";

const pp = (value) => `${value > 0 ? "+" : ""}${(value * 100).toFixed(1)} pp`;
const pct = (value, digits = 1) => `${(value * 100).toFixed(digits)}%`;

export async function sweepViewChecks({ page, url, facts, check, assert, screenshotDir }) {
  const { paraphraseSweepId, curveSweepId } = facts;

  await check(
    "a paraphrase sweep's page draws each paraphrase's gap, the original, median, IQR and the flag",
    async () => {
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.goto(`${url}/sweeps/${paraphraseSweepId}`);
      const plot = page.getByTestId("paraphrase-gaps");
      await plot.waitFor();
      const distribution = await (
        await page.request.get(`${url}/api/sweeps/${paraphraseSweepId}/distribution`)
      ).json();
      const [series] = distribution.series;
      assert(distribution.series.length === 1, `expected one series, got ${distribution.series.length}`);
      assert(
        series.paraphrases.length === 20,
        `the fixture has ${series.paraphrases.length} paraphrases, not 20`,
      );

      // One dot per paraphrase, each at its run's gap and interval; the original apart, marked.
      const dots = plot.locator("g.strip-paraphrase");
      assert((await dots.count()) === 20, `expected 20 paraphrase dots, found ${await dots.count()}`);
      for (const point of series.paraphrases) {
        const dot = plot.locator(`g.strip-paraphrase[data-run="${point.runId}"]`);
        const shown = await dot.evaluate((element) => ({ ...element.dataset }));
        assert(
          Number(shown.value) === point.gap.value &&
            Number(shown.ciLow) === point.gap.ci95[0] &&
            Number(shown.ciHigh) === point.gap.ci95[1] &&
            shown.excludesZero === String(point.gap.significant),
          `paraphrase ${point.position}: drawn ${shown.value} [${shown.ciLow}, ${shown.ciHigh}], the API ${point.gap.value}`,
        );
        const filled = await dot.locator("circle").evaluate((element) => getComputedStyle(element).fill);
        assert(
          (filled === "rgb(255, 255, 255)") === !point.gap.significant,
          `paraphrase ${point.position}: fill ${filled} does not say whether its interval excludes 0`,
        );
      }
      const original = plot.locator("g.strip-original");
      assert((await original.count()) === 1, "the original prompt is not drawn once");
      assert(
        Number(await original.getAttribute("data-value")) === series.original.gap.value,
        "the original prompt's gap differs from the API's",
      );
      assert(
        (await original.locator("text").textContent()) === "original prompt",
        "the original is not labelled",
      );

      // Median and IQR: the labels say the API's numbers, and the median line lies between the middle dots.
      const median = await plot.locator(".strip-median-label").textContent();
      assert(
        median === `median ${pp(series.gap.median)}`,
        `median label ${median}, the API ${pp(series.gap.median)}`,
      );
      const summary = await page.getByTestId("distribution-median").textContent();
      assert(summary === `median gap ${pp(series.gap.median)}`, `summary says ${summary}`);
      const iqr = await page.getByTestId("distribution-iqr").textContent();
      assert(iqr?.startsWith(`IQR ${pp(series.gap.q1)} to ${pp(series.gap.q3)}`), `IQR says ${iqr}`);
      const share = await page.getByTestId("distribution-share").textContent();
      assert(
        share?.startsWith(pct(series.shareSignificant, 0)),
        `share says ${share}, the API ${series.shareSignificant}`,
      );
      const centres = (
        await dots
          .locator("circle")
          .evaluateAll((circles) => circles.map((circle) => Number(circle.getAttribute("cx"))))
      ).sort((a, b) => a - b);
      const medianX = Number(await plot.locator(".strip-median").getAttribute("x1"));
      assert(
        medianX >= (centres[9] ?? 0) - 0.01 && medianX <= (centres[10] ?? 0) + 0.01,
        `the median line at x=${medianX} is not between the 10th and 11th dots (${centres[9]}, ${centres[10]})`,
      );
      const band = plot.locator(".strip-iqr");
      const bandLeft = Number(await band.getAttribute("x"));
      const bandRight = bandLeft + Number(await band.getAttribute("width"));
      assert(bandLeft <= medianX && medianX <= bandRight, "the median line lies outside the IQR band");

      // The fixture's gap holds on the original wording only: the report's warning is on the page.
      assert(series.flag === "original-only", `the fixture's flag is ${series.flag}`);
      const banner = page.locator(".flag-banner");
      assert((await banner.getAttribute("data-flag")) === "original-only", "no original-only banner");
      assert(
        (await banner.textContent())?.includes(series.flagMessage),
        "the banner lacks the report's message",
      );

      // AF rates too, one row per prompt; simulated runs say so; no matrix of stacked cells.
      const af = page.getByTestId("paraphrase-af");
      assert((await af.locator("g.strip-paraphrase").count()) === 20, "AF plot lacks paraphrase rows");
      assert(
        (await af.locator(".strip-median-label").textContent()) ===
          `median ${pct(series.alignmentFaking.median)}`,
        "AF median label differs from the API's",
      );
      assert(await page.locator(".paraphrase-series .badge-simulated").isVisible(), "no SIMULATED badge");
      assert(
        (await plot.getAttribute("aria-label"))?.includes("(simulated)"),
        "the plot's label hides that it is simulated",
      );
      assert(
        (await page.getByRole("table", { name: "Sweep matrix" }).count()) === 0,
        "a prompt-set sweep drew the matrix",
      );
      await page.screenshot({
        path: join(screenshotDir, "sweep-paraphrase-distribution.png"),
        fullPage: true,
      });

      // The prompts' table opens to every run.
      await page.getByText("every prompt's numbers (21)").click();
      const table = page.getByRole("table", { name: `Prompts of ${series.model}` });
      assert((await table.locator("tbody tr").count()) === 21, "the prompts' table lacks rows");
      await table.getByRole("link", { name: series.paraphrases[3].runId }).click();
      await page.waitForURL(`${url}/runs/${series.paraphrases[3].runId}`);
    },
  );

  await check(
    "a probe family's sweep page draws the gap against the probe, with whiskers and a table",
    async () => {
      await page.setViewportSize({ width: 1280, height: 1000 });
      await page.goto(`${url}/sweeps/${curveSweepId}`);
      const plot = page.getByTestId("probe-curve");
      await plot.waitFor();
      const curve = await (await page.request.get(`${url}/api/sweeps/${curveSweepId}/curve`)).json();
      const [series] = curve.series;
      assert(curve.family === "monitoring-probability", `family ${curve.family}`);
      const drawn = plot.locator("g.curve-point");
      assert(
        (await drawn.count()) === series.points.length,
        `drew ${await drawn.count()} of ${series.points.length} points`,
      );
      assert(series.points.length === 5, `the fixture has ${series.points.length} steps`);
      const positions = [];
      for (const point of series.points) {
        const shown = plot.locator(`g.curve-point[data-run="${point.runId}"]`);
        const data = await shown.evaluate((element) => ({ ...element.dataset }));
        assert(
          Number(data.step) === point.value &&
            data.label === point.label &&
            Number(data.gap) === point.gap.value &&
            Number(data.ciLow) === point.gap.ci95[0] &&
            Number(data.ciHigh) === point.gap.ci95[1],
          `step ${point.label}: drawn ${data.gap} [${data.ciLow}, ${data.ciHigh}], the API ${point.gap.value}`,
        );
        assert((await shown.locator("line.curve-whisker").count()) === 3, `step ${point.label}: no whisker`);
        const dot = shown.locator("circle");
        positions.push({
          x: Number(await dot.getAttribute("cx")),
          y: Number(await dot.getAttribute("cy")),
          gap: point.gap.value,
        });
      }
      // Geometry: steps left to right in order, a larger gap drawn higher.
      for (let index = 1; index < positions.length; index++) {
        assert(positions[index].x > positions[index - 1].x, "the steps are not drawn left to right");
      }
      for (const a of positions) {
        for (const b of positions) {
          if (a.gap > b.gap) assert(a.y < b.y, `a gap of ${a.gap} is drawn below one of ${b.gap}`);
        }
      }
      const labels = await plot.locator("g.curve-point > text.forest-tick").allTextContents();
      assert(labels.join(",") === "0%,25%,50%,75%,100%", `step labels ${labels.join(",")}`);
      const table = page.getByRole("table", { name: `Curve points of ${series.model}` });
      const rows = table.locator("tbody tr");
      assert((await rows.count()) === 5, "the table lacks a row per step");
      for (const [index, point] of series.points.entries()) {
        const gap = await rows.nth(index).getByTestId("curve-gap").textContent();
        assert(
          gap === pp(point.gap.value),
          `table row ${point.label}: ${gap}, the API ${pp(point.gap.value)}`,
        );
        const free = await rows.nth(index).locator("td").first().textContent();
        assert(free === pct(point.free.complianceRate), `table row ${point.label}: free ${free}`);
      }
      assert(await page.locator(".curve-series .badge-simulated").isVisible(), "no SIMULATED badge");
      assert(await page.getByRole("table", { name: "Sweep matrix" }).isVisible(), "the matrix is gone");
      await page.screenshot({ path: join(screenshotDir, "sweep-probe-curve.png"), fullPage: true });
    },
  );
}
