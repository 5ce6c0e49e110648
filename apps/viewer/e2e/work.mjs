// Browser tests of starting work from the page with the write token: a run from the form, a
// re-classification and a resume, each followed through the API to its end.
import { join } from "node:path";

const labelPayload =
  "<script>window.__aflabInjected = 'run-label'</script><img src=x onerror=\"window.__aflabInjected = 'run-label-img'\">";

/** Polls the API until `done(body)` holds (the work runs in the server's background). */
async function until(page, path, done, what, timeoutMs = 60_000) {
  const started = Date.now();
  for (;;) {
    const body = await (await page.request.get(path)).json();
    if (done(body)) return body;
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function ensureToken(page, scope, token) {
  const box = scope.getByLabel("Write token");
  if (await box.isVisible()) {
    await box.fill(token);
    await scope.getByRole("button", { name: "Use token" }).click();
  }
}

export async function workChecks({ page, url, facts, check, assert, screenshotDir }) {
  const { token, interruptedRunId } = facts;
  let startedRunId = null;

  await check("a run starts from the form and its label stays text", async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(url);
    await page.locator("table.runs-table").waitFor();
    const panel = page.locator("details.work-panel", { hasText: "Start a run" });
    await panel.locator("summary").click();
    await ensureToken(page, panel, token);
    const form = page.getByRole("form", { name: "Start a run" });
    await form.getByLabel("Queries").fill("6");
    await form.getByLabel("Judge").fill("sim/judge");
    await form.getByLabel("Label").fill(labelPayload);
    await page.screenshot({ path: join(screenshotDir, "start-run-form.png") });
    await form.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/\/runs\/(?!demo)[^/]+$/);
    startedRunId = decodeURIComponent(new URL(page.url()).pathname.split("/")[2]);
    const done = await until(
      page,
      `${url}/api/runs/${encodeURIComponent(startedRunId)}`,
      (body) => body.run.status === "complete" && body.active === null,
      "the started run's end",
    );
    assert(
      done.progress.complete === 12 && done.progress.total === 12,
      `progress ${JSON.stringify(done.progress)}`,
    );
    assert(done.run.config.label === labelPayload, "the API changed the label");
    await page.locator("h1").filter({ hasText: "window.__aflabInjected" }).waitFor();
    assert((await page.locator("h1").textContent()) === labelPayload, "the label is not shown as text");
    assert((await page.locator("main img").count()) === 0, "the label became an image");
    assert((await page.evaluate(() => window.__aflabInjected)) === undefined, "markup in a run label ran");
    const bad = await page.request.post(`${url}/api/runs`, {
      data: { model: "sim/opus-like", dataset: { source: "/etc/passwd" } },
      headers: { authorization: `Bearer ${token}` },
    });
    assert(bad.status() === 400, `a dataset path answered ${bad.status()}`);
  });

  await check("a run is re-classified from its page", async () => {
    assert(startedRunId, "no run was started");
    const runUrl = `${url}/api/runs/${encodeURIComponent(startedRunId)}`;
    await page.goto(`${url}/runs/${encodeURIComponent(startedRunId)}`);
    const panel = page.locator("details.work-panel");
    await panel.locator("summary").click();
    await ensureToken(page, panel, token);
    const form = page.getByRole("form", { name: "Re-classify" });
    await form.getByLabel("Classifiers").fill("tag-compliance, af-reasoning, eval-awareness");
    await form.getByLabel("Judge").fill("sim/judge");
    await form.getByRole("button", { name: "Re-classify" }).click();
    const status = await page.getByTestId("work-status").textContent();
    assert(status?.includes("eval-awareness"), `the page says ${status}`);
    const detail = await until(
      page,
      runUrl,
      (body) => body.active === null && body.classifiers.includes("eval-awareness"),
      "the re-classification's end",
    );
    assert(detail.run.status === "complete", `status ${detail.run.status}`);
    const missing = await (
      await page.request.get(`${runUrl}/samples?verdictStatus=eval-awareness:missing&limit=1`)
    ).json();
    assert(missing.total === 0, `${missing.total} samples lack an eval-awareness verdict`);
  });

  await check("an interrupted run is resumed from its page", async () => {
    const runUrl = `${url}/api/runs/${encodeURIComponent(interruptedRunId)}`;
    const before = await (await page.request.get(runUrl)).json();
    assert(before.run.status === "interrupted", `the fixture run is ${before.run.status}`);
    assert(before.progress.complete < before.progress.total, "the fixture run has nothing left to do");
    await page.goto(`${url}/runs/${encodeURIComponent(interruptedRunId)}`);
    const panel = page.locator("details.work-panel");
    await panel.locator("summary").click();
    await ensureToken(page, panel, token);
    await page.screenshot({ path: join(screenshotDir, "run-work-panel.png") });
    await panel.getByRole("button", { name: "Resume this run" }).click();
    await page.getByTestId("work-status").waitFor();
    const after = await until(
      page,
      runUrl,
      (body) => body.run.status === "complete" && body.active === null,
      "the resumed run's end",
    );
    assert(after.progress.complete === after.progress.total, `progress ${JSON.stringify(after.progress)}`);
    await page.locator(".run-meta .badge-complete").waitFor();
    const again = await page.request.post(`${runUrl}/resume`, {
      data: {},
      headers: { authorization: `Bearer ${token}` },
    });
    assert(again.status() === 409, `resuming a complete run answered ${again.status()}`);
  });
}
