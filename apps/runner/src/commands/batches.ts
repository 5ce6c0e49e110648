import { createClientFactory, requireBatchApi } from "@aflab/engine";
import type { Command } from "commander";
import { lazyStore, loadEnvironment, requireExistingStore, resolveDbPath } from "../context.js";
import { table } from "../format.js";
import { openExistingStore, requireFormat } from "./report.js";

interface BatchesFlags {
  db?: string;
  format?: string;
  cancel?: boolean;
  providers?: string;
}

const openStates = new Set(["submitting", "in_progress", "ended"]);

export function registerBatchesCommand(program: Command): void {
  program
    .command("batches [runId]")
    .description(
      "provider batches of a run (or of every run): states and counts; --cancel cancels those in flight",
    )
    .option("--db <path>", "SQLite store (default: $AFLAB_DB or .aflab/aflab.db)")
    .option(
      "--cancel",
      "cancel the run's batches in flight at the provider (their requests come back canceled; --resume asks them again)",
    )
    .option("--providers <file>", "providers and model aliases (JSON)")
    .option("--format <format>", "table or json", "table")
    .action(async (runId: string | undefined, flags: BatchesFlags) => {
      const format = requireFormat(flags.format);
      if (flags.cancel) {
        const providers = loadEnvironment({ providers: flags.providers });
        const dbPath = resolveDbPath(flags);
        requireExistingStore(dbPath);
        const store = lazyStore(dbPath);
        try {
          if (runId !== undefined) await store.get().requireRun(runId);
          const createClient = createClientFactory({ providers });
          const open = (await store.get().listBatches(runId)).filter(
            (batch) => openStates.has(batch.state) && batch.providerBatchId !== null,
          );
          for (const batch of open) {
            const run = await store.get().requireRun(batch.runId);
            const api = requireBatchApi(createClient(batch.modelId, "model", run.config));
            const status = await api.cancel(batch.providerBatchId ?? "");
            process.stdout.write(`batch ${batch.id} (${batch.providerBatchId}): ${status.state}\n`);
          }
          if (open.length === 0) process.stdout.write("no batches in flight\n");
        } finally {
          await store.close();
        }
        return;
      }
      const store = openExistingStore(flags.db);
      try {
        if (runId !== undefined) await store.requireRun(runId);
        const batches = await store.listBatches(runId);
        if (format === "json") {
          process.stdout.write(`${JSON.stringify({ batches }, null, 2)}\n`);
          return;
        }
        if (batches.length === 0) {
          process.stdout.write("no batches: aflab run --batch submits some\n");
          return;
        }
        const rows = batches.map((batch) => [
          batch.id,
          batch.runId,
          batch.provider,
          batch.providerBatchId ?? "—",
          batch.state,
          String(batch.round),
          String(batch.requestCount),
          batch.counts
            ? `${batch.counts.succeeded}/${batch.counts.errored}/${batch.counts.expired}/${batch.counts.canceled}/${batch.counts.processing}`
            : "—",
          batch.createdAt.slice(0, 19).replace("T", " "),
          batch.endedAt?.slice(0, 19).replace("T", " ") ?? "—",
        ]);
        process.stdout.write(
          `${table(
            [
              "batch",
              "run",
              "provider",
              "provider id",
              "state",
              "round",
              "requests",
              "ok/err/exp/cancel/processing",
              "created (UTC)",
              "ended (UTC)",
            ],
            rows,
          )}\n`,
        );
      } finally {
        await store.close();
      }
    });
}
