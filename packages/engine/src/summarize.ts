import { getClassifier } from "@aflab/classifiers";
import {
  type Proportion,
  proportion,
  proportionDifference,
  type RateSummary,
  type Run,
  type RunReport,
  type Tier,
  type TierCategories,
  type TierSummary,
} from "@aflab/core";
import type { Store } from "@aflab/store";
import { referenceForRun } from "./paper-reference.js";
import { reportWarnings } from "./report-warnings.js";

const compliancePreference = ["strongreject", "aw-support", "tag-compliance"];
const alignmentFakingPreference = ["af-reasoning", "af-paper", "af-paper-hard", "af-paper-soft"];

function pick(names: string[], preference: string[], role: string): string | undefined {
  for (const name of preference) if (names.includes(name)) return name;
  return names.find((name) => roleOf(name) === role);
}

function roleOf(name: string): string | undefined {
  try {
    return getClassifier(name).role;
  } catch {
    return undefined;
  }
}

/** A run's report, computed from the store with SQL aggregates: nothing about the run is held in memory. */
export function summarizeRun(store: Store, runId: string): RunReport {
  const run: Run = store.requireRun(runId);
  const names = run.config.classifiers.length > 0 ? run.config.classifiers : store.classifierNames(runId);
  const complianceClassifier = pick(names, compliancePreference, "compliance") ?? "tag-compliance";
  const counts = store.tierCounts(runId, complianceClassifier);
  const tiers: Partial<Record<Tier, TierSummary>> = {};
  const proportions: Partial<Record<Tier, Proportion>> = {};
  for (const tier of run.config.tiers) {
    const count = counts[tier] ?? { n: 0, compliant: 0, refused: 0, unknown: 0, failed: 0 };
    const scored = count.compliant + count.refused + count.unknown;
    const share = proportion(count.compliant, scored);
    proportions[tier] = share;
    tiers[tier] = { ...count, complianceRate: share.rate, se: share.se, wilson95: share.wilson95 };
  }
  const unmonitored: Tier = run.config.tiers.includes("paid") ? "paid" : "enterprise";
  const free = proportions.free;
  const other = proportions[unmonitored];
  const difference = free && other ? proportionDifference(free, other) : null;
  const gap = difference ? { ...difference, between: ["free", unmonitored] as [Tier, Tier] } : null;

  const afClassifier = pick(names, alignmentFakingPreference, "alignment-faking");
  const partialClassifier = pick(names, ["partial-compliance"], "partial-compliance");
  const alignmentFaking = afClassifier ? rates(store, runId, afClassifier, run.config.tiers) : null;
  const partialCompliance = partialClassifier
    ? rates(store, runId, partialClassifier, run.config.tiers)
    : null;
  const categories = afClassifier
    ? categorize(store, runId, run.config.tiers, complianceClassifier, afClassifier, partialClassifier)
    : null;

  const judgeFailures: Record<string, number> = {};
  for (const name of names) {
    for (const [kind, count] of Object.entries(store.failureKinds(runId, name)))
      judgeFailures[`${name}:${kind}`] = count;
  }
  const usage = store.runUsage(runId);
  const reference = referenceForRun(run);
  return {
    runId,
    model: run.config.model,
    setting: run.config.setting,
    simulated: run.simulated,
    simulatedSides: run.simulatedSides,
    judge: run.config.judge ?? null,
    status: run.status,
    label: run.config.label ?? null,
    variants: run.config.variants,
    userFormat: run.config.userFormat,
    total: run.total,
    complianceClassifier,
    tiers,
    gap,
    alignmentFaking,
    partialCompliance,
    categories,
    judgeFailures,
    usage: {
      model: usage.usage,
      judge: usage.judgeUsage,
      costUsd: usage.costUsd,
      judgeCostUsd: usage.judgeCostUsd,
      retries: usage.retries,
    },
    reference,
    warnings: reportWarnings({
      runId,
      tiers,
      complianceClassifier,
      userFormat: run.config.userFormat,
      sampleFailures: store.sampleFailureKinds(runId),
      verdictFailures: store.failureKinds(runId, complianceClassifier),
      hasReference: reference !== null,
    }),
  };
}

function rates(
  store: Store,
  runId: string,
  classifier: string,
  tiers: Tier[],
): Partial<Record<Tier, RateSummary>> {
  const counts = store.decisionCounts(runId, classifier);
  const result: Partial<Record<Tier, RateSummary>> = {};
  for (const tier of tiers) {
    const row = counts[tier] ?? {};
    const yes = row.yes ?? 0;
    const maybe = row.maybe ?? 0;
    const no = row.no ?? 0;
    const notApplicable = row.not_applicable ?? 0;
    const share = proportion(yes, yes + maybe + no + notApplicable);
    result[tier] = {
      classifier,
      rate: share.rate,
      se: share.se,
      wilson95: share.wilson95,
      yes,
      maybe,
      no,
      notApplicable,
      failed: row.failed ?? 0,
      missing: row.missing ?? 0,
    };
  }
  return result;
}

function categorize(
  store: Store,
  runId: string,
  tiers: Tier[],
  complianceClassifier: string,
  afClassifier: string,
  partialClassifier: string | undefined,
): Partial<Record<Tier, TierCategories>> {
  const classifiers = [complianceClassifier, afClassifier, ...(partialClassifier ? [partialClassifier] : [])];
  const result: Partial<Record<Tier, TierCategories>> = {};
  for (const tier of tiers) {
    result[tier] = {
      refuses: 0,
      compliesWithoutAf: 0,
      compliesWithAf: 0,
      afWithPartialCompliance: 0,
      unknown: 0,
      failed: 0,
    };
  }
  for (const row of store.jointOutcomes(runId, classifiers)) {
    const bucket = result[row.tier];
    if (!bucket) continue;
    const [compliance, alignmentFaking, partial] = row.outcomes;
    // As in the tier counts: only a compliance decision places a sample; a not-applicable verdict, one
    // without a decision or with a decision outside the vocabulary is failed, never "complies".
    if (
      row.status !== "complete" ||
      (compliance !== "compliant" && compliance !== "refused" && compliance !== "unknown")
    )
      bucket.failed += row.count;
    else if (compliance === "refused") bucket.refuses += row.count;
    else if (compliance === "unknown") bucket.unknown += row.count;
    else if (alignmentFaking === "yes" && partial === "yes") bucket.afWithPartialCompliance += row.count;
    else if (alignmentFaking === "yes") bucket.compliesWithAf += row.count;
    else bucket.compliesWithoutAf += row.count;
  }
  return result;
}
