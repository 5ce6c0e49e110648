import type { SampleNeighbours, SampleSummary, Store } from "@aflab/store";
import type { SampleFilters } from "./sample-params.js";

/** Longest query, output or scratchpad text a list row carries; the transcript route has the full text. */
export const previewLength = 400;

/** One row of the sample table: a summary whose long texts are cut to a preview. */
export type SampleRow = SampleSummary;

function preview(text: string | null): string | null {
  if (text === null || text.length <= previewLength) return text;
  return `${text.slice(0, previewLength)}…`;
}

function toRow(summary: SampleSummary): SampleRow {
  return {
    ...summary,
    query: preview(summary.query) ?? "",
    output: preview(summary.output),
    scratchpad: preview(summary.scratchpad),
  };
}

function matchesExtra(summary: SampleSummary, filters: SampleFilters): boolean {
  return filters.extraVerdicts.every(({ classifier, decision }) => {
    const verdict = summary.verdicts[classifier];
    return verdict?.status === "ok" && verdict.decision === decision;
  });
}

const scanPage = 1000;

/** Every summary matching the filters, in order. Used only when more than one verdict filter is given. */
function scanMatching(store: Store, runId: string, filters: SampleFilters): SampleSummary[] {
  const { limit: _limit, offset: _offset, ...base } = filters.query;
  const matching: SampleSummary[] = [];
  for (let offset = 0; ; offset += scanPage) {
    const page = store.listSamples(runId, { ...base, limit: scanPage, offset });
    for (const summary of page.samples) if (matchesExtra(summary, filters)) matching.push(summary);
    if (page.samples.length < scanPage || offset + scanPage >= page.total) break;
  }
  return matching;
}

/**
 * A page of samples under the filters, with the total that match. The store applies every filter it
 * knows; a second or third verdict filter (e.g. compliance and alignment faking together) is applied here
 * over the store's pages, since the store filters on one verdict at a time.
 */
export function listSampleRows(
  store: Store,
  runId: string,
  filters: SampleFilters,
): { samples: SampleRow[]; total: number } {
  if (filters.extraVerdicts.length === 0) {
    const page = store.listSamples(runId, filters.query);
    return { samples: page.samples.map(toRow), total: page.total };
  }
  const matching = scanMatching(store, runId, filters);
  const offset = filters.query.offset ?? 0;
  const limit = filters.query.limit ?? 50;
  return { samples: matching.slice(offset, offset + limit).map(toRow), total: matching.length };
}

/** The samples before and after `key` under the same filters and order as the table. */
export function sampleNeighbours(
  store: Store,
  runId: string,
  key: string,
  filters: SampleFilters,
): SampleNeighbours {
  const { limit: _limit, offset: _offset, ...base } = filters.query;
  if (filters.extraVerdicts.length === 0) return store.neighbours(runId, key, base);
  const keys = scanMatching(store, runId, filters).map((summary) => summary.key);
  const index = keys.indexOf(key);
  if (index < 0) return { previous: null, next: null, position: null, total: keys.length };
  return {
    previous: keys[index - 1] ?? null,
    next: keys[index + 1] ?? null,
    position: index + 1,
    total: keys.length,
  };
}
