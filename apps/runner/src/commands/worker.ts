import { InputError } from "@aflab/core";
import { createClientFactory, runQueueWorker, SampleQueue, type WorkerProgress } from "@aflab/engine";
import { isPostgresUrl, openStoreUrl } from "@aflab/store";
import type { Command } from "commander";
import {
  commandController,
  displayDb,
  integerFlag,
  loadEnvironment,
  loadPricing,
  resolveDbPath,
} from "../context.js";

export interface WorkerFlags {
  db?: string;
  concurrency?: string;
  providerLimit?: string;
  exitWhenIdle?: string;
  providers?: string;
  pricing?: string;
  quiet?: boolean;
}

function progressLine(progress: WorkerProgress): string {
  return (
    `worker ${progress.workerId}: ${progress.done} samples (${progress.samplesPerSecond.toFixed(1)}/s)` +
    `${progress.skipped ? `, ${progress.skipped} already done` : ""}${progress.errored ? `, ${progress.errored} errored` : ""}` +
    ` · ${progress.workers.live} workers live, ${progress.workers.samplesPerSecond.toFixed(1)}/s in all` +
    ` · ${progress.pending} samples queued`
  );
}

export async function workerCommand(flags: WorkerFlags): Promise<number> {
  const dbPath = resolveDbPath(flags);
  if (!isPostgresUrl(dbPath)) {
    throw new InputError(
      "--db: workers need the team's PostgreSQL store (postgres://...), where runs are queued",
      {
        field: "db",
      },
    );
  }
  const concurrency = integerFlag(flags.concurrency, "--concurrency") ?? 8;
  if (concurrency < 1 || concurrency > 1000) {
    throw new InputError(`--concurrency: expected 1 to 1000, got ${flags.concurrency}`, {
      field: "concurrency",
    });
  }
  const providerLimit = integerFlag(flags.providerLimit, "--provider-limit");
  if (providerLimit !== undefined && (providerLimit < 1 || providerLimit > 10_000)) {
    throw new InputError(`--provider-limit: expected 1 to 10000, got ${flags.providerLimit}`, {
      field: "provider-limit",
    });
  }
  const exitWhenIdle = integerFlag(flags.exitWhenIdle, "--exit-when-idle");
  const providers = loadEnvironment({ providers: flags.providers });
  const pricing = loadPricing(flags.pricing);
  const store = await openStoreUrl(dbPath);
  const controller = commandController();
  const onSignal = () => {
    process.stderr.write("\nstopping: unfinished samples go back to the queue\n");
    controller.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let queue: SampleQueue | undefined;
  try {
    queue = await SampleQueue.open({ url: dbPath, supervise: true, maintenanceIntervalSeconds: 5 });
    if (!flags.quiet) process.stderr.write(`worker on ${displayDb(dbPath)}: waiting for queued samples\n`);
    const final = await runQueueWorker({
      store,
      queue,
      createClient: createClientFactory({ responseCache: store.responseCache(), providers, pricing }),
      concurrency,
      ...(providerLimit === undefined ? {} : { providerLimit }),
      ...(exitWhenIdle === undefined ? {} : { exitWhenIdleMs: exitWhenIdle * 1000 }),
      signal: controller.signal,
      ...(flags.quiet
        ? {}
        : { onProgress: (progress) => process.stderr.write(`${progressLine(progress)}\n`) }),
      progressIntervalMs: 5000,
    });
    process.stdout.write(
      `worker done: ${final.done} samples, ${final.skipped} already done elsewhere, ${final.errored} errored\n`,
    );
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await queue?.close();
    await store.close();
  }
}

export function registerWorkerCommand(program: Command): void {
  program
    .command("worker")
    .description("take queued samples (aflab run --queue) from a PostgreSQL store: generate, judge, store")
    .option("--db <url>", "the team's store: postgres:// URL (default: $AFLAB_DB)")
    .option("--concurrency <n>", "samples this worker works on at once (default 8)")
    .option(
      "--provider-limit <n>",
      "calls in flight per provider across all workers (default: the run's --concurrency)",
    )
    .option(
      "--exit-when-idle <seconds>",
      "exit once the queue has been empty this long (default: keep waiting)",
    )
    .option("--providers <file>", "providers and model aliases (JSON)")
    .option("--pricing <file>", "pricing overrides (JSON or YAML, USD per million tokens)")
    .option("--quiet", "no progress lines")
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await workerCommand(flags);
    });
}
