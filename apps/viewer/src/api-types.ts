// The JSON the API answers with, as the viewer reads it. Stored shapes, reports and comparisons come
// from @aflab/core (types only, so the viewer never imports server code); the API's own envelopes are
// declared here.
import type { Run, RunComparison, RunReport, Sample, Verdict } from "@aflab/core";

export type {
  Difference,
  FlippedQuery,
  PairedComparison,
  PaperReference,
  RateSummary,
  ReferenceValue,
  RunComparison,
  RunReport,
  TierCategories,
  TierSummary,
} from "@aflab/core";

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
