import type { Command } from "commander";
import { displayDb, numberFlag, resolveDbPath } from "../context.js";
import { runCommand } from "./run.js";

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("an offline run on the simulated model organism, then its report and how to look at it")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--epochs <n>", "repetitions of the built-in queries", "5")
    .option("--seed <n>", "seed of the simulated organism", "0")
    .option("--quiet", "no progress display")
    .action(async (flags: { db?: string; epochs?: string; seed?: string; quiet?: boolean }) => {
      process.stderr.write(
        "aflab demo: the helpful-only setting on the SIMULATED model organism (sim/opus-like), judged by the simulated\n" +
          "judge (sim/judge). No API key, no network: the numbers test the pipeline, they say nothing about real models.\n\n",
      );
      numberFlag(flags.epochs, "--epochs");
      const { code, runId } = await runCommand({
        db: flags.db,
        model: "sim/opus-like",
        setting: "helpful-only",
        userFormat: "minimal",
        dataset: "builtin:harmful",
        epochs: flags.epochs,
        seed: flags.seed,
        concurrency: "16",
        judge: "sim/judge",
        classifiers: "tag-compliance,af-reasoning,partial-compliance",
        label: "demo",
        quiet: flags.quiet,
      });
      const dbFlag = flags.db ? ` --db ${displayDb(flags.db)}` : "";
      // Inside the workspace the CLI is reached through its root script `pnpm aflab`; installed (and under
      // npx, which sets the variable to "npx"), it is `aflab`.
      const aflab = process.env.npm_lifecycle_event === "aflab" ? "pnpm aflab" : "aflab";
      process.stdout.write(
        [
          "",
          "What next:",
          `  ${aflab} serve${dbFlag}`,
          `      read this run in the browser: http://127.0.0.1:8787/runs/${runId}`,
          `  ${aflab} report ${runId} --format json${dbFlag}`,
          `  ${aflab} runs${dbFlag}`,
          `  ${aflab} run --model anthropic/claude-opus-4-6 --judge anthropic/claude-sonnet-4-6 --dataset advbench --limit 100`,
          "      the same experiment on a real model (needs ANTHROPIC_API_KEY)",
          `store: ${displayDb(resolveDbPath(flags))}`,
          "",
        ].join("\n"),
      );
      process.exitCode = code;
    });
}
