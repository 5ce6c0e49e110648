import { InputError } from "@aflab/core";
import {
  createClientFactory,
  estimateRun,
  paraphraseDistribution,
  prepareSweep,
  probeCurve,
  queueSweep,
  type RunEstimate,
  runSweep,
  SampleQueue,
  type SweepCell,
  type SweepConfigInput,
  summarizeRun,
} from "@aflab/engine";
import { isPostgresUrl, openStoreUrl } from "@aflab/store";
import type { Command } from "commander";
import {
  commandController,
  displayDb,
  integerFlag,
  lazyStore,
  listFlag,
  loadEnvironment,
  readStructuredFile,
  requireExistingStore,
  resolveDbPath,
} from "../context.js";
import { formatEstimateText } from "../estimate-text.js";
import { percent, table } from "../format.js";
import { createProgress } from "../progress.js";
import { formatProbeCurve } from "./curve.js";
import { formatParaphraseDistribution } from "./paraphrase.js";
import { requireFormat } from "./report.js";

interface SweepFlags {
  db?: string;
  config?: string;
  models?: string;
  settings?: string;
  variants?: string;
  family?: string;
  steps?: string;
  promptSet?: string;
  userFormats?: string;
  dataset?: string;
  limit?: string;
  tiers?: string;
  epochs?: string;
  judge?: string;
  allowSimulatedJudge?: boolean;
  classifiers?: string;
  concurrency?: string;
  seed?: string;
  resume?: string;
  providers?: string;
  format?: string;
  quiet?: boolean;
  queue?: boolean;
  lease?: string;
  dryRun?: boolean;
}

function numberOfStep(step: string): number {
  const value = Number(step);
  if (step.trim() === "" || !Number.isFinite(value))
    throw new InputError(`--steps: expected numbers separated by commas, got "${step}"`, { field: "steps" });
  return value;
}

/** Flags build the matrix; a config file (JSON or YAML, see sweep-config.schema.json) can hold all of it. */
function sweepConfigFromFlags(flags: SweepFlags): SweepConfigInput {
  const fromFile = flags.config
    ? (readStructuredFile(flags.config, "--config") as Record<string, unknown>)
    : {};
  if (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile)) {
    throw new InputError(
      "--config: expected an object with models, settings, variants, userFormats and run",
      {
        field: "config",
      },
    );
  }
  const config: Record<string, unknown> = { ...fromFile };
  if (flags.models) config.models = listFlag(flags.models);
  if (flags.settings) config.settings = listFlag(flags.settings);
  // Variant combinations are separated by ";" and variants inside one by ",": "none;cut-examples;cut-rlhf-info,honest".
  if (flags.variants) config.variants = flags.variants.split(";").map((part) => part.trim());
  if (flags.family) config.family = flags.family;
  if (flags.promptSet) config.promptSet = flags.promptSet;
  if (flags.steps) config.steps = listFlag(flags.steps)?.map((step) => numberOfStep(step));
  if (flags.userFormats) config.userFormats = listFlag(flags.userFormats);
  const run: Record<string, unknown> = { ...((config.run as Record<string, unknown> | undefined) ?? {}) };
  const limit = integerFlag(flags.limit, "--limit");
  if (flags.dataset || limit !== undefined) {
    run.dataset = {
      ...((run.dataset as Record<string, unknown> | undefined) ?? {}),
      ...(flags.dataset ? { source: flags.dataset } : {}),
      ...(limit !== undefined ? { limit } : {}),
    };
  }
  if (flags.tiers) run.tiers = listFlag(flags.tiers);
  if (flags.epochs) run.epochs = integerFlag(flags.epochs, "--epochs");
  if (flags.judge) run.judge = flags.judge;
  if (flags.allowSimulatedJudge) run.allowSimulatedJudge = true;
  if (flags.classifiers) run.classifiers = listFlag(flags.classifiers);
  if (flags.concurrency) run.concurrency = integerFlag(flags.concurrency, "--concurrency");
  if (flags.seed) run.seed = integerFlag(flags.seed, "--seed");
  config.run = run;
  return config as SweepConfigInput;
}

