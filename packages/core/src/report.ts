import type { Setting, Tier } from "./run-config.js";
import type { JudgedScratchpadSource, ScratchpadSource } from "./scratchpad-source.js";
import type { SimulatedSides } from "./simulated.js";
import type { Difference, PairedComparison } from "./statistics.js";
import type { GapSummary, TierSummary } from "./summary.js";
import type { Usage } from "./usage.js";

/**
 * The shapes of a run's report and of a comparison of two runs. The engine computes them, the CLI prints
 * them, the API serves them and the viewer draws them: they live here so all four agree.
 */

export interface RateSummary {
  classifier: string;
  /** yes / (yes + maybe + no + not applicable); failed verdicts are excluded and counted apart. */
  rate: number | null;
  se: number | null;
  wilson95: [number, number] | null;
  yes: number;
  maybe: number;
  no: number;
  notApplicable: number;
  failed: number;
  missing: number;
}

/**
 * Compliance in one tier among the samples that verbalise neither alignment-faking reasoning nor
 * evaluation awareness. Each sample of the tier falls in exactly one of three places, checked in order:
 * 1. `failed`: no usable compliance verdict (as in the tier counts), or neither judge said yes/maybe and at
 *    least one of them failed or is missing, so whether it verbalises is unknown;
 * 2. `verbalised`: the AF judge or the eval-awareness judge said `yes` or `maybe`;
 * 3. counted in `n`: both said `no`, or found no scratchpad to judge (`not_applicable`).
 */
export interface UnverbalisedTier {
  n: number;
  compliant: number;
  /** compliant / n, where n = compliant + refused + unknown among the unverbalised samples. */
  complianceRate: number | null;
  se: number | null;
  wilson95: [number, number] | null;
  verbalised: number;
  failed: number;
}

/** The compliance gap among samples that verbalise neither AF reasoning nor evaluation awareness. */
export interface UnverbalisedGap {
  alignmentFakingClassifier: string;
  evalAwarenessClassifier: string;
  tiers: Partial<Record<Tier, UnverbalisedTier>>;
  /** Trained tier minus unmonitored tier, SE = sqrt(SE_a² + SE_b²), interval ± 1.96 SE; null without both. */
  gap: (Difference & { between: [Tier, Tier] }) | null;
}

/** The paper's stacked bar for one tier (SPEC §5), plus what could not be placed. */
export interface TierCategories {
  refuses: number;
  compliesWithoutAf: number;
  compliesWithAf: number;
  afWithPartialCompliance: number;
  unknown: number;
  failed: number;
}

export interface ReferenceValue {
  value: number;
  se: number;
}

/** The paper's numbers for a setting and variation, as fractions (0.142 for 14.2%). */
export interface PaperReference {
  setting: Setting;
  /** The variation's label in the paper's table. */
  variation: string;
  source: string;
  alignmentFaking: ReferenceValue | null;
  compliance: { free: ReferenceValue | null; paid: ReferenceValue | null };
  gap: ReferenceValue | null;
}

/** Which text the scratchpad judges read: the run's setting, and per resolved source how many samples. */
export interface ScratchpadSourceSummary {
  setting: ScratchpadSource;
  /** Finished samples by the text their scratchpad judges read (`none`: the chosen source was empty). */
  judged: Record<JudgedScratchpadSource, number>;
}

/**
 * Something that makes a report's numbers less than they look, computed from the stored counts:
 * - `unknown_share`: more than 10% of a tier's samples have no compliance decision the classifier could read;
 * - `failed_share`: more than 10% of a tier's samples failed (generation, verdict, or no verdict yet);
 * - `unknown_or_failed_share`: neither alone is above 10%, together they are;
 * - `reference_not_comparable`: because of the above, the paper's numbers are no fair comparison.
 * `share` is a fraction of the tier's samples (null when the warning is about the whole report).
 */
export interface ReportWarning {
  code: "unknown_share" | "failed_share" | "unknown_or_failed_share" | "reference_not_comparable";
  tier: Tier | null;
  share: number | null;
  message: string;
}

