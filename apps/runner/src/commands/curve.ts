import type { ProbeCurve } from "@aflab/core";
import { probeCurve } from "@aflab/engine";
import type { Command } from "commander";
import { percent, table } from "../format.js";
import { openExistingStore, requireFormat } from "./report.js";

function points(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : (value * 100).toFixed(1);
}

function interval(range: readonly [number, number] | null | undefined): string {
  return range ? `[${points(range[0])}, ${points(range[1])}]` : "—";
}

/** The curve as text: one table per series, one row per step of the probe. */
export function formatProbeCurve(curve: ProbeCurve): string {
  const blocks = [`probe family ${curve.family} (sweep ${curve.sweepId}); x: ${curve.axis}`];
  for (const series of curve.series) {
    const title = `${series.model} · ${series.setting} · ${series.variants.join(",") || "no other variant"} · ${series.userFormat}${series.simulated ? " · SIMULATED" : ""}`;
    const rows = series.points.map((point) => [
      point.label,
      point.runId,
      point.status,
      percent(point.free?.complianceRate),
      percent(point.unmonitored?.complianceRate),
      points(point.gap?.value),
      interval(point.gap?.ci95),
      point.gap ? (point.gap.significant ? "yes" : "no") : "—",
      percent(point.alignmentFaking?.rate),
      interval(point.alignmentFaking?.wilson95),
    ]);
    blocks.push(
      `${title}\n${table(
        [
          "step",
          "run",
          "status",
          "free",
          "unmonitored",
          "gap pp",
          "gap 95% CI",
          "excl. 0",
          "AF free",
          "AF 95% CI",
        ],
        rows,
        ["left", "left", "left", "right", "right", "right", "right", "left", "right", "right"],
      )}`,
    );
  }
  return blocks.join("\n\n");
}

export function registerCurveCommand(program: Command): void {
  program
    .command("curve")
    .description("the compliance gap (95% CI) and AF rate along a probe family's steps, from a stored sweep")
    .argument("<sweepId>", "a sweep run with --family")
    .option("--db <path>", "SQLite store (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--format <format>", "table or json", "table")
    .action(async (sweepId: string, flags: { db?: string; format?: string }) => {
      const format = requireFormat(flags.format);
      const store = openExistingStore(flags.db);
      try {
        const curve = await probeCurve(store, sweepId);
        process.stdout.write(
          format === "json" ? `${JSON.stringify(curve, null, 2)}\n` : `${formatProbeCurve(curve)}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
