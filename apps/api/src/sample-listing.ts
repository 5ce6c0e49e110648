import type { SampleNeighbours, SampleSummary, Store } from "@aflab/store";
import type { SampleFilters } from "./sample-params.js";

/** Longest query, output, scratchpad or reasoning text a list row carries; the transcript route has the full text. */
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
    reasoning: preview(summary.reasoning),
  };
}

/** A page of samples under the filters, with the total that match. */
export async function listSampleRows(
  store: Store,
  runId: string,
  filters: SampleFilters,
): Promise<{ samples: SampleRow[]; total: number }> {
  const page = await store.listSamples(runId, filters.query);
  return { samples: page.samples.map(toRow), total: page.total };
}

/** The samples before and after `key` under the same filters and order as the table. */
export async function sampleNeighbours(
  store: Store,
  runId: string,
  key: string,
  filters: SampleFilters,
): Promise<SampleNeighbours> {
  const { limit: _limit, offset: _offset, ...base } = filters.query;
  return await store.neighbours(runId, key, base);
}
