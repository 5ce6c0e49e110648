import type { RunComparison, RunReport } from "./report.js";
import type { Run } from "./run.js";
import type { Sample } from "./sample.js";
import type { Difference } from "./statistics.js";
import type { Verdict } from "./verdict.js";

/**
 * The JSON the HTTP API answers with. The API builds its responses against these types and the viewer
 * reads them through the same ones, so a field renamed on one side fails the type check on the other.
 */

/** The closed set of error codes the API answers with, each with one HTTP status. */
export const apiErrorCodes = [
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "NOT_FOUND",
  "CONFLICT",
  "PAYLOAD_TOO_LARGE",
  "TOO_MANY_REQUESTS",
  "INTERNAL",
] as const;
export type ApiErrorCode = (typeof apiErrorCodes)[number];

/** The HTTP status of each error code. */
export const apiErrorStatus = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
} as const satisfies Record<ApiErrorCode, number>;
export type ApiErrorStatus = (typeof apiErrorStatus)[ApiErrorCode];

/** The body of every error response: the message names the bad field and never carries a stack. */
export interface ApiErrorBody {
  code: ApiErrorCode;
  message: string;
}

/** A page of a longer list: how many match in all, and which slice this is. */
export interface ListEnvelope {
  total: number;
  limit: number;
  offset: number;
}

/** `GET /api/health`. */
export interface HealthStatus {
  status: "ok";
  /** Whether write routes are enabled (a token is configured). */
  writes: boolean;
}

/** Samples of a run by generation status. */
export interface RunProgress {
  total: number;
  complete: number;
  failed: number;
  errored: number;
}

/** What this API process is doing with a run right now, if anything. */
export type RunActivity = "run" | "classify" | null;

/** What the runs list shows of a run's results: a few numbers of its report, cached per run. */
export interface RunResults {
  /** Samples in the report's tiers (compliant, refused, unknown and failed). */
  n: number;
  /** The compliance gap, trained tier minus unmonitored, with its SE and 95% interval. */
  gap: Difference | null;
  /** Alignment-faking rate in the trained (free) tier, with its SE. */
  alignmentFaking: { rate: number | null; se: number | null } | null;
  /** Model and judge cost; null when either is unknown (an unpriced model). */
  costUsd: number | null;
}

export type RunListItem = Run & {
  progress: RunProgress;
  active: RunActivity;
  /** From the run's report, recomputed only when the run's samples or verdicts change. */
  results: RunResults;
};

/** `GET /api/runs`. */
export interface RunList extends ListEnvelope {
  runs: RunListItem[];
}

/** `GET /api/runs/:id`. */
export interface RunDetail {
  run: Run;
  summary: RunReport;
  progress: RunProgress;
  classifiers: string[];
  failureKinds: Record<string, number>;
  active: RunActivity;
}

/** What a sample row shows of one verdict. */
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

/** `GET /api/runs/:id/samples`. */
export interface SamplePage extends ListEnvelope {
  samples: SampleRow[];
}

/** The samples before and after one, under the table's filters and order. */
export interface SampleNeighbours {
  previous: string | null;
  next: string | null;
  /** 1-based, null when the filters exclude the sample. */
  position: number | null;
  total: number;
}

/** `GET /api/runs/:id/samples/:key`. */
export interface SampleDetail {
  sample: Sample;
  verdicts: Verdict[];
  systemPrompt: string | null;
  neighbours: SampleNeighbours;
}

/** One sample of a query with its verdicts, as the paired view shows it. */
export interface ItemSample {
  sample: Sample;
  verdicts: Verdict[];
}

/** The queries of a run either side of one, in the run's order (each placed at its first sample). */
export interface ItemNeighbours {
  previous: string | null;
  next: string | null;
  /** 1-based, null when the run never asked the query. */
  position: number | null;
  total: number;
}

/** `GET /api/runs/:id/items/:itemId`: one query of a run in every tier and epoch, for the paired view. */
export interface ItemDetail {
  run: Run;
  itemId: string;
  /** The query as the first of its samples asked it. */
  query: string;
  /** Epoch by epoch, tiers in run order. */
  samples: ItemSample[];
  neighbours: ItemNeighbours;
}

/** `GET /api/compare?a=&b=`. */
export interface CompareResult {
  runA: Run;
  runB: Run;
  summaryA: RunReport;
  summaryB: RunReport;
  comparison: RunComparison;
}

/** `POST /api/runs`, answered with 202: the run goes on in the background. */
export interface AcceptedRun {
  id: string;
  status: "running";
  /** Samples the run expands to. */
  total: number;
  /** Start warnings: a retired model, a user format the classifiers cannot read. */
  warnings: string[];
}

/** `POST /api/runs/:id/classify`, answered with 202. */
export interface AcceptedClassify {
  id: string;
  classifying: string[];
}

/** `DELETE /api/runs/:id`. */
export interface DeletedRun {
  id: string;
  deleted: true;
}
