import { InputError } from "@aflab/core";
import {
  exportHtmlReport,
  exportInspectLog,
  exportSamples,
  type SampleExportFormat,
  sampleExportFormats,
} from "@aflab/formats";
import type { Command } from "commander";
import { openExistingStore } from "./report.js";

type ExportFormat = SampleExportFormat | "html" | "inspect";
const formats: readonly string[] = [...sampleExportFormats, "html", "inspect"];

function requireExportFormat(value: string | undefined): ExportFormat {
  if (value === undefined || !formats.includes(value)) {
    throw new InputError(`--format: expected one of ${formats.join(", ")}, got "${value ?? ""}"`, {
      field: "format",
    });
  }
  return value as ExportFormat;
}

export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description(
      "one row per sample (tier, query, verdicts, usage, cost; texts with --texts) as JSONL, CSV or Parquet; a report (html); an Inspect AI log (inspect, a .eval file)",
    )
    .argument("<runId>", "run id (see aflab runs)")
    .requiredOption("--format <format>", formats.join(", "))
    .option(
      "--out <file>",
      "write to this file (default: standard output; Parquet and Inspect logs need a file)",
    )
    .option("--texts", "add the system prompt, output, scratchpad, native reasoning and turns")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .action(async (runId: string, flags: { format?: string; out?: string; texts?: boolean; db?: string }) => {
      const format = requireExportFormat(flags.format);
      if (format === "parquet" && flags.out === undefined) {
        throw new InputError("--out: Parquet is binary; expected a file to write it to", { field: "out" });
      }
      if (format === "inspect" && !flags.out?.endsWith(".eval")) {
        throw new InputError(
          `--out: an Inspect log is a zip Inspect recognises by its .eval extension; expected a .eval file, got "${flags.out ?? ""}"`,
          { field: "out" },
        );
      }
      const store = openExistingStore(flags.db);
      try {
        // Checked before anything is written, so an unknown run leaves no file.
        await store.requireRun(runId);
        const destination = flags.out === undefined ? { stream: process.stdout } : { file: flags.out };
        const where = flags.out ? ` to ${flags.out}` : "";
        if (format === "html") {
          const report = await exportHtmlReport(store, runId, destination);
          process.stderr.write(
            `wrote the report with ${report.samples} samples and their transcripts${where}\n`,
          );
          return;
        }
        if (format === "inspect") {
          const log = await exportInspectLog(store, runId, flags.out ?? "");
          process.stderr.write(`wrote an Inspect log with ${log.samples} samples${where}\n`);
          return;
        }
        const texts = flags.texts ?? false;
        const summary = await exportSamples(store, runId, destination, { format, texts });
        process.stderr.write(
          `exported ${summary.rows} samples × ${summary.columns.length} columns${where}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