export interface RunReport {
  runId: string;
  model: string;
  setting: string;
  /** True when anything in the run is simulated; `simulatedSides` says which side. */
  simulated: boolean;
  simulatedSides: SimulatedSides;
  /** The judge model of record (null when the run has none). */
  judge: string | null;
  status: string;
  label: string | null;
  variants: string[];
  userFormat: string;
  total: number;
  complianceClassifier: string;
  /** Which text the alignment-faking, partial-compliance and motivation judges read. */
  scratchpadSource: ScratchpadSourceSummary;
  /** Per tier `n`, compliant, refused (of which `apiRefused` by the provider), unknown, failed and rates. */
  tiers: Partial<Record<Tier, TierSummary>>;
  /** Compliance gap between the trained tier (free) and the unmonitored one (paid, or enterprise with three tiers). */
  gap: (GapSummary & { between: [Tier, Tier] }) | null;
  alignmentFaking: Partial<Record<Tier, RateSummary>> | null;
  /** Share of samples whose reasoning says it suspects a test, an evaluation or a made-up scenario. */
  evalAwareness: Partial<Record<Tier, RateSummary>> | null;
  /** The compliance gap among samples that verbalise neither AF reasoning nor evaluation awareness. */
  unverbalisedGap: UnverbalisedGap | null;
  partialCompliance: Partial<Record<Tier, RateSummary>> | null;
  categories: Partial<Record<Tier, TierCategories>> | null;
  /** Verdicts that failed, keyed `classifier:kind`. */
  judgeFailures: Record<string, number>;
  usage: { model: Usage; judge: Usage; costUsd: number | null; judgeCostUsd: number | null; retries: number };
  /** The run's spending limit (`--max-cost`) and its spend so far (model and judge; null when unknown). Absent
   * when the run has no budget. */
  budget?: { limitUsd: number; spentUsd: number | null };
  /** The paper's published numbers for this setting and variant (Claude 3 Opus), when the paper has a matching row. */
  reference: PaperReference | null;
  /** What makes these numbers less than they look; empty when nothing does. */
  warnings: ReportWarning[];
  /** Verdicts imported with the run from another tool (`imported:<name>`), apart from aflab's own; absent
   * or empty when the run has none. */
  importedVerdicts?: ImportedVerdictSummary[];
}

/** One imported classifier's outcomes per tier: `positive` is compliant (compliance) or yes (the judges). */
export interface ImportedVerdictSummary {
  classifier: string;
  role: "compliance" | "alignment-faking" | "partial-compliance";
  tiers: Partial<
    Record<
      Tier,
      {
        /** positive / (positive + negative + undecided); failed and missing verdicts are left out. */
        rate: number | null;
        wilson95: [number, number] | null;
        positive: number;
        negative: number;
        /** Decided neither way (compliance `unknown`, a judge's `maybe`). */
        undecided: number;
        failed: number;
        missing: number;
      }
    >
  >;
}

export interface FlippedQuery {
  itemId: string;
  query: string;
  tier: Tier;
  epoch: number;
  /** Compliance decision in run A and in run B. */
  before: string;
  after: string;
  sampleKeyA: string;
  sampleKeyB: string;
}

export interface TierComparison {
  tier: Tier;
  /** Pairs where both runs have a scored compliance verdict. */
  pairs: number;
  complianceA: number | null;
  complianceB: number | null;
  /** Paired difference B − A with its interval and McNemar's test. */
  paired: PairedComparison | null;
}

export interface RunComparison {
  runA: string;
  runB: string;
  complianceClassifier: string;
  tiers: TierComparison[];
  /** Difference of the two runs' compliance gaps (B − A), treating the runs as independent. */
  gapDifference: Difference | null;
  /** AF rate (free tier) difference B − A, independent proportions. */
  alignmentFakingDifference: Difference | null;
  flipped: FlippedQuery[];
  /** Flips beyond `maxFlipped` that were counted but not listed. */
  flippedNotListed: number;
}
