import type { Command } from "commander";
import { numberFlag } from "../context.js";
import { table } from "../format.js";
import { openExistingStore, requireFormat } from "./report.js";

export function registerRunsCommand(program: Command): void {
  program
    .command("runs")
    .description("list stored runs, newest first")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--limit <n>", "how many", "50")
    .option("--format <format>", "table or json", "table")
    .action(async (flags: { db?: string; limit?: string; format?: string }) => {
      const format = requireFormat(flags.format);
      const limit = numberFlag(flags.limit, "--limit") ?? 50;
      const store = openExistingStore(flags.db);
      try {
        const { runs, total } = await store.listRuns({ limit });
        if (format === "json") {
          process.stdout.write(`${JSON.stringify({ runs, total }, null, 2)}\n`);
          return;
        }
        if (runs.length === 0) {
          process.stdout.write("no runs yet: try aflab demo\n");
          return;
        }
        const rows: string[][] = [];
        for (const run of runs) {
          const progress = await store.progress(run.id);
          rows.push([
            run.id,
            run.createdAt.slice(0, 19).replace("T", " "),
            run.config.model +
              (run.simulatedSides.model ? " (simulated)" : "") +
              (run.simulatedSides.judge ? " (simulated judge)" : ""),
            run.config.setting,
            run.config.variants.join(",") || "—",
            run.status,
            `${progress.complete + progress.failed}/${run.total}`,
            run.config.label ?? "",
          ]);
        }
        process.stdout.write(
          `${table(["run", "created (UTC)", "model", "setting", "variants", "status", "done", "label"], rows)}\n`,
        );
        if (total > runs.length)
          process.stdout.write(`(${total - runs.length} older runs not shown; --limit)\n`);
      } finally {
        await store.close();
      }
    });
}
