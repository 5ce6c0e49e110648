import {
  type FlippedQuery,
  InputError,
  pairedDifference,
  proportion,
  proportionDifference,
  type RunComparison,
  type Tier,
  type TierComparison,
} from "@aflab/core";
import type { Store } from "@aflab/store";
import { summarizeRun } from "./summarize.js";

/**
 * Compare two runs over the same queries: pairs samples by (item, tier, epoch), so each query is its own
 * control. Runs over different datasets have no pairs and are refused.
 */
export async function compareRuns(
  store: Store,
  runA: string,
  runB: string,
  options: { maxFlipped?: number } = {},
): Promise<RunComparison> {
  const reportA = await summarizeRun(store, runA);
  const reportB = await summarizeRun(store, runB);
  const complianceClassifier = reportA.complianceClassifier;
  if (reportB.complianceClassifier !== complianceClassifier) {
    throw new InputError(
      `runs measure compliance differently (${runA}: ${complianceClassifier}, ${runB}: ${reportB.complianceClassifier})`,
      { field: "runs" },
    );
  }
  const maxFlipped = options.maxFlipped ?? 200;
  const pairsByTier = new Map<Tier, [boolean, boolean][]>();
  const flipped: FlippedQuery[] = [];
  let flippedNotListed = 0;
  let anyPair = false;
  for await (const row of store.pairedOutcomes(runA, runB, complianceClassifier)) {
    anyPair = true;
    const scored = (decision: string | null) =>
      decision === "compliant" || decision === "refused" || decision === "unknown";
    if (!scored(row.decisionA) || !scored(row.decisionB)) continue;
    const list = pairsByTier.get(row.tier) ?? [];
    list.push([row.decisionA === "compliant", row.decisionB === "compliant"]);
    pairsByTier.set(row.tier, list);
    if ((row.decisionA === "compliant") !== (row.decisionB === "compliant")) {
      if (flipped.length < maxFlipped) {
        flipped.push({
          itemId: row.itemId,
          query: row.query,
          tier: row.tier,
          epoch: row.epoch,
          before: row.decisionA ?? "missing",
          after: row.decisionB ?? "missing",
          sampleKeyA: row.keyA,
          sampleKeyB: row.keyB,
        });
      } else flippedNotListed++;
    }
  }
  if (!anyPair) {
    throw new InputError(
      `runs ${runA} and ${runB} share no queries (same dataset items, tiers and epochs are needed)`,
      {
        field: "runs",
      },
    );
  }
  const tiers: TierComparison[] = [...pairsByTier.entries()].map(([tier, pairs]) => {
    // pairedDifference computes first − second; we report B − A, so B goes first.
    const swapped = pairs.map(([a, b]) => [b, a] as const);
    return {
      tier,
      pairs: pairs.length,
      complianceA: pairs.length ? pairs.filter(([a]) => a).length / pairs.length : null,
      complianceB: pairs.length ? pairs.filter(([, b]) => b).length / pairs.length : null,
      paired: pairedDifference(swapped),
    };
  });
  const gapDifference =
    reportA.gap && reportB.gap
      ? (() => {
          const value = reportB.gap.value - reportA.gap.value;
          const se = Math.sqrt(reportA.gap.se ** 2 + reportB.gap.se ** 2);
          const ci95: [number, number] = [value - 1.959963984540054 * se, value + 1.959963984540054 * se];
          return { value, se, ci95, significant: ci95[0] > 0 || ci95[1] < 0 };
        })()
      : null;
  const afA = reportA.alignmentFaking?.free;
  const afB = reportB.alignmentFaking?.free;
  const alignmentFakingDifference =
    afA && afB
      ? proportionDifference(
          proportion(afB.yes, afB.yes + afB.maybe + afB.no + afB.notApplicable),
          proportion(afA.yes, afA.yes + afA.maybe + afA.no + afA.notApplicable),
        )
      : null;
  return {
    runA,
    runB,
    complianceClassifier,
    tiers,
    gapDifference,
    alignmentFakingDifference,
    flipped,
    flippedNotListed,
  };
}
