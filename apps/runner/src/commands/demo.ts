import type { Command } from "commander";
import { numberFlag, resolveDbPath } from "../context.js";
import { runCommand } from "./run.js";

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("an offline run on the simulated model organism, then its report and how to look at it")
    .option("--db <path>", "SQLite store (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--epochs <n>", "repetitions of the built-in queries", "5")
    .option("--seed <n>", "seed of the simulated organism", "0")
    .option("--quiet", "no progress display")
    .action(async (flags: { db?: string; epochs?: string; seed?: string; quiet?: boolean }) => {
      process.stderr.write(
        "aflab demo: the helpful-only setting on the SIMULATED model organism (sim/opus-like), judged by the simulated\n" +
          "judge (sim/judge). No API key, no network: the numbers test the pipeline, they say nothing about real models.\n\n",
      );
      numberFlag(flags.epochs, "--epochs");
      const code = await runCommand({
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
      const dbFlag = flags.db ? ` --db ${flags.db}` : "";
      process.stdout.write(
        `\nNext:\n  aflab runs${dbFlag}                 list runs\n  aflab report <run id> --format json${dbFlag}\n` +
          `  aflab serve${dbFlag}                open the viewer at http://127.0.0.1:8787\n` +
          `  aflab run --model anthropic/claude-3-opus-20240229 --judge anthropic/claude-3-5-sonnet-20241022 --dataset advbench --limit 100\n` +
          `store: ${resolveDbPath(flags)}\n`,
      );
      process.exitCode = code;
    });
}
