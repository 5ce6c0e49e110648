// The JSON the API answers with, as the viewer reads it. The stored shapes come from @aflab/core; the
// report and listing shapes are declared here so the viewer never imports server code.
import type { Run, Sample, Tier, Usage, Verdict } from "@aflab/core";

export interface RunProgress {
  total: number;
  complete: number;
  failed: number;
  errored: number;
}

export type RunListItem = Run & { progress: RunProgress; active: "run" | "classify" | null };

export interface RunList {
  runs: RunListItem[];
  total: number;
  limit: number;
  offset: number;
}

export interface TierSummary {
  n: number;
  compliant: number;
  refused: number;
  unknown: number;
  failed: number;
  complianceRate: number | null;
  se: number | null;
  wilson95: [number, number] | null;
}

export interface RateSummary {
  classifier: string;
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

export interface PaperReference {
  setting: string;
  variation: string;
  source: string;
  alignmentFaking: ReferenceValue | null;
  compliance: { free: ReferenceValue | null; paid: ReferenceValue | null };
  gap: ReferenceValue | null;
}

export interface Difference {
  value: number;
  se: number;
  ci95: [number, number];
  significant: boolean;
}

export interface RunReport {
  runId: string;
  model: string;
  setting: string;
  simulated: boolean;
  status: string;
  label: string | null;
  variants: string[];
  userFormat: string;
  total: number;
  complianceClassifier: string;
  tiers: Partial<Record<Tier, TierSummary>>;
  gap: (Difference & { between: [Tier, Tier] }) | null;
  alignmentFaking: Partial<Record<Tier, RateSummary>> | null;
  partialCompliance: Partial<Record<Tier, RateSummary>> | null;
  categories: Partial<Record<Tier, TierCategories>> | null;
  judgeFailures: Record<string, number>;
  usage: { model: Usage; judge: Usage; costUsd: number | null; judgeCostUsd: number | null; retries: number };
  reference: PaperReference | null;
}

export interface RunDetail {
  run: Run;
  summary: RunReport;
  progress: RunProgress;
  classifiers: string[];
  failureKinds: Record<string, number>;
  active: "run" | "classify" | null;
}

export interface VerdictDecision {
  status: string;
  decision: string | null;
  score: number | null;
}

/** One table row: a sample without turns, long texts cut to a preview. */
export type SampleRow = Omit<Sample, "turns"> & {
  turnCount: number;
  verdicts: Record<string, VerdictDecision>;
};

export interface SamplePage {
  samples: SampleRow[];
  total: number;
  limit: number;
  offset: number;
}

export interface SampleNeighbours {
  previous: string | null;
  next: string | null;
  position: number | null;
  total: number;
}

export interface SampleDetail {
  sample: Sample;
  verdicts: Verdict[];
  systemPrompt: string | null;
  neighbours: SampleNeighbours;
}

export interface PairedComparison extends Difference {
  pairs: number;
  onlyFirst: number;
  onlySecond: number;
  mcnemar: { b: number; c: number; chiSquare: number | null; pValue: number };
}

export interface FlippedQuery {
  itemId: string;
  query: string;
  tier: Tier;
  epoch: number;
  before: string;
  after: string;
  sampleKeyA: string;
  sampleKeyB: string;
}

export interface RunComparison {
  runA: string;
  runB: string;
  complianceClassifier: string;
  tiers: Array<{
    tier: Tier;
    pairs: number;
    complianceA: number | null;
    complianceB: number | null;
    paired: PairedComparison | null;
  }>;
  gapDifference: Difference | null;
  alignmentFakingDifference: Difference | null;
  flipped: FlippedQuery[];
  flippedNotListed: number;
}

export interface CompareResult {
  runA: Run;
  runB: Run;
  summaryA: RunReport;
  summaryB: RunReport;
  comparison: RunComparison;
}

export interface ApiErrorBody {
  code: string;
  message: string;
}
