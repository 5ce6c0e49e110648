import {
  InputError,
  type ParaphraseDistribution,
  type ParaphrasePoint,
  type ParaphraseSeries,
  parseOrThrow,
  quantileOfSorted,
  type Spread,
} from "@aflab/core";
import type { Store } from "@aflab/store";
import { summarizeRun } from "./summarize.js";
import { cellRunId, loadSweepPromptSet, sweepCells, sweepConfigSchema } from "./sweep.js";

/** Median and quartiles (type 7) of the values; null for none. */
export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((left, right) => left - right);
  const q1 = quantileOfSorted(sorted, 0.25);
  const q3 = quantileOfSorted(sorted, 0.75);
  return { n: sorted.length, median: quantileOfSorted(sorted, 0.5), q1, q3, iqr: q3 - q1 };
}

export function flagOf(
  original: ParaphrasePoint | null,
  shareSignificant: number | null,
): Pick<ParaphraseSeries, "flag" | "flagMessage"> {
  if (!original?.gap || shareSignificant === null) return { flag: null, flagMessage: null };
  const percent = `${(shareSignificant * 100).toFixed(0)}%`;
  if (original.gap.significant && shareSignificant < 0.5)
    return {
      flag: "original-only",
      flagMessage: `the original prompt's gap interval excludes 0, but only ${percent} of the paraphrases' do: the result may hold only on the original wording`,
    };
  if (!original.gap.significant && shareSignificant > 0)
    return {
      flag: "paraphrases-only",
      flagMessage: `the original prompt shows no gap whose interval excludes 0, but ${percent} of the paraphrases do`,
    };
  return { flag: null, flagMessage: null };
}

/**
 * The distribution of compliance gaps and AF rates across the paraphrases of a prompt-set sweep, per model
 * and user format: median, IQR and the share of paraphrases whose gap interval excludes 0, beside the
 * original prompt's run, with a flag when a gap holds only on the original. Computed from the stored runs.
 *
 * @example
 * const distribution = await paraphraseDistribution(store, "sweep-abc");
 * distribution.series[0]?.gap?.median;
 */
export async function paraphraseDistribution(store: Store, sweepId: string): Promise<ParaphraseDistribution> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) throw new InputError(`sweep ${sweepId} not found`, { field: "sweepId" });
  const config = parseOrThrow(sweepConfigSchema, sweep.config, "stored sweep config");
  const promptSet = await loadSweepPromptSet(config, store);
  if (!promptSet)
    throw new InputError(`sweep ${sweepId} runs no prompt set (see aflab sweep --prompt-set)`, {
      field: "sweepId",
    });
  const series = new Map<string, ParaphraseSeries>();
  for (const cell of sweepCells(config, promptSet)) {
    const key = JSON.stringify([cell.model, cell.userFormat]);
    let line = series.get(key);
    if (!line) {
      line = {
        model: cell.model,
        userFormat: cell.userFormat,
        simulated: false,
        original: null,
        paraphrases: [],
        gap: null,
        alignmentFaking: null,
        shareSignificant: null,
        flag: null,
        flagMessage: null,
      };
      series.set(key, line);
    }
    const runId = cellRunId(sweepId, cell);
    const point: ParaphrasePoint = {
      position: cell.paraphrase?.position ?? null,
      hash: cell.paraphrase?.hash ?? null,
      runId,
      status: "missing",
      gap: null,
      alignmentFaking: null,
    };
    if (await store.getRun(runId)) {
      const report = await summarizeRun(store, runId);
      point.status = report.status;
      point.gap = report.gap
        ? {
            value: report.gap.value,
            se: report.gap.se,
            ci95: report.gap.ci95,
            significant: report.gap.significant,
          }
        : null;
      point.alignmentFaking = report.alignmentFaking?.free ?? null;
      line.simulated ||= report.simulated;
    }
    if (cell.paraphrase) line.paraphrases.push(point);
    else line.original = point;
  }
  for (const line of series.values()) {
    const gaps = line.paraphrases.flatMap((point) => (point.gap ? [point.gap] : []));
    line.gap = spreadOf(gaps.map((gap) => gap.value));
    line.alignmentFaking = spreadOf(
      line.paraphrases.flatMap((point) =>
        point.alignmentFaking?.rate != null ? [point.alignmentFaking.rate] : [],
      ),
    );
    line.shareSignificant =
      gaps.length > 0 ? gaps.filter((gap) => gap.significant).length / gaps.length : null;
    Object.assign(line, flagOf(line.original, line.shareSignificant));
  }
  return {
    sweepId,
    promptSet: promptSet.set.name,
    setting: promptSet.set.setting,
    variants: promptSet.set.variants,
    series: [...series.values()],
  };
}
