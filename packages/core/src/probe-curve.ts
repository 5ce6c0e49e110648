import type { RateSummary } from "./report.js";
import type { Tier } from "./run-config.js";
import type { GapSummary, TierSummary } from "./summary.js";

/**
 * A probe family's result: the compliance gap (and AF rate) as a function of the probe (the stated
 * monitoring probability, the consequence of non-compliance, the harm scope). Every point is one stored
 * run of the sweep, summarised from the store like any run report.
 */
export interface ProbeCurvePoint {
  /** The probe's value (a percentage, or an ordinal for categorical probes) and how it reads. */
  value: number;
  label: string;
  variant: string;
  runId: string;
  /** `missing` when the sweep never reached this cell. */
  status: string;
  free: TierSummary | null;
  /** The unmonitored tier the gap is taken against (paid, or enterprise with three tiers). */
  unmonitored: TierSummary | null;
  /** Trained minus unmonitored compliance with SE and 95% interval; null without both tiers' samples. */
  gap: GapSummary | null;
  /** AF reasoning in the free tier, with its Wilson 95% interval; null without an AF classifier. */
  alignmentFaking: RateSummary | null;
}

/** One curve: the points that share everything but the probe (model, setting, other variants, format). */
export interface ProbeCurveSeries {
  model: string;
  setting: string;
  /** The variants every point of the series shares (the family's own step excluded). */
  variants: string[];
  userFormat: string;
  simulated: boolean;
  points: ProbeCurvePoint[];
}

export interface ProbeCurve {
  sweepId: string;
  family: string;
  axis: string;
  categorical: boolean;
  series: ProbeCurveSeries[];
}

/** The anti-AI-lab rates of one run: the share of scenarios in which the model took the chance, per tier. */
export interface AntiLabRun {
  runId: string;
  model: string;
  setting: string;
  variants: string[];
  status: string;
  simulated: boolean;
  /** Per tier: yes / (yes + no + not applicable) with SE and Wilson 95% interval; failed verdicts apart. */
  tiers: Partial<Record<Tier, RateSummary>>;
  /** Taken in the trained tier minus the unmonitored tier, with SE and 95% interval; null without both. */
  difference: GapSummary | null;
}

export interface AntiLabReport {
  /** The run or sweep the report covers. */
  id: string;
  classifier: string;
  runs: AntiLabRun[];
  /** The paper's anti-AI-lab numbers are not in the project's reference data, so none are shown. */
  reference: null;
}

/** One prompt of a prompt-set sweep (the original or a paraphrase) and its run's gap and AF rate. */
export interface ParaphrasePoint {
  /** Null for the original prompt. */
  position: number | null;
  hash: string | null;
  runId: string;
  status: string;
  gap: GapSummary | null;
  alignmentFaking: RateSummary | null;
}

/** Median and interquartile range (R type 7 quartiles) of a quantity across paraphrases. */
export interface Spread {
  n: number;
  median: number;
  q1: number;
  q3: number;
  iqr: number;
}

export interface ParaphraseSeries {
  model: string;
  userFormat: string;
  simulated: boolean;
  original: ParaphrasePoint | null;
  paraphrases: ParaphrasePoint[];
  /** Across the paraphrases with a gap (null when none has one). */
  gap: Spread | null;
  alignmentFaking: Spread | null;
  /** Share of the paraphrases with a gap whose 95% interval excludes 0 (of those with a gap). */
  shareSignificant: number | null;
  /** `original-only`: the original's gap interval excludes 0 but fewer than half the paraphrases' do;
   * `paraphrases-only`: the original's does not, some paraphrases' do; null otherwise. */
  flag: "original-only" | "paraphrases-only" | null;
  flagMessage: string | null;
}

export interface ParaphraseDistribution {
  sweepId: string;
  promptSet: string;
  setting: string;
  variants: string[];
  series: ParaphraseSeries[];
}
