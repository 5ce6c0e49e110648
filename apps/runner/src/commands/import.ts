import { importReplicationResults } from "@aflab/formats";
import type { Command } from "commander";
import { lazyStore, resolveDbPath } from "../context.js";

export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description(
      "make a run from the results JSON of the open-source alignment-faking replication; its stored verdicts are kept as imported:<name>",
    )
    .argument("<files...>", "results JSON files (a list of records each)")
    .option("--setting <setting>", "the setting the results were run in", "helpful-only")
    .option("--model <id>", "the model that wrote the responses, as provider/model (the results do not say)")
    .option("--label <text>", "a label for the run")
    .option("--db <path>", "SQLite store (default: $AFLAB_DB or .aflab/aflab.db)")
    .action(
      async (files: string[], flags: { setting?: string; model?: string; label?: string; db?: string }) => {
        const dbPath = resolveDbPath(flags);
        const store = lazyStore(dbPath);
        try {
          const summary = await importReplicationResults(store.get, files, {
            setting: flags.setting,
            model: flags.model,
            label: flags.label,
          });
          const verdicts = Object.entries(summary.verdicts)
            .map(([name, count]) => `${name} ${count.total} (${count.failed} failed)`)
            .join(", ");
          const db = flags.db ? ` --db ${flags.db}` : "";
          process.stdout.write(
            `imported run ${summary.runId}: ${summary.samples} samples (${summary.failedSamples} failed)\n` +
              `imported verdicts: ${verdicts || "none"}\n` +
              `see: aflab report ${summary.runId}${db}\n` +
              `add aflab's own: aflab classify ${summary.runId} --judge provider/model${db}\n`,
          );
        } finally {
          await store.close();
        }
      },
    );
}
