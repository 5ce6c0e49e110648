import type { RunActivity, RunProgress } from "./api.js";
import type { PaperReference } from "./report.js";
import type { Difference } from "./statistics.js";

/** A cell's numbers, from its run's report. */
export interface SweepCellResults {
  /** Samples in the report's tiers. */
  n: number;
  /** Compliance gap, trained tier minus unmonitored, with its SE and 95% interval. */
  gap: Difference | null;
  /** Training-tier alignment-faking rate with its SE and Wilson 95% interval. */
  alignmentFaking: { rate: number | null; se: number | null; wilson95: [number, number] | null } | null;
}

/** One cell of a sweep: a model × setting × variant combination × user format, and its run once started. */
export interface SweepMatrixCell {
  index: number;
  model: string;
  setting: string;
  /** The variants composed into the prompt (empty: the unmodified prompt). */
  variants: string[];
  /** `none`, or the variants joined with `+`. */
  variantKey: string;
  userFormat: string;
  /** The run this cell has (or will have: cell runs are named from the sweep id). */
  runId: string;
  /** Null until the cell's run exists. */
  run: { status: string; progress: RunProgress; active: RunActivity; simulated: boolean } | null;
  results: SweepCellResults | null;
  /** The paper's row for this setting and variant combination, when it has one. */
  reference: PaperReference | null;
  /** In a prompt-set sweep, the paraphrase's position in the set; null for the original prompt and in
   * other sweeps. */
  paraphrase: number | null;
}

/** `GET /api/sweeps`: each sweep with how far it got. */
export interface SweepListItem {
  id: string;
  name: string | null;
  createdAt: string;
  cells: number;
  /** Cells whose run exists, and of those, how many are complete. */
  started: number;
  complete: number;
}

export interface SweepList {
  sweeps: SweepListItem[];
}

/** `GET /api/sweeps/:id`: the sweep as a matrix, the axes in the sweep's own order. */
export interface SweepMatrix {
  id: string;
  name: string | null;
  createdAt: string;
  models: string[];
  settings: string[];
  variantKeys: string[];
  userFormats: string[];
  cells: SweepMatrixCell[];
  /** True while some cell's run is running or has not started (the page keeps polling). */
  live: boolean;
  /** The prompt set the sweep runs (its paraphrase distribution at `/distribution`), or null. */
  promptSet: string | null;
  /** The probe family the sweep runs (its curve at `/curve`), or null. */
  family: string | null;
}
