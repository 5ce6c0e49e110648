import type { Run, RunResults } from "@aflab/core";
import { InputError } from "@aflab/core";
import type { ListRunsOptions, Store } from "@aflab/store";
import { z } from "zod";
import type { RunResultsCache } from "./run-results.js";

/** The runs list's sort keys: stored columns, and the numbers of each run's report. */
export const runSortSchema = z.enum(["created", "run", "model", "status", "n", "gap", "af", "cost"], {
  error: "expected created, run, model, status, n, gap, af or cost",
});
export type RunSort = z.infer<typeof runSortSchema>;

/** Most runs one sorted listing reads: beyond it a filter must narrow the list first. */
export const maxSortedRuns = 20_000;
const pageSize = 1000;

type SortValue = string | number | null;

const resultKeys = new Set<RunSort>(["n", "gap", "af", "cost"]);

function sortValue(sort: RunSort, run: Run, results: RunResults | undefined): SortValue {
  switch (sort) {
    case "created":
      return run.createdAt;
    case "run":
      return (run.config.label || run.id).toLowerCase();
    case "model":
      return run.config.model;
    case "status":
      return run.status;
    case "n":
      return results?.n ?? null;
    case "gap":
      return results?.gap?.value ?? null;
    case "af":
      return results?.alignmentFaking?.rate ?? null;
    case "cost":
      return results?.costUsd ?? null;
  }
}

/**
 * One page of every run matching `filters`, ordered by `sort` across all of them (not within a page).
 * Unknown values (a run without a gap, an unpriced model) sort last in either direction; ties keep the
 * store's order, newest first.
 * @throws InputError when more than `maxSortedRuns` runs match
 */
export async function sortedRunPage(
  store: Store,
  results: RunResultsCache,
  filters: Omit<ListRunsOptions, "limit" | "offset">,
  sort: RunSort,
  order: "asc" | "desc",
  limit: number,
  offset: number,
): Promise<{ runs: Run[]; total: number }> {
  const all: Run[] = [];
  for (;;) {
    const page = await store.listRuns({ ...filters, limit: pageSize, offset: all.length });
    if (page.total > maxSortedRuns) {
      throw new InputError(
        `sort: ordering reads every matching run and ${page.total} match (at most ${maxSortedRuns}); narrow the list with a filter or search first`,
        { field: "sort" },
      );
    }
    all.push(...page.runs);
    if (page.runs.length < pageSize || all.length >= page.total) break;
  }
  const withResults = resultKeys.has(sort);
  const keyed: { run: Run; position: number; value: SortValue }[] = [];
  for (const [position, run] of all.entries()) {
    keyed.push({
      run,
      position,
      value: sortValue(sort, run, withResults ? await results.results(run.id) : undefined),
    });
  }
  const direction = order === "asc" ? 1 : -1;
  keyed.sort((a, b) => {
    if (a.value === null || b.value === null) {
      if (a.value === b.value) return a.position - b.position;
      return a.value === null ? 1 : -1;
    }
    const compared = a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    return compared === 0 ? a.position - b.position : compared * direction;
  });
  return { runs: keyed.slice(offset, offset + limit).map((entry) => entry.run), total: all.length };
}
