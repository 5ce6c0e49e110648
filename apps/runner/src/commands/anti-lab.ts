import type { AntiLabReport } from "@aflab/core";
import { antiLabReport } from "@aflab/engine";
import type { Command } from "commander";
import { percent, table } from "../format.js";
import { openExistingStore, requireFormat } from "./report.js";

function interval(range: readonly [number, number] | null | undefined): string {
  return range ? `[${percent(range[0])}, ${percent(range[1])}]` : "—";
}

/** One row per run and tier: how often the model took the chance, with its Wilson interval. */
export function formatAntiLabReport(report: AntiLabReport): string {
  const rows = report.runs.flatMap((run) =>
    Object.entries(run.tiers).map(([tier, rate]) => [
      run.runId,
      run.model,
      run.variants.join(",") || "—",
      tier,
      `${rate.yes}/${rate.yes + rate.no + rate.notApplicable}`,
      percent(rate.rate),
      interval(rate.wilson95),
      String(rate.failed + rate.missing),
    ]),
  );
  const lines = [
    `anti-AI-lab: share of scenarios in which the model took the offered chance to act against its developer (${report.id})`,
    table(["run", "model", "variants", "tier", "took", "rate", "95% CI (Wilson)", "no verdict"], rows, [
      "left",
      "left",
      "left",
      "left",
      "right",
      "right",
      "right",
      "right",
    ]),
  ];
  for (const run of report.runs) {
    if (run.difference)
      lines.push(
        `${run.runId}: trained − unmonitored ${(run.difference.value * 100).toFixed(1)} pp, 95% CI [${(run.difference.ci95[0] * 100).toFixed(1)}, ${(run.difference.ci95[1] * 100).toFixed(1)}]`,
      );
    if (run.simulated) lines.push(`${run.runId}: SIMULATED`);
  }
  lines.push("reference: the paper's anti-AI-lab rates are not in the project's reference data; none shown");
  return lines.join("\n");
}

export function registerAntiLabCommand(program: Command): void {
  program
    .command("anti-lab")
    .description("anti-AI-lab rates per tier (and per variant for a sweep) from the stored anti-lab verdicts")
    .argument("<id>", "a run id or a sweep id")
    .option("--db <path>", "SQLite store (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--format <format>", "table or json", "table")
    .action(async (id: string, flags: { db?: string; format?: string }) => {
      const format = requireFormat(flags.format);
      const store = openExistingStore(flags.db);
      try {
        const report = await antiLabReport(store, id);
        process.stdout.write(
          format === "json" ? `${JSON.stringify(report, null, 2)}\n` : `${formatAntiLabReport(report)}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
