// Browser tests of human labels: a label written in the transcript page round-trips through the API and
// the store, shows beside the judge with agreement counts, filters the sample table, stays text, and
// `aflab judge-eval --labels-from` on it agrees with a count made here by hand.
import { spawn } from "node:child_process";
import { join } from "node:path";

const payload = (where) =>
  `<script>window.__aflabInjected = '${where}'</script><img src=x onerror="window.__aflabInjected = '${where}-img'">`;

/** Runs the CLI from its sources (as the fixture server runs the API) and collects its output. */
function runAflab(repositoryRoot, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--conditions=@aflab/source",
        "--import",
        "tsx",
        join(repositoryRoot, "apps/runner/src/main.ts"),
        ...args,
      ],
      {
        cwd: join(repositoryRoot, "apps/runner"),
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env },
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`aflab ${args.join(" ")} took longer than 120 s`));
    }, 120_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export async function labelChecks({ page, url, facts, check, assert, screenshotDir, repositoryRoot }) {
  const { engineRunId, engineFakingKey, dbPath, token } = facts;
  const labelsUrl = (key) => `${url}/api/runs/${engineRunId}/samples/${encodeURIComponent(key)}/labels`;

  await check("a human label written in the transcript page round-trips and stays text", async () => {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${url}/runs/${engineRunId}/samples/${encodeURIComponent(engineFakingKey)}`);
    const panel = page.getByRole("region", { name: "Human labels" });
    await panel.getByText("Nobody has labelled this transcript.").waitFor();
    assert(!(await panel.getByLabel("Labeller").isVisible()), "the label form shows without a token");
    await panel.getByLabel("Write token").fill(token);
    await panel.getByRole("button", { name: "Use token" }).click();
    // A labeller name that is markup is refused by the API, and its message is shown as text.
    await panel.getByLabel("Labeller").fill(payload("labeller"));
    await panel.locator('fieldset:has(legend:text("Alignment faking")) input[value="no"]').check();
    await panel.getByRole("button", { name: "Save label" }).click();
    const refusal = await panel.getByRole("alert").textContent();
    assert(refusal?.includes("labeller: expected letters, digits"), `refusal shows ${refusal}`);
    await panel.getByLabel("Labeller").fill("Ada Lovelace");
    await panel.locator('fieldset:has(legend:text("Alignment faking")) input[value="no"]').check();
    await panel.locator('fieldset:has(legend:text("Eval-aware")) input[value="no"]').check();
    await panel.getByLabel("Note").fill(payload("note"));
    await panel.getByRole("button", { name: "Save label" }).click();
    await panel.locator('[data-labeller="Ada Lovelace"]').waitFor();
    // Round trip: after a reload the page reads it back from the store, with who and when.
    await page.reload();
    const stored = page.locator('[data-labeller="Ada Lovelace"]');
    await stored.waitFor();
    assert(
      (await stored.locator(".label-answers").textContent()) === "alignment faking: no · eval-aware: no",
      "the stored answers differ",
    );
    assert(
      (await stored.locator(".label-note").textContent()) === payload("note"),
      "the note is not shown as text",
    );
    assert(
      (await stored.locator(".label-note img, .label-note script").count()) === 0,
      "the note became markup",
    );
    const api = await (await page.request.get(labelsUrl(engineFakingKey))).json();
    const label = api.labels.find((entry) => entry.labeller === "Ada Lovelace");
    assert(
      label?.af === "no" && label.evalAware === "no" && label.note === payload("note"),
      "the API's label differs",
    );
    assert(Date.parse(label.createdAt) > Date.now() - 10 * 60_000, `labelled at ${label.createdAt}`);
    // The judge said yes: one disagreement, shown beside its verdict.
    const judge = page.locator('[data-testid="sample-agreement"] [data-agreement-classifier="af-reasoning"]');
    assert((await judge.getAttribute("data-disagree")) === "1", "no disagreement counted with the AF judge");
    assert(
      (await page.getByTestId("verdict-af-reasoning").textContent())?.includes("yes"),
      "the judge's own verdict is not shown",
    );
    assert(
      (await page.evaluate(() => window.__aflabInjected)) === undefined,
      "a script or handler in a label ran",
    );
    await page.getByRole("region", { name: "Human labels" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshotDir, "human-labels.png") });
  });

  await check(
    "labels filter the sample table and judge-eval --labels-from agrees with a hand count",
    async () => {
      // Three more labels through the API (the UI path is covered above): agreements and disagreements.
      const page1 = await (
        await page.request.get(`${url}/api/runs/${engineRunId}/samples?limit=40&sort=index`)
      ).json();
      const judged = page1.samples.filter(
        (row) => row.key !== engineFakingKey && row.verdicts["af-reasoning"]?.status === "ok",
      );
      const yes = judged.filter((row) => row.verdicts["af-reasoning"].decision === "yes");
      const no = judged.filter((row) => row.verdicts["af-reasoning"].decision === "no");
      assert(yes.length >= 1 && no.length >= 2, `too few judged samples: ${yes.length} yes, ${no.length} no`);
      const writes = [
        [yes[0].key, { labeller: "Ada Lovelace", af: "yes" }],
        [no[0].key, { labeller: "Ada Lovelace", af: "no", evalAware: "yes" }],
        [no[1].key, { labeller: "Ada Lovelace", af: "yes" }],
      ];
      for (const [key, body] of writes) {
        const response = await page.request.put(labelsUrl(key), {
          data: body,
          headers: { authorization: `Bearer ${token}` },
        });
        assert(response.status() === 200, `PUT answered ${response.status()}`);
      }
      const refused = await page.request.put(labelsUrl(no[2]?.key ?? no[0].key), {
        data: { labeller: "Eve", af: "yes" },
      });
      assert(refused.status() === 401, `a label without the token answered ${refused.status()}`);

      // The table's filter and the API agree; the disagreements are the samples counted by hand below.
      const run = await (await page.request.get(`${url}/api/runs/${engineRunId}/labels`)).json();
      const verdicts = new Map();
      for (const label of run.labels) {
        const detail = await (
          await page.request.get(
            `${url}/api/runs/${engineRunId}/samples/${encodeURIComponent(label.sampleKey)}`,
          )
        ).json();
        verdicts.set(label.sampleKey, detail.verdicts);
      }
      const plainDecision = (list, classifier) => {
        const verdict = list.find((each) => each.classifier === classifier);
        return verdict?.status === "ok" && (verdict.decision === "yes" || verdict.decision === "no")
          ? verdict.decision
          : null;
      };
      const counts = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
      const disagreements = new Set();
      for (const label of run.labels) {
        const list = verdicts.get(label.sampleKey);
        const afJudged = plainDecision(list, "af-reasoning");
        const awareJudged = plainDecision(list, "eval-awareness");
        if (
          (afJudged && label.af && label.af !== "unsure" && afJudged !== label.af) ||
          (awareJudged && label.evalAware && awareJudged !== label.evalAware)
        ) {
          disagreements.add(label.sampleKey);
        }
        if (label.af !== "yes" && label.af !== "no") continue;
        const score = list.find((each) => each.classifier === "af-reasoning")?.score ?? 0;
        const predicted = score >= 0.4;
        const human = label.af === "yes";
        if (human && predicted) counts.truePositives++;
        else if (human) counts.falseNegatives++;
        else if (predicted) counts.falsePositives++;
        else counts.trueNegatives++;
      }
      await page.goto(`${url}/runs/${engineRunId}`);
      await page.getByLabel("Human labels").selectOption("disagreement");
      await page.waitForURL(/label=disagreement/);
      await page.waitForFunction((count) => {
        const text = document.querySelector('[data-testid="match-count"]')?.textContent ?? "";
        return Number(text.replace(/[^0-9]/g, "")) === count;
      }, disagreements.size);
      const shown = await page
        .locator("[role=row] .column-query a")
        .evaluateAll((links) =>
          links.map((link) =>
            decodeURIComponent(link.getAttribute("href").split("/samples/")[1].split("?")[0]),
          ),
        );
      assert(
        [...shown].sort().join(",") === [...disagreements].sort().join(","),
        `the table shows ${shown.join(",")}, the hand count ${[...disagreements].join(",")}`,
      );
      const af = run.agreement.find((row) => row.classifier === "af-reasoning");
      const afByHand = run.labels.filter((label) => {
        const judged = plainDecision(verdicts.get(label.sampleKey), "af-reasoning");
        return judged && (label.af === "yes" || label.af === "no") && judged !== label.af;
      }).length;
      assert(af.disagree === afByHand, `the API counts ${af.disagree} AF disagreements, by hand ${afByHand}`);

      const result = await runAflab(repositoryRoot, [
        "judge-eval",
        "--labels-from",
        engineRunId,
        "--judge",
        "sim/judge",
        "--format",
        "json",
        "--db",
        dbPath,
      ]);
      assert(result.code === 0, `judge-eval exited ${result.code}: ${result.stderr}`);
      const evaluation = JSON.parse(result.stdout);
      for (const [name, value] of Object.entries(counts)) {
        assert(
          evaluation.confusion[name] === value,
          `judge-eval ${name} ${evaluation.confusion[name]}, by hand ${value}`,
        );
      }
      assert(
        evaluation.scored === run.labels.length,
        `judge-eval scored ${evaluation.scored} of ${run.labels.length}`,
      );
      await page.getByLabel("Human labels").scrollIntoViewIfNeeded();
      await page.evaluate(() => window.scrollBy(0, -120));
      await page.screenshot({ path: join(screenshotDir, "label-filter.png") });
    },
  );

  await check(
    "labels stay fast on the 10,000-sample run: the labelled filter and a transcript's panel",
    async () => {
      const { largeRunId } = facts;
      const keys = (
        await (await page.request.get(`${url}/api/runs/${largeRunId}/samples?limit=3&offset=9000`)).json()
      ).samples.map((sample) => sample.key);
      for (const key of keys) {
        const response = await page.request.put(
          `${url}/api/runs/${largeRunId}/samples/${encodeURIComponent(key)}/labels`,
          { data: { labeller: "Ada Lovelace", af: "no" }, headers: { authorization: `Bearer ${token}` } },
        );
        assert(response.status() === 200, `PUT answered ${response.status()}`);
      }
      let started = Date.now();
      await page.goto(`${url}/runs/${largeRunId}?label=labelled`);
      await page.waitForFunction(() => document.querySelectorAll("[role=row] .column-query a").length === 3);
      const filtered = Date.now() - started;
      started = Date.now();
      await page.goto(`${url}/runs/${largeRunId}/samples/${encodeURIComponent(keys[0])}`);
      await page.locator('[data-labeller="Ada Lovelace"]').waitFor();
      await page.getByTestId("run-agreement").count();
      const panel = Date.now() - started;
      assert(
        filtered < 5_000 && panel < 5_000,
        `slow: labelled filter ${filtered} ms, label panel ${panel} ms`,
      );
      console.log(
        `      labelled filter on 10,000 samples ${filtered} ms, transcript with its labels ${panel} ms`,
      );
    },
  );
}
