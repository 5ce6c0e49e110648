import {
  InputError,
  type ProbeCurve,
  type ProbeCurvePoint,
  type ProbeCurveSeries,
  parseOrThrow,
} from "@aflab/core";
import { getProbeFamily } from "@aflab/prompts";
import type { Store } from "@aflab/store";
import { summarizeRun } from "./summarize.js";
import { cellRunId, sweepCells, sweepConfigSchema } from "./sweep.js";

/**
 * The curve of a probe-family sweep: for every series (model × setting × other variants × user format)
 * one point per step of the family, each the stored run's gap with its 95% interval and its free-tier AF
 * rate. Computed from the store (the run reports), so it can be drawn again at any time.
 *
 * @example
 * const curve = await probeCurve(store, "sweep-abc");
 * curve.series[0]?.points.map((point) => [point.value, point.gap?.ci95]);
 */
export async function probeCurve(store: Store, sweepId: string): Promise<ProbeCurve> {
  const sweep = await store.getSweep(sweepId);
  if (!sweep) throw new InputError(`sweep ${sweepId} not found`, { field: "sweepId" });
  const config = parseOrThrow(sweepConfigSchema, sweep.config, "stored sweep config");
  if (config.family === undefined) {
    throw new InputError(`sweep ${sweepId} runs no probe family; its curve is undefined (see aflab report)`, {
      field: "sweepId",
    });
  }
  const family = getProbeFamily(config.family);
  const series = new Map<string, ProbeCurveSeries>();
  for (const cell of sweepCells(config)) {
    if (!cell.probe) continue;
    const shared = cell.variants.filter((variant) => variant !== cell.probe?.variant);
    const key = JSON.stringify([cell.model, cell.setting, shared, cell.userFormat]);
    let line = series.get(key);
    if (!line) {
      line = {
        model: cell.model,
        setting: cell.setting,
        variants: shared,
        userFormat: cell.userFormat,
        simulated: false,
        points: [],
      };
      series.set(key, line);
    }
    const runId = cellRunId(sweepId, cell);
    const point: ProbeCurvePoint = {
      value: cell.probe.value,
      label: cell.probe.label,
      variant: cell.probe.variant,
      runId,
      status: "missing",
      free: null,
      unmonitored: null,
      gap: null,
      alignmentFaking: null,
    };
    if (await store.getRun(runId)) {
      const report = await summarizeRun(store, runId);
      const unmonitored = report.gap?.between[1] ?? (report.tiers.enterprise ? "enterprise" : "paid");
      point.status = report.status;
      point.free = report.tiers.free ?? null;
      point.unmonitored = report.tiers[unmonitored] ?? null;
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
    line.points.push(point);
  }
  for (const line of series.values()) line.points.sort((left, right) => left.value - right.value);
  return {
    sweepId,
    family: family.name,
    axis: family.axis,
    categorical: family.categorical,
    series: [...series.values()],
  };
}