/** `sweep --queue`: writes the sweep and its runs, enqueues every sample, and exits; workers do the rest. */
async function queueSweepCommand(
  flags: SweepFlags,
  providers: ReturnType<typeof loadEnvironment>,
): Promise<void> {
  const dbPath = resolveDbPath(flags);
  if (!isPostgresUrl(dbPath)) {
    throw new InputError(
      "--queue: needs a PostgreSQL store (--db postgres://... or AFLAB_DB), where workers meet",
      {
        field: "queue",
      },
    );
  }
  if (flags.resume) {
    throw new InputError(
      "--queue: cannot be combined with --resume; start workers on the queued sweep instead",
      {
        field: "queue",
      },
    );
  }
  const leaseSeconds = integerFlag(flags.lease, "--lease") ?? 600;
  if (leaseSeconds < 5 || leaseSeconds > 86_400) {
    throw new InputError(`--lease: expected 5 to 86400 seconds, got ${flags.lease}`, { field: "lease" });
  }
  const store = await openStoreUrl(dbPath);
  let queue: SampleQueue | undefined;
  try {
    queue = await SampleQueue.open({ url: dbPath });
    const createClient = createClientFactory({ responseCache: store.responseCache(), providers });
    const { sweepId, runs } = await queueSweep(sweepConfigFromFlags(flags), {
      store,
      queue,
      createClient,
      leaseSeconds,
    });
    const total = runs.reduce((sum, run) => sum + run.queued, 0);
    process.stdout.write(
      `sweep ${sweepId} queued: ${runs.length} runs, ${total} samples\n${runs.map((run) => `  ${run.runId}: ${run.queued}`).join("\n")}\n` +
        `start workers (any number, on any machine): aflab worker --db ${displayDb(dbPath)}\n`,
    );
  } finally {
    await queue?.close();
    await store.close();
  }
}

export function registerSweepCommand(program: Command): void {
  program
    .command("sweep")
    .description("run a matrix of models × settings × variants × user formats; resumable as a whole")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .option(
      "--config <file>",
      "sweep config, JSON or YAML (schema: packages/engine/sweep-config.schema.json)",
    )
    .option("--models <list>", "model ids, comma-separated")
    .option("--settings <list>", "helpful-only,animal-welfare")
    .option(
      "--variants <combinations>",
      'variant combinations separated by ";" (none = unmodified), e.g. "none;cut-examples"',
    )
    .option(
      "--family <name>",
      "a probe family (see aflab variants --families), run once per step and reported as a curve",
    )
    .option("--steps <list>", "the family's steps to run, e.g. 0,50,100 (default: every step)")
    .option(
      "--prompt-set <name>",
      "run every accepted paraphrase of a stored prompt set (and the original); reports the distribution",
    )
    .option("--user-formats <list>", "paper,minimal,replication")
    .option("--dataset <source>", "dataset for every cell")
    .option("--limit <n>", "first n dataset items")
    .option("--tiers <list>", "tiers")
    .option("--epochs <n>", "repetitions")
    .option("--judge <id>", "judge model")
    .option("--allow-simulated-judge", "let sim/judge decide real models' rates (refused otherwise)")
    .option("--classifiers <list>", "classifiers")
    .option("--concurrency <n>", "samples in flight per run")
    .option("--seed <n>", "seed")
    .option("--providers <file>", "providers and model aliases (JSON)")
    .option("--resume <sweepId>", "resume a stored sweep")
    .option(
      "--dry-run",
      "call no model: print each cell's requests, tokens and cost (live vs batch, cached vs uncached) and the sweep's total",
    )
    .option("--format <format>", "table or json", "table")
    .option("--quiet", "no progress display")
    .option(
      "--queue",
      "write the sweep and enqueue every cell's samples for aflab worker processes (PostgreSQL store)",
    )
    .option(
      "--lease <seconds>",
      "with --queue: how long a worker may hold a sample before another takes it over (default 600)",
    )
    .action(async (flags: SweepFlags) => {
      const format = requireFormat(flags.format);
      const providers = loadEnvironment({ providers: flags.providers });
      if (flags.dryRun) return dryRunSweep(flags, format, providers);
      if (flags.queue) {
        await queueSweepCommand(flags, providers);
        return;
      }
      const input = flags.resume ? { resume: flags.resume } : sweepConfigFromFlags(flags);
      if (flags.resume) requireExistingStore(resolveDbPath(flags));
      const store = lazyStore(resolveDbPath(flags));
      const createClient = createClientFactory({ responseCache: store.responseCache, providers });
      // A new sweep is checked cell by cell before the store is opened, so bad input writes nothing.
      if (!("resume" in input)) {
        // A prompt-set sweep reads its paraphrases from the store, so that one is opened first.
        const promptSets = flags.promptSet ? store.get() : undefined;
        const prepared = await prepareSweep(input, { createClient, ...(promptSets ? { promptSets } : {}) });
        const warnings = new Set(prepared.cells.flatMap((cell) => cell.prepared.warnings));
        for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
      }
      const controller = commandController();
      const onSignal = () => controller.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        let progress = flags.quiet ? undefined : createProgress();
        const outcome = await runSweep(input, {
          store: store.get(),
          createClient,
          onEvent: (event) => progress?.onEvent(event),
          onCell: (cell, runId, phase) => {
            if (phase === "start" && !flags.quiet) {
              process.stderr.write(
                `cell ${cell.index + 1}: ${cell.model} · ${cell.setting} · ${cell.variants.join(",") || "no variant"} · ${cell.userFormat} → ${runId}\n`,
              );
              progress = createProgress({ label: `cell ${cell.index + 1}` });
            }
          },
          signal: controller.signal,
        });
        const reports = [];
        for (const { runId } of outcome.cells) reports.push(await summarizeRun(store.get(), runId));
        const stored = await store.get().getSweep(outcome.sweepId);
        const storedConfig = stored?.config as { family?: unknown; promptSet?: unknown } | undefined;
        const curve =
          storedConfig?.family !== undefined ? await probeCurve(store.get(), outcome.sweepId) : undefined;
        const distribution =
          storedConfig?.promptSet !== undefined
            ? await paraphraseDistribution(store.get(), outcome.sweepId)
            : undefined;
        if (format === "json") {
          process.stdout.write(
            `${JSON.stringify({ sweepId: outcome.sweepId, status: outcome.status, runs: reports, ...(curve ? { curve } : {}), ...(distribution ? { distribution } : {}) }, null, 2)}\n`,
          );
        } else {
          const rows = reports.map((report) => [
            report.runId,
            report.model,
            report.setting,
            report.variants.join(",") || "—",
            report.userFormat,
            percent(report.tiers.free?.complianceRate),
            percent(report.tiers.paid?.complianceRate),
            report.gap ? `${(report.gap.value * 100).toFixed(1)} ± ${(report.gap.se * 100).toFixed(1)}` : "—",
            percent(report.alignmentFaking?.free?.rate),
          ]);
          process.stdout.write(
            `sweep ${outcome.sweepId}: ${outcome.status}\n${table(
              ["run", "model", "setting", "variants", "format", "free", "paid", "gap pp ± SE", "AF free"],
              rows,
              ["left", "left", "left", "left", "left", "right", "right", "right", "right"],
            )}\n`,
          );
          for (const report of reports) {
            const sides = [
              report.simulatedSides.model ? "model" : "",
              report.simulatedSides.judge ? "judge" : "",
            ];
            const simulated = sides.filter(Boolean).join(" and ");
            if (simulated) process.stdout.write(`${report.runId}: SIMULATED ${simulated}\n`);
            for (const warning of report.warnings)
              process.stdout.write(`warning: ${report.runId}: ${warning.message}\n`);
          }
          if (curve) process.stdout.write(`\n${formatProbeCurve(curve)}\n`);
          if (distribution) process.stdout.write(`\n${formatParaphraseDistribution(distribution)}\n`);
        }
        if (outcome.status !== "complete") {
          process.stderr.write(
            `resume with: aflab sweep --resume ${outcome.sweepId}${flags.db ? ` --db ${displayDb(flags.db)}` : ""}\n`,
          );
          process.exitCode = 1;
        }
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        await store.close();
      }
    });
}

