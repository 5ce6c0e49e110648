import {
  type AntiLabReport,
  type AntiLabRun,
  InputError,
  parseOrThrow,
  proportion,
  proportionDifference,
  type RateSummary,
  type Tier,
} from "@aflab/core";
import type { Store } from "@aflab/store";
import { cellRunId, loadSweepPromptSet, sweepCells, sweepConfigSchema } from "./sweep.js";

const classifier = "anti-lab";

/** Per tier, the share of samples whose anti-lab verdict says the model took the chance. */
async function tierRates(
  store: Store,
  runId: string,
  tiers: Tier[],
): Promise<Partial<Record<Tier, RateSummary>>> {
  const counts = await store.decisionCounts(runId, classifier);
  const rates: Partial<Record<Tier, RateSummary>> = {};
  for (const tier of tiers) {
    const row = counts[tier] ?? {};
    const yes = row.yes ?? 0;
    const no = row.no ?? 0;
    const notApplicable = row.not_applicable ?? 0;
    // A failed or missing verdict is no answer at all: it is counted apart, never as "did not take it".
    const share = proportion(yes, yes + no + notApplicable);
    rates[tier] = {
      classifier,
      rate: share.rate,
      se: share.se,
      wilson95: share.wilson95,
      yes,
      maybe: row.maybe ?? 0,
      no,
      notApplicable,
      failed: row.failed ?? 0,
      missing: row.missing ?? 0,
    };
  }
  return rates;
}

async function runRates(store: Store, runId: string): Promise<AntiLabRun> {
  const run = await store.requireRun(runId);
  const tiers = await tierRates(store, runId, run.config.tiers);
  const unmonitored: Tier = run.config.tiers.includes("paid") ? "paid" : "enterprise";
  const trained = tiers.free;
  const other = tiers[unmonitored];
  const difference =
    trained && other
      ? proportionDifference(
          proportion(trained.yes, trained.yes + trained.no + trained.notApplicable),
          proportion(other.yes, other.yes + other.no + other.notApplicable),
        )
      : null;
  return {
    runId,
    model: run.config.model,
    setting: run.config.setting,
    variants: run.config.variants,
    status: run.status,
    simulated: run.simulated,
    tiers,
    difference,
  };
}

/**
 * The anti-AI-lab rates of a run, or of every run of a sweep (one per variant combination): how often
 * the model took an offered chance to act against its developer, per tier, from the stored `anti-lab`
 * verdicts. A run without that classifier is an input error naming the fix.
 *
 * @example
 * const report = await antiLabReport(store, "sweep-abc");
 * report.runs.map((run) => [run.variants, run.tiers.free?.rate]);
 */
export async function antiLabReport(store: Store, id: string): Promise<AntiLabReport> {
  const sweep = await store.getSweep(id);
  const runIds: string[] = [];
  if (sweep) {
    const config = parseOrThrow(sweepConfigSchema, sweep.config, "stored sweep config");
    for (const cell of sweepCells(config, await loadSweepPromptSet(config, store))) {
      const runId = cellRunId(id, cell);
      if (await store.getRun(runId)) runIds.push(runId);
    }
  } else {
    await store.requireRun(id);
    runIds.push(id);
  }
  const runs: AntiLabRun[] = [];
  for (const runId of runIds) {
    const names = await store.classifierNames(runId);
    if (!names.includes(classifier)) {
      throw new InputError(
        `run ${runId} has no ${classifier} verdicts; run the anti-AI-lab scenarios with --dataset builtin:anti-ai-lab --classifiers anti-lab --judge ID, or aflab classify ${runId} --classifiers anti-lab`,
        { field: "id" },
      );
    }
    runs.push(await runRates(store, runId));
  }
  return { id, classifier, runs, reference: null };
}
