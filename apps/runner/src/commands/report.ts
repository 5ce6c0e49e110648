import fs from "node:fs";
import { InputError } from "@aflab/core";
import { summarizeRun } from "@aflab/engine";
import { isPostgresUrl } from "@aflab/store";
import type { Command } from "commander";
import { openStoreForReading, resolveDbPath } from "../context.js";
import { formatReportText } from "../report-text.js";

export function requireFormat(value: string | undefined): "table" | "json" {
  const format = value ?? "table";
  if (format !== "table" && format !== "json") {
    throw new InputError(`--format: expected table or json, got "${format}"`, { field: "format" });
  }
  return format;
}

/** Opens an existing store for reading; a missing file is an input error, not an empty store. */
export function openExistingStore(db: string | undefined) {
  const dbPath = resolveDbPath({ db });
  if (dbPath !== ":memory:" && !isPostgresUrl(dbPath) && !fs.existsSync(dbPath)) {
    throw new InputError(`no store at ${dbPath}: run an experiment first (aflab demo) or pass --db PATH`, {
      field: "db",
    });
  }
  return openStoreForReading(dbPath);
}

export function registerReportCommand(program: Command): void {
  program
    .command("report")
    .description("per-tier compliance, the compliance gap with its interval, AF rate and costs of a run")
    .argument("<runId>", "run id (see aflab runs)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--format <format>", "table or json", "table")
    .action(async (runId: string, flags: { db?: string; format?: string }) => {
      const format = requireFormat(flags.format);
      const store = openExistingStore(flags.db);
      try {
        const report = await summarizeRun(store, runId);
        process.stdout.write(
          format === "json" ? `${JSON.stringify(report, null, 2)}\n` : `${formatReportText(report)}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
