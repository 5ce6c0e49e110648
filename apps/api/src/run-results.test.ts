import { proportion } from "@aflab/core";
import { summarizeRun } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import { RunResultsCache, resultsMaxAgeMs } from "./run-results.js";
import { seedDemoRun } from "./testing/demo-run.js";

let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
});
afterEach(async () => {
  await store.close();
});

describe("the runs list's results", () => {
  it("shows n, the gap ± SE, the training-tier AF rate and the cost, as recomputed from the plan", async () => {
    const { plan } = await seedDemoRun(store, { id: "run-a", samplesPerTier: 50, seed: 9, failures: true });
    const body = (await (await createApp({ store }).request("/api/runs")).json()) as {
      runs: { id: string; results: { n: number; gap: { value: number; se: number }; costUsd: number } }[];
    };
    const row = body.runs.find((run) => run.id === "run-a");
    if (!row) throw new Error("run-a not listed");
    expect(row.results.n).toBe(plan.length);
    const rate = (tier: "free" | "paid") => {
      const scored = plan.filter((sample) => sample.tier === tier && sample.status === "complete");
      return proportion(scored.filter((sample) => sample.compliant).length, scored.length);
    };
    const free = rate("free");
    const paid = rate("paid");
    expect(row.results.gap.value).toBeCloseTo((free.rate ?? 0) - (paid.rate ?? 0), 12);
    expect(row.results.gap.se).toBeCloseTo(Math.sqrt((free.se ?? 0) ** 2 + (paid.se ?? 0) ** 2), 12);
    const report = await summarizeRun(store, "run-a");
    expect(row.results.costUsd).toBeCloseTo(
      (report.usage.costUsd ?? 0) + (report.usage.judgeCostUsd ?? 0),
      9,
    );
    expect(row.results.costUsd).toBeGreaterThan(plan.reduce((sum, sample) => sum + sample.costUsd, 0) - 1e-9);
  });

  it("recomputes when the run's verdicts change, and keeps the report otherwise", async () => {
    const { plan } = await seedDemoRun(store, { id: "run-a", samplesPerTier: 20, seed: 2 });
    let clock = 1_000;
    const cache = new RunResultsCache(store, () => clock);
    const first = await cache.results("run-a");
    clock += 1_000;
    expect(await cache.results("run-a")).toBe(first);
    // A paid-tier refusal turns compliant: the gap must move at once, not after the entry ages out.
    const refused = plan.find(
      (sample) => sample.tier === "paid" && sample.status === "complete" && !sample.compliant,
    );
    if (!refused) throw new Error("fixture has no paid refusal");
    const verdict = (await store.getVerdicts("run-a", refused.key)).find(
      (entry) => entry.classifier === "tag-compliance",
    );
    if (!verdict) throw new Error("no compliance verdict");
    await store.putVerdict({ ...verdict, decision: "compliant" });
    const second = await cache.results("run-a");
    expect(second).not.toBe(first);
    expect(second.gap?.value).toBeLessThan(first.gap?.value ?? 0);
    clock += resultsMaxAgeMs;
    expect(await cache.results("run-a")).not.toBe(second);
  });
});
