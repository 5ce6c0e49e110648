import type { RunReport, RunResults } from "@aflab/core";
import { summarizeRun } from "@aflab/engine";
import type { Store } from "@aflab/store";

/** How long a cached report may be trusted with an unchanged stamp (counts can stay equal across an edit). */
export const resultsMaxAgeMs = 60_000;
/** Runs whose results one store keeps; the oldest entry goes first beyond this. */
const maxEntries = 5_000;

/** The runs list's numbers from a run's report. */
export function resultsOf(report: RunReport): RunResults {
  const n = Object.values(report.tiers).reduce((sum, tier) => sum + (tier?.n ?? 0), 0);
  const free = report.alignmentFaking?.free;
  const usage = report.usage;
  return {
    n,
    gap: report.gap
      ? {
          value: report.gap.value,
          se: report.gap.se,
          ci95: report.gap.ci95,
          significant: report.gap.significant,
        }
      : null,
    alignmentFaking: free ? { rate: free.rate, se: free.se } : null,
    costUsd:
      usage.costUsd === null || usage.judgeCostUsd === null ? null : usage.costUsd + usage.judgeCostUsd,
  };
}

interface Entry {
  stamp: string;
  at: number;
  results: RunResults;
}

/**
 * Each run's list numbers, kept until the run's change stamp moves or the entry ages out, so listing runs
 * costs a few index counts per row instead of a full report per row.
 */
export class RunResultsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly store: Store;
  private readonly now: () => number;

  constructor(store: Store, now: () => number = Date.now) {
    this.store = store;
    this.now = now;
  }

  async results(runId: string): Promise<RunResults> {
    const stamp = await this.store.runChangeStamp(runId);
    const cached = this.entries.get(runId);
    if (cached && cached.stamp === stamp && this.now() - cached.at < resultsMaxAgeMs) return cached.results;
    const results = resultsOf(await summarizeRun(this.store, runId));
    this.entries.delete(runId);
    this.entries.set(runId, { stamp, at: this.now(), results });
    if (this.entries.size > maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return results;
  }
}

const caches = new WeakMap<Store, RunResultsCache>();

/** The one cache of a store, shared by every app over it. */
export function runResultsCache(store: Store): RunResultsCache {
  let cache = caches.get(store);
  if (!cache) {
    cache = new RunResultsCache(store);
    caches.set(store, cache);
  }
  return cache;
}
