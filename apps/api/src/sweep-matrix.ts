import type {
  Run,
  RunReport,
  Setting,
  SweepCellResults,
  SweepListItem,
  SweepMatrix,
  SweepMatrixCell,
} from "@aflab/core";
import { parseOrThrow } from "@aflab/core";
import {
  cellRunId,
  loadSweepPromptSet,
  paperReference,
  type SweepConfig,
  summarizeRun,
  sweepCells,
  sweepConfigSchema,
} from "@aflab/engine";
import { paperVariationLabel } from "@aflab/prompts";
import type { Store, Sweep } from "@aflab/store";
import type { RunJobs } from "./run-jobs.js";

/** How long after its newest run last changed a sweep with cells still to start counts as going on. */
const liveWindowMs = 60_000;
/** How long a cached report may be trusted with an unchanged stamp (as the runs list's numbers). */
const reportMaxAgeMs = 60_000;

/**
 * Each cell run's report, kept until the run's change stamp moves: a page polling a sweep of many cells
 * costs a few index counts per cell, not a full report per cell per poll.
 */
export class SweepReportCache {
  private readonly entries = new Map<string, { stamp: string; at: number; report: RunReport }>();
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async report(runId: string): Promise<RunReport> {
    const stamp = await this.store.runChangeStamp(runId);
    const cached = this.entries.get(runId);
    if (cached && cached.stamp === stamp && this.now() - cached.at < reportMaxAgeMs) return cached.report;
    const report = await summarizeRun(this.store, runId);
    this.entries.delete(runId);
    this.entries.set(runId, { stamp, at: this.now(), report });
    // Bounded: the oldest entry goes first.
    if (this.entries.size > 2_000) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return report;
  }
}

const caches = new WeakMap<Store, SweepReportCache>();
export function sweepReportCache(store: Store): SweepReportCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = new SweepReportCache(store);
    caches.set(store, cache);
  }
  return cache;
}

function configOf(sweep: Sweep): SweepConfig {
  return parseOrThrow(sweepConfigSchema, sweep.config, `stored sweep ${sweep.id}`);
}

/** `none`, or the variants joined with `+` in the sweep's order. */
function variantKey(variants: readonly string[]): string {
  return variants.length === 0 ? "none" : variants.join("+");
}

function resultsOf(report: RunReport): SweepCellResults {
  const free = report.alignmentFaking?.free;
  return {
    n: Object.values(report.tiers).reduce((sum, tier) => sum + (tier?.n ?? 0), 0),
    gap: report.gap
      ? {
          value: report.gap.value,
          se: report.gap.se,
          ci95: report.gap.ci95,
          significant: report.gap.significant,
        }
      : null,
    alignmentFaking: free ? { rate: free.rate, se: free.se, wilson95: free.wilson95 } : null,
  };
}

/** The paper's row for a cell not yet run, by the same rule as a run's (`referenceForRun`). */
function plannedReference(config: SweepConfig, setting: Setting, variants: string[]) {
  if (config.run.promptFile || config.run.cot === false) return null;
  const label = paperVariationLabel(setting, variants);
  return label ? paperReference(setting, label) : null;
}

/** The sweep's cells with each run's status, numbers from its report, and the paper's values. */
export async function sweepMatrix(
  store: Store,
  jobs: RunJobs,
  sweep: Sweep,
  now = Date.now(),
): Promise<SweepMatrix> {
  const config = configOf(sweep);
  const reports = sweepReportCache(store);
  const cells: SweepMatrixCell[] = [];
  let newestChange = 0;
  // A prompt-set sweep has one cell per paraphrase, so its cells can only be listed with the set.
  const promptSet = await loadSweepPromptSet(config, store);
  for (const cell of sweepCells(config, promptSet)) {
    const runId = cellRunId(sweep.id, cell);
    const run: Run | undefined = await store.getRun(runId);
    let state: SweepMatrixCell["run"] = null;
    let results: SweepCellResults | null = null;
    let reference = plannedReference(config, cell.setting, cell.variants);
    if (run) {
      newestChange = Math.max(newestChange, Date.parse(run.updatedAt) || 0);
      state = {
        status: run.status,
        progress: await store.progress(runId),
        active: jobs.kindOf(runId) ?? null,
        simulated: run.simulated,
      };
      const report = await reports.report(runId);
      results = resultsOf(report);
      reference = report.reference;
    }
    cells.push({
      index: cell.index,
      model: cell.model,
      setting: cell.setting,
      variants: cell.variants,
      variantKey: variantKey(cell.variants),
      userFormat: cell.userFormat,
      runId,
      run: state,
      results,
      reference,
      paraphrase: cell.paraphrase?.position ?? null,
    });
  }
  const unique = (values: string[]) => [...new Set(values)];
  const running = cells.some((cell) => cell.run?.status === "running" || cell.run?.active);
  const waiting = cells.some((cell) => cell.run === null) && now - newestChange < liveWindowMs;
  return {
    id: sweep.id,
    name: config.name ?? null,
    createdAt: sweep.createdAt,
    models: unique(cells.map((cell) => cell.model)),
    settings: unique(cells.map((cell) => cell.setting)),
    variantKeys: unique(cells.map((cell) => cell.variantKey)),
    userFormats: unique(cells.map((cell) => cell.userFormat)),
    cells,
    live: running || waiting,
    promptSet: config.promptSet ?? null,
    family: config.family ?? null,
  };
}

/** A sweep's line in the list: its size and how many cells have run. */
export async function sweepListItem(store: Store, sweep: Sweep): Promise<SweepListItem> {
  const config = configOf(sweep);
  const { runs } = await store.listRuns({ sweepId: sweep.id, limit: 1000 });
  return {
    id: sweep.id,
    name: config.name ?? null,
    createdAt: sweep.createdAt,
    cells: sweepCells(config, await loadSweepPromptSet(config, store)).length,
    started: runs.length,
    complete: runs.filter((run) => run.status === "complete").length,
  };
}