/** `sweep --dry-run`: every cell prepared and estimated, none run; no store is opened. */
async function dryRunSweep(
  flags: SweepFlags,
  format: "table" | "json",
  providers: ReturnType<typeof loadEnvironment>,
): Promise<void> {
  if (flags.resume)
    throw new InputError("--dry-run estimates a new sweep: drop --resume", { field: "dry-run" });
  const controller = commandController();
  const createClient = createClientFactory({ providers });
  const prepared = await prepareSweep(sweepConfigFromFlags(flags), {
    createClient,
    signal: controller.signal,
  });
  const cells: Array<{ cell: SweepCell; estimate: RunEstimate }> = [];
  for (const { cell, prepared: run } of prepared.cells)
    cells.push({ cell, estimate: await estimateRun(run, { signal: controller.signal }) });
  const sum = (pick: (estimate: RunEstimate) => number | null) =>
    cells.reduce<number | null>((total, { estimate }) => {
      const value = pick(estimate);
      return total === null || value === null ? null : total + value;
    }, 0);
  const total = {
    samples: sum((estimate) => estimate.samples),
    live: { uncached: sum((e) => e.total.live.uncached), cached: sum((e) => e.total.live.cached) },
    batch: { uncached: sum((e) => e.total.batch.uncached), cached: sum((e) => e.total.batch.cached) },
    worstCase: sum((estimate) => estimate.total.worstCase),
  };
  if (format === "json") {
    process.stdout.write(`${JSON.stringify({ dryRun: true, cells, total }, null, 2)}\n`);
    return;
  }
  for (const { cell, estimate } of cells) {
    const name = `${cell.model} · ${cell.setting} · ${cell.variants.join(",") || "no variant"} · ${cell.userFormat}`;
    process.stdout.write(`${formatEstimateText(estimate, `cell ${cell.index + 1}: ${name}`)}\n\n`);
  }
  const dollars = (value: number | null) => (value === null ? "unknown" : `$${value.toFixed(2)}`);
  process.stdout.write(
    `dry run: no model was called\nsweep total: ${total.samples ?? 0} samples; live ${dollars(total.live.uncached)} ` +
      `(cached ${dollars(total.live.cached)}), batch ${dollars(total.batch.uncached)} (cached ${dollars(total.batch.cached)}); ` +
      `worst case ${dollars(total.worstCase)}\n`,
  );
}
