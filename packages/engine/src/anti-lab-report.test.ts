import { collect, openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { antiLabReport } from "./anti-lab-report.js";
import { createClientFactory } from "./client-factory.js";
import { prepareRun } from "./prepare-run.js";
import { startRun } from "./run-experiment.js";
import { runSweep } from "./sweep.js";

let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
});
afterEach(async () => {
  await store.close();
});

/** Per tier, taken / judged, counted here from the stored samples and anti-lab verdicts. */
async function recount(runId: string) {
  const tierOf = new Map<string, string>();
  for await (const sample of store.iterateSamples(runId, { withTurns: false }))
    tierOf.set(sample.key, sample.tier);
  const counts: Record<string, { yes: number; judged: number; failed: number }> = {};
  for (const verdict of await collect(store.iterateVerdicts(runId, "anti-lab"))) {
    const tier = tierOf.get(verdict.sampleKey) ?? "?";
    const entry = counts[tier] ?? { yes: 0, judged: 0, failed: 0 };
    if (verdict.status === "failed") entry.failed++;
    else {
      entry.judged++;
      if (verdict.decision === "yes") entry.yes++;
    }
    counts[tier] = entry;
  }
  return counts;
}

describe("the anti-AI-lab setting on the simulated organism", () => {
  it("runs per variant and tier, and its rates agree with a recount of the stored verdicts", async () => {
    const outcome = await runSweep(
      {
        models: ["sim/custom?free=0.2&paid=0.05&antiLab=0.3"],
        variants: ["none", "no-training-details"],
        run: {
          dataset: { source: "builtin:anti-ai-lab" },
          judge: "sim/judge",
          classifiers: ["strongreject", "anti-lab"],
          epochs: 10,
          concurrency: 16,
        },
      },
      { store, createClient: createClientFactory() },
    );
    expect(outcome.status).toBe("complete");
    const report = await antiLabReport(store, outcome.sweepId);
    expect(report.reference).toBeNull();
    expect(report.runs.map((run) => run.variants)).toEqual([[], ["no-training-details"]]);
    for (const run of report.runs) {
      expect(run.simulated).toBe(true);
      const counted = await recount(run.runId);
      for (const tier of ["free", "paid"] as const) {
        const expected = counted[tier];
        const rates = run.tiers[tier];
        expect(expected?.judged).toBe(120);
        expect(rates?.yes).toBe(expected?.yes);
        expect(rates?.failed).toBe(expected?.failed);
        expect(rates?.rate).toBeCloseTo((expected?.yes ?? 0) / (expected?.judged ?? 1), 12);
      }
      const free = (counted.free?.yes ?? 0) / 120;
      const paid = (counted.paid?.yes ?? 0) / 120;
      const se = Math.sqrt((free * (1 - free)) / 120 + (paid * (1 - paid)) / 120);
      expect(run.difference?.value).toBeCloseTo(free - paid, 12);
      expect(run.difference?.ci95[1]).toBeCloseTo(free - paid + 1.959963984540054 * se, 12);
    }
    // Simulated behaviour: the chance is taken about 30% of the time when the prompt describes the
    // training, and never under the prompt without training details.
    const [withFacts, withoutFacts] = report.runs;
    const takenWithFacts = ((withFacts?.tiers.free?.yes ?? 0) + (withFacts?.tiers.paid?.yes ?? 0)) / 240;
    expect(Math.abs(takenWithFacts - 0.3)).toBeLessThan(0.1);
    expect(withoutFacts?.tiers.free?.yes).toBe(0);
    expect(withoutFacts?.tiers.paid?.yes).toBe(0);
  }, 120_000);

  it("a run without anti-lab verdicts is an input error naming the fix; the paper format gives no tag warning with strongreject", async () => {
    const outcome = await startRun(
      { model: "sim/opus-like", dataset: { source: "builtin:anti-ai-lab", limit: 2 } },
      { store, createClient: createClientFactory() },
    );
    await expect(antiLabReport(store, outcome.runId)).rejects.toThrow(
      /no anti-lab verdicts.*--classifiers anti-lab/,
    );
    const prepared = await prepareRun(
      {
        model: "sim/opus-like",
        judge: "sim/judge",
        classifiers: ["strongreject", "anti-lab"],
        dataset: { source: "builtin:anti-ai-lab" },
      },
      { createClient: createClientFactory() },
    );
    expect(prepared.warnings).toEqual([]);
  });
});
