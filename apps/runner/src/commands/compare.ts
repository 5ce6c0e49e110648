import { compareRuns } from "@aflab/engine";
import type { Command } from "commander";
import { numberFlag } from "../context.js";
import { percent, table } from "../format.js";
import { openExistingStore, requireFormat } from "./report.js";

export function registerCompareCommand(program: Command): void {
  program
    .command("compare")
    .description(
      "paired comparison of two runs over the same queries (B − A): per-tier difference, McNemar, flips",
    )
    .argument("<runA>", "baseline run")
    .argument("<runB>", "run compared with it")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--max-flipped <n>", "flipped queries to list", "20")
    .option("--format <format>", "table or json", "table")
    .action(
      async (runA: string, runB: string, flags: { db?: string; maxFlipped?: string; format?: string }) => {
        const format = requireFormat(flags.format);
        const maxFlipped = numberFlag(flags.maxFlipped, "--max-flipped") ?? 20;
        const store = openExistingStore(flags.db);
        try {
          const comparison = await compareRuns(store, runA, runB, {
            maxFlipped: format === "json" ? 10_000 : maxFlipped,
          });
          if (format === "json") {
            process.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
            return;
          }
          const pp = (value: number) => `${(value * 100).toFixed(1)}`;
          const rows = comparison.tiers.map((tier) => [
            tier.tier,
            String(tier.pairs),
            percent(tier.complianceA),
            percent(tier.complianceB),
            tier.paired ? `${pp(tier.paired.value)} ± ${pp(tier.paired.se)}` : "—",
            tier.paired ? `[${pp(tier.paired.ci95[0])}, ${pp(tier.paired.ci95[1])}]` : "—",
            tier.paired ? `${tier.paired.onlySecond}/${tier.paired.onlyFirst}` : "—",
            tier.paired ? tier.paired.mcnemar.pValue.toPrecision(3) : "—",
          ]);
          const lines = [
            `compare ${runA} (A) → ${runB} (B), compliance by ${comparison.complianceClassifier}`,
            table(
              ["tier", "pairs", "A", "B", "B − A pp ± SE", "95% CI (pp)", "lost/gained", "McNemar p"],
              rows,
            ),
          ];
          if (comparison.gapDifference) {
            const gap = comparison.gapDifference;
            lines.push(
              `gap difference (B − A): ${pp(gap.value)} pp ± ${pp(gap.se)}, 95% CI [${pp(gap.ci95[0])}, ${pp(gap.ci95[1])}]`,
            );
          }
          if (comparison.alignmentFakingDifference) {
            const af = comparison.alignmentFakingDifference;
            lines.push(`AF rate difference (free, B − A): ${pp(af.value)} pp ± ${pp(af.se)}`);
          }
          const flips = comparison.flipped.length + comparison.flippedNotListed;
          lines.push("", `flipped queries: ${flips}`);
          for (const flip of comparison.flipped) {
            lines.push(`  [${flip.tier}] ${flip.before} → ${flip.after}: ${flip.query.slice(0, 90)}`);
          }
          if (comparison.flippedNotListed > 0)
            lines.push(`  … ${comparison.flippedNotListed} more (--max-flipped)`);
          process.stdout.write(`${lines.join("\n")}\n`);
        } finally {
          await store.close();
        }
      },
    );
}
