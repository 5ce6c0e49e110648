// Browser tests of the workers line on a run page: shown for a queued run on a PostgreSQL store whose
// workers beat, refreshed while the run is in progress; absent on SQLite and for runs no worker touched.
import { join } from "node:path";

/** The line as the page should word it, from the API's numbers. */
function expectedLine(listing) {
  const workers = listing.live === 1 ? "worker" : "workers";
  const rate = listing.samplesPerSecond.toLocaleString("en-US", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  return `${listing.live.toLocaleString("en-US")} ${workers} live · ${rate} samples/s · ${listing.done.toLocaleString("en-US")} done`;
}

/** Waits until `read()` resolves to something `done` accepts, polling. */
async function until(read, done, what, timeoutMs = 15_000) {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`${what} did not happen within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function workersChecks({ page, url, facts, check, assert, screenshotDir, startTeamServer }) {
  await check("the run page shows no workers line on SQLite", async () => {
    const runUrl = `${url}/runs/${encodeURIComponent(facts.runId)}`;
    const answered = page.waitForResponse((response) => response.url().endsWith("/workers"));
    await page.goto(runUrl);
    const response = await answered;
    const body = await response.json();
    assert(body.backend === "sqlite" && body.workers === null, `the API answered ${JSON.stringify(body)}`);
    await page.locator("h1").waitFor();
    assert((await page.getByTestId("workers-line").count()) === 0, "a workers line shows on SQLite");
  });

  const team = await startTeamServer();
  try {
    if (team.facts.skipped) {
      console.log("skip  the workers line on PostgreSQL: no PostgreSQL server (set AFLAB_TEST_PG)");
      return;
    }
    const teamUrl = team.facts.url;
    const runWorkers = `${teamUrl}/api/runs/${encodeURIComponent(team.facts.runId)}/workers`;

    await check("a queued run on PostgreSQL shows its live workers, rate and done, refreshed", async () => {
      await page.setViewportSize({ width: 1280, height: 900 });
      // What the page itself got from the API last: its line must say exactly that.
      let received = null;
      const onResponse = async (response) => {
        if (response.url() === runWorkers) received = await response.json().catch(() => received);
      };
      page.on("response", onResponse);
      try {
        await page.goto(`${teamUrl}/runs/${encodeURIComponent(team.facts.runId)}`);
        const summary = page.getByTestId("workers-summary");
        await summary.waitFor();
        await until(
          async () => ({ shown: await summary.textContent(), received }),
          (state) => state.received !== null && state.shown === expectedLine(state.received),
          "the line saying what the API answered",
        );
      } finally {
        page.off("response", onResponse);
      }
      const listing = received;
      assert(listing.backend === "postgres" && listing.live === 3, `listing ${JSON.stringify(listing)}`);
      assert(Math.abs(listing.samplesPerSecond - 41.2) < 1e-9, `rate ${listing.samplesPerSecond}`);
      assert(
        listing.done === listing.workers.reduce((sum, worker) => sum + worker.done, 0),
        "done is not the workers' sum",
      );
      const summary = page.getByTestId("workers-summary");
      await page.screenshot({ path: join(screenshotDir, "run-workers-line.png") });
      // While the run is in progress the line refreshes by itself (no reload).
      const before = await summary.textContent();
      await until(
        () => summary.textContent(),
        (text) => text !== before,
        "a refresh of the workers line",
      );
      await page.getByText(/workers on this run/).click();
      const rows = page.locator(".workers-table tbody tr");
      await rows.nth(3).waitFor();
      assert((await rows.count()) === 4, `${await rows.count()} worker rows`);
      const gone = page.locator('.workers-table tr[data-worker-id="old-box:3001:0a0b0c"]');
      assert((await gone.textContent())?.includes("gone"), "the worker that left is not marked gone");
      await page.screenshot({ path: join(screenshotDir, "run-workers-table.png") });
    });

    await check("a run no worker touched on PostgreSQL shows no workers line", async () => {
      const answered = page.waitForResponse((response) => response.url().endsWith("/workers"));
      await page.goto(`${teamUrl}/runs/${encodeURIComponent(team.facts.unqueuedRunId)}`);
      const body = await (await answered).json();
      assert(
        body.backend === "postgres" && body.workers.length === 0,
        `the API answered ${JSON.stringify(body)}`,
      );
      await page.locator("h1").waitFor();
      assert((await page.getByTestId("workers-line").count()) === 0, "a workers line shows");
    });
  } finally {
    await team.stop();
  }
}
