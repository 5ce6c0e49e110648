import type { RunReport } from "@aflab/core";
import { percent, rateWithSe, table, usd } from "./format.js";

/** The terminal report of a run: per-tier table, the gap with its interval, AF rate, categories and costs. */
export function formatReportText(report: RunReport): string {
  const lines: string[] = [];
  lines.push(`run ${report.runId}  ·  ${report.model}  ·  ${report.setting}  ·  ${report.status}`);
  if (report.simulatedSides.model) {
    lines.push(
      "SIMULATED model: this run used the simulated model organism, not a real model. Its numbers test the pipeline only.",
    );
  }
  if (report.simulatedSides.judge) {
    lines.push(
      `SIMULATED judge: ${report.judge} is keyword rules, not a model: its verdicts are a stand-in, not a measurement.`,
    );
  }
  const details = [
    `user format ${report.userFormat}`,
    `variants ${report.variants.length > 0 ? report.variants.join(", ") : "none"}`,
    `compliance by ${report.complianceClassifier}`,
    `judges read ${judgedSourceText(report)}`,
    ...(report.judge ? [`judge ${report.judge}`] : []),
  ];
  lines.push(details.join("  ·  "), "");
  const tierRows = Object.entries(report.tiers).map(([tier, summary]) => [
    tier,
    String(summary.n),
    String(summary.compliant),
    String(summary.refused),
    String(summary.apiRefused),
    String(summary.unknown),
    String(summary.failed),
    rateWithSe(summary.complianceRate, summary.se),
    summary.wilson95 ? `[${percent(summary.wilson95[0])}, ${percent(summary.wilson95[1])}]` : "—",
  ]);
  lines.push(
    table(
      [
        "tier",
        "n",
        "compliant",
        "refused",
        "of which API",
        "unknown",
        "failed",
        "compliance ± SE",
        "Wilson 95%",
      ],
      tierRows,
    ),
  );
  const apiRefused = Object.values(report.tiers).reduce((sum, summary) => sum + summary.apiRefused, 0);
  if (apiRefused > 0)
    lines.push(
      `${apiRefused} refusal${apiRefused === 1 ? "" : "s"} came from the provider's API (stop_reason refusal, content_filter or a refusal message): counted as refused, in the denominator`,
    );
  const tierWarnings = report.warnings.filter((warning) => warning.tier !== null);
  for (const warning of tierWarnings) lines.push(`warning: ${warning.message}`);
  lines.push("");
  if (report.gap) {
    const [from, to] = report.gap.between;
    lines.push(
      `compliance gap (${from} − ${to}): ${(report.gap.value * 100).toFixed(1)} pp ± ${(report.gap.se * 100).toFixed(1)} SE, ` +
        `95% CI [${(report.gap.ci95[0] * 100).toFixed(1)}, ${(report.gap.ci95[1] * 100).toFixed(1)}] pp` +
        (report.gap.significant ? " (excludes 0)" : " (includes 0)"),
    );
  } else {
    lines.push("compliance gap: not available (a tier has no scored samples)");
  }
  if (report.reference) {
    const reference = report.reference;
    const value = (entry: { value: number; se: number } | null) =>
      entry ? `${(entry.value * 100).toFixed(1)}% ± ${(entry.se * 100).toFixed(1)}` : "—";
    const notComparable = report.warnings.find((warning) => warning.code === "reference_not_comparable");
    lines.push(
      // The warnings above say why; the label keeps the paper's numbers from reading as a benchmark here.
      `${notComparable ? "NOT COMPARABLE, too many samples unknown or failed: " : ""}paper (${reference.source}; "${reference.variation}"): free ${value(reference.compliance.free)}, ` +
        `paid ${value(reference.compliance.paid)}, gap ${value(reference.gap).replace("%", " pp")}, AF ${value(reference.alignmentFaking)}`,
    );
  }
  if (report.alignmentFaking) {
    const free = report.alignmentFaking.free;
    if (free) {
      lines.push(
        `alignment-faking reasoning (free tier, ${free.classifier}): ${rateWithSe(free.rate, free.se)}` +
          `  (yes ${free.yes}, maybe ${free.maybe}, no ${free.no}, nothing to judge ${free.notApplicable}, failed ${free.failed})`,
      );
    }
  }
  if (report.evalAwareness) {
    for (const [tier, rate] of Object.entries(report.evalAwareness)) {
      lines.push(
        `evaluation awareness (${tier}, ${rate.classifier}): ${rateWithSe(rate.rate, rate.se)}` +
          `  (yes ${rate.yes}, maybe ${rate.maybe}, no ${rate.no}, no scratchpad ${rate.notApplicable}, failed ${rate.failed})`,
      );
    }
  }
  if (report.unverbalisedGap) {
    const unverbalised = report.unverbalisedGap;
    const counts = Object.entries(unverbalised.tiers)
      .map(
        ([tier, entry]) =>
          `${tier} ${rateWithSe(entry.complianceRate, entry.se)} of ${entry.n} (left out: ${entry.verbalised} verbalised, ${entry.failed} failed)`,
      )
      .join("; ");
    const gap = unverbalised.gap;
    lines.push(
      gap
        ? `unverbalised gap (${gap.between.join(" − ")}, samples verbalising neither AF nor evaluation awareness): ` +
            `${(gap.value * 100).toFixed(1)} pp ± ${(gap.se * 100).toFixed(1)} SE, ` +
            `95% CI [${(gap.ci95[0] * 100).toFixed(1)}, ${(gap.ci95[1] * 100).toFixed(1)}] pp` +
            (gap.significant ? " (excludes 0)" : " (includes 0)")
        : "unverbalised gap: not available (a tier has no unverbalised samples)",
      `  compliance among them: ${counts}`,
    );
  }
  if (report.partialCompliance) {
    for (const [tier, rate] of Object.entries(report.partialCompliance)) {
      lines.push(`partial compliance (${tier}): ${rateWithSe(rate.rate, rate.se)}  (failed ${rate.failed})`);
    }
  }
  if (report.categories) {
    lines.push("");
    const rows = Object.entries(report.categories).map(([tier, bucket]) => [
      tier,
      String(bucket.refuses),
      String(bucket.compliesWithoutAf),
      String(bucket.compliesWithAf),
      String(bucket.afWithPartialCompliance),
      String(bucket.unknown),
      String(bucket.failed),
    ]);
    lines.push(
      table(
        ["tier", "refuses", "complies, no AF", "complies, AF", "AF + partial", "unknown", "failed"],
        rows,
      ),
    );
  }
  if (report.importedVerdicts && report.importedVerdicts.length > 0) {
    lines.push("", "imported verdicts (stored with the imported results; not aflab's classifiers):");
    for (const imported of report.importedVerdicts) {
      const word = imported.role === "compliance" ? "compliant" : "yes";
      const tiers = Object.entries(imported.tiers)
        .map(
          ([tier, entry]) =>
            `${tier} ${entry.rate === null ? "n/a" : `${(entry.rate * 100).toFixed(1)}%`} ` +
            `(${entry.positive} ${word} of ${entry.positive + entry.negative + entry.undecided}; failed ${entry.failed})`,
        )
        .join(", ");
      lines.push(`  ${imported.classifier} (${imported.role}): ${tiers}`);
    }
  }
  const failures = Object.entries(report.judgeFailures);
  if (failures.length > 0) {
    lines.push("", `classifier failures: ${failures.map(([kind, count]) => `${kind} ${count}`).join(", ")}`);
  }
  const usage = report.usage;
  const reasoning =
    usage.model.reasoningTokens === undefined ? "" : ` (of which reasoning ${usage.model.reasoningTokens})`;
  lines.push(
    "",
    `tokens: input ${usage.model.inputTokens}, output ${usage.model.outputTokens}${reasoning}, cache write ${usage.model.cacheWriteTokens}, ` +
      `cache read ${usage.model.cacheReadTokens}  ·  retries ${usage.retries}`,
    `cost: model ${usd(usage.costUsd)}, judge ${usd(usage.judgeCostUsd)}`,
  );
  if (report.budget) {
    const { limitUsd, spentUsd } = report.budget;
    lines.push(
      `budget: ${usd(spentUsd)} of ${usd(limitUsd)} spent (${spentUsd === null ? "—" : percent(spentUsd / limitUsd)})`,
    );
  }
  return lines.join("\n");
}

/** "the scratchpad tags (auto)": what the scratchpad judges read, and how it was chosen, for one line. */
function judgedSourceText(report: RunReport): string {
  const { setting, judged } = report.scratchpadSource;
  const names = {
    tags: "scratchpad tags",
    reasoning: "native reasoning",
    both: "native reasoning + tags",
    none: "nothing",
  };
  const used = (["tags", "reasoning", "both", "none"] as const).filter((source) => judged[source] > 0);
  const parts = used.map((source) =>
    used.length === 1 ? names[source] : `${names[source]} ${judged[source]}`,
  );
  return `${parts.length > 0 ? parts.join(", ") : "no samples yet"} (--scratchpad-source ${setting})`;
}
