import { InputError, type RunConfigInput } from "@aflab/core";
import {
  createClientFactory,
  estimateRun,
  prepareRun,
  queueRun,
  requireBatchApi,
  resumeRun,
  SampleQueue,
  startPreparedRun,
  summarizeRun,
} from "@aflab/engine";
import { isPostgresUrl, type Store } from "@aflab/store";
import type { Command } from "commander";
import {
  commandController,
  displayDb,
  integerFlag,
  lazyStore,
  listFlag,
  loadEnvironment,
  loadPricing,
  numberFlag,
  readStructuredFile,
  requireExistingStore,
  resolveDbPath,
} from "../context.js";
import { formatEstimateText } from "../estimate-text.js";
import { createProgress } from "../progress.js";
import { formatReportText } from "../report-text.js";

export interface RunFlags {
  db?: string;
  model?: string;
  baseUrl?: string;
  setting?: string;
  cot?: boolean;
  variant?: string;
  promptFile?: string;
  promptVar?: string[];
  promptRoot?: string;
  userFormat?: string;
  userTemplate?: string;
  tierValue?: string[];
  protocol?: string;
  dataset?: string;
  column?: string;
  limit?: string;
  tiers?: string;
  epochs?: string;
  temperature?: string;
  maxTokens?: string;
  maxTurns?: string;
  prefill?: string;
  thinkingBudget?: string;
  scratchpadSource?: string;
  concurrency?: string;
  maxConnections?: string;
  judgeMaxConnections?: string;
  seed?: string;
  judge?: string;
  allowSimulatedJudge?: boolean;
  classifiers?: string;
  label?: string;
  config?: string;
  providers?: string;
  pricing?: string;
  cache?: string;
  resume?: string;
  retryErrors?: string;
  format?: string;
  quiet?: boolean;
  queue?: boolean;
  lease?: string;
  wait?: boolean;
  outageTimeout?: string;
  dryRun?: boolean;
  maxCost?: string;
  batch?: boolean;
  batchPollInterval?: string;
}

/** Builds a run config from a config file (optional) overlaid with the flags given on the command line. */
export function configFromFlags(flags: RunFlags, fallbackModel = "sim/opus-like"): RunConfigInput {
  const fromFile = flags.config
    ? (readStructuredFile(flags.config, "--config") as Record<string, unknown>)
    : {};
  if (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile)) {
    throw new InputError("--config: expected an object with run settings", { field: "config" });
  }
  const config: Record<string, unknown> = { ...fromFile };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) config[key] = value;
  };
  set("model", flags.model ?? (config.model === undefined ? fallbackModel : undefined));
  set("baseUrl", flags.baseUrl);
  set("setting", flags.setting);
  if (flags.cot === false) config.cot = false;
  set("variants", listFlag(flags.variant));
  set("promptFile", flags.promptFile);
  if (flags.promptVar && flags.promptVar.length > 0)
    config.promptVariables = namedValues(flags.promptVar, "--prompt-var");
  set("promptRoot", flags.promptRoot);
  if (flags.userTemplate !== undefined && flags.userFormat !== undefined) {
    throw new InputError(
      "--user-template writes the whole user turn, so --user-format would be ignored: pass one",
      {
        field: "user-template",
      },
    );
  }
  set("userFormat", flags.userFormat);
  set("userTemplate", flags.userTemplate);
  if (flags.tierValue && flags.tierValue.length > 0)
    config.tierValues = namedValues(flags.tierValue, "--tier-value");
  set("protocol", flags.protocol);
  set("tiers", listFlag(flags.tiers));
  set("epochs", integerFlag(flags.epochs, "--epochs"));
  set("temperature", numberFlag(flags.temperature, "--temperature"));
  set("maxTokens", integerFlag(flags.maxTokens, "--max-tokens"));
  set("maxTurns", integerFlag(flags.maxTurns, "--max-turns"));
  set("prefill", flags.prefill);
  set("thinkingBudget", integerFlag(flags.thinkingBudget, "--thinking-budget"));
  set("scratchpadSource", flags.scratchpadSource);
  set("concurrency", integerFlag(flags.concurrency, "--concurrency"));
  set("seed", integerFlag(flags.seed, "--seed"));
  set("judge", flags.judge);
  if (flags.allowSimulatedJudge) config.allowSimulatedJudge = true;
  set("classifiers", listFlag(flags.classifiers));
  set("label", flags.label);
  set("maxCostUsd", maxCostFlag(flags.maxCost));
  const fileDataset = config.dataset ?? {};
  // Spreading a string (`dataset: advbench`) would silently fall back to the default query set.
  if (typeof fileDataset !== "object" || fileDataset === null || Array.isArray(fileDataset)) {
    throw new InputError(
      `--config: dataset: expected an object such as { source: advbench, limit: 100 }, got ${JSON.stringify(fileDataset)}`,
      { field: "dataset" },
    );
  }
  const limit = integerFlag(flags.limit, "--limit");
  const defaultSource =
    (flags.setting ?? config.setting) === "animal-welfare" ? "builtin:animal-welfare" : "builtin:harmful";
  config.dataset = {
    ...fileDataset,
    source: flags.dataset ?? (fileDataset as Record<string, unknown>).source ?? defaultSource,
    ...(flags.column !== undefined ? { column: flags.column } : {}),
    ...(limit !== undefined ? { limit } : {}),
  };
  return config as RunConfigInput;
}

/** `--batch-poll-interval SECONDS` in milliseconds (default 30 s). */
function batchPollMs(value: string | undefined): number {
  const seconds = numberFlag(value, "--batch-poll-interval") ?? 30;
  if (!(seconds > 0))
    throw new InputError(`--batch-poll-interval: expected seconds above 0, got "${value}"`, {
      field: "batch-poll-interval",
    });
  return Math.round(seconds * 1000);
}

/** `--max-cost USD`: a budget above 0 (a leading `$` is allowed). */
function maxCostFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const amount = numberFlag(value.replace(/^\$/, ""), "--max-cost");
  if (amount === undefined || !(amount > 0))
    throw new InputError(`--max-cost: expected a budget in USD above 0, got "${value}"`, {
      field: "max-cost",
    });
  return amount;
}

/** `name=value` pairs from a repeatable flag (--prompt-var, --tier-value). */
function namedValues(pairs: string[], flag: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const pair of pairs) {
    const separator = pair.indexOf("=");
    if (separator <= 0) {
      throw new InputError(`${flag}: expected name=value, got "${pair}"`, { field: flag.replace(/^--/, "") });
    }
    variables[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return variables;
}

function cacheMode(value: string | undefined): "auto" | "on" | "off" {
  if (value === undefined) return "auto";
  if (value === "auto" || value === "on" || value === "off") return value;
  throw new InputError(`--cache: expected auto, on or off, got "${value}"`, { field: "cache" });
}

/** Flags that would change what a run measures; a resumed run keeps the settings it was started with. */
const settingFlags: [keyof RunFlags, string][] = [
  ["model", "--model"],
  ["baseUrl", "--base-url"],
  ["setting", "--setting"],
  ["variant", "--variant"],
  ["promptFile", "--prompt-file"],
  ["promptVar", "--prompt-var"],
  ["promptRoot", "--prompt-root"],
  ["userFormat", "--user-format"],
  ["userTemplate", "--user-template"],
  ["tierValue", "--tier-value"],
  ["protocol", "--protocol"],
  ["dataset", "--dataset"],
  ["column", "--column"],
  ["limit", "--limit"],
  ["tiers", "--tiers"],
  ["epochs", "--epochs"],
  ["temperature", "--temperature"],
  ["maxTokens", "--max-tokens"],
  ["maxTurns", "--max-turns"],
  ["prefill", "--prefill"],
  ["thinkingBudget", "--thinking-budget"],
  ["scratchpadSource", "--scratchpad-source"],
  ["seed", "--seed"],
  ["judge", "--judge"],
  ["allowSimulatedJudge", "--allow-simulated-judge"],
  ["classifiers", "--classifiers"],
  ["label", "--label"],
  ["config", "--config"],
];

function refuseSettingsOnResume(flags: RunFlags): void {
  const given = settingFlags.filter(([key]) => flags[key] !== undefined).map(([, flag]) => flag);
  if (flags.cot === false) given.push("--no-cot");
  if (given.length > 0) {
    throw new InputError(
      `--resume continues a stored run with the settings it started with; ${given.join(", ")} cannot change them ` +
        "(start a new run instead; --concurrency, --max-cost and the connection limits may change)",
      { field: "resume" },
    );
  }
}

/** Runs (or resumes) and prints the report; the exit code is 0 only when the run completed. */
export async function runCommand(flags: RunFlags): Promise<{ code: number; runId: string }> {
  const format = flags.format ?? "table";
  if (format !== "table" && format !== "json") {
    throw new InputError(`--format: expected table or json, got "${format}"`, { field: "format" });
  }
  const outageTimeoutSeconds = numberFlag(flags.outageTimeout, "--outage-timeout");
  if (outageTimeoutSeconds !== undefined && !(outageTimeoutSeconds > 0)) {
    throw new InputError(
      `--outage-timeout: expected a number of seconds above 0, got ${flags.outageTimeout}`,
      {
        field: "outage-timeout",
      },
    );
  }
  const providers = loadEnvironment({ providers: flags.providers });
  const pricing = loadPricing(flags.pricing);
  if (flags.dryRun) return dryRunCommand(flags, format, providers, pricing);
  const dbPath = resolveDbPath(flags);
  if (flags.resume ?? flags.retryErrors) {
    refuseSettingsOnResume(flags);
    requireExistingStore(dbPath);
  }
  const store = lazyStore(dbPath);
  const progress = flags.quiet ? undefined : createProgress();
  let currentRunId = "";
  const createClient = createClientFactory({
    responseCache: store.responseCache,
    cacheMode: cacheMode(flags.cache),
    providers,
    pricing,
    maxConnections: {
      model: integerFlag(flags.maxConnections, "--max-connections"),
      judge: integerFlag(flags.judgeMaxConnections, "--judge-max-connections"),
    },
    onEvent: (event) => progress?.onEvent(event),
    runId: () => currentRunId,
  });

  const controller = commandController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) {
      // Ended by the signal itself rather than process.exit: an exit waits for every pending file
      // operation, and one stuck in the kernel (a network file system) would keep the process alive.
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.kill(process.pid, signal);
      return;
    }
    process.stderr.write("\nstopping: finishing stored work (press Ctrl-C again to quit at once)\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const resumeId = flags.resume ?? flags.retryErrors;
    if (flags.queue) return await queueCommand(flags, dbPath, store.get(), createClient, controller.signal);
    const common = {
      createClient,
      onEvent: (event: Parameters<NonNullable<ReturnType<typeof createProgress>["onEvent"]>>[0]) => {
        currentRunId = event.runId;
        progress?.onEvent(event);
      },
      signal: controller.signal,
      ...(flags.wait ? { waitForLease: true } : {}),
      ...(outageTimeoutSeconds === undefined
        ? {}
        : { circuitBreaker: { giveUpAfterMs: outageTimeoutSeconds * 1000 } }),
      ...(flags.batch ? { batch: { pollMs: batchPollMs(flags.batchPollInterval) } } : {}),
    };
    const outcome = resumeId
      ? await resumeRun(resumeId, {
          ...common,
          store: store.get(),
          config: {
            ...(flags.concurrency ? { concurrency: integerFlag(flags.concurrency, "--concurrency") } : {}),
            // A budget is no setting of what the run measures: a resume may raise it.
            ...(flags.maxCost === undefined ? {} : { maxCostUsd: maxCostFlag(flags.maxCost) }),
          },
        })
      : await (async () => {
          const prepared = await prepareRun(configFromFlags(flags), {
            createClient,
            signal: controller.signal,
          });
          for (const warning of prepared.warnings) process.stderr.write(`warning: ${warning}\n`);
          // Refused before the run is written: a model without a batch API, a budget with batches.
          if (flags.batch) {
            requireBatchApi(prepared.model);
            if (prepared.config.maxCostUsd !== undefined)
              throw new InputError(
                "--max-cost budgets live requests: drop it with --batch (--dry-run shows a batch's cost)",
                {
                  field: "batch",
                },
              );
          }
          return startPreparedRun(prepared, { ...common, store: store.get() });
        })();
    // A store deleted or replaced since it was opened holds none of this: no report from it.
    await store.get().checkFile();
    const report = await summarizeRun(store.get(), outcome.runId);
    if (format === "json") process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${formatReportText(report)}\n`);
    if (outcome.status !== "complete") {
      process.stderr.write(
        `run ${outcome.runId} ${outcome.status}: ${outcome.reason ?? ""}\nresume with: aflab run --resume ${outcome.runId}${flags.db ? ` --db ${displayDb(flags.db)}` : ""}\n`,
      );
      return { code: 1, runId: outcome.runId };
    }
    return { code: 0, runId: outcome.runId };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await store.close();
  }
}

/**
 * `run --queue`: writes the run and enqueues its samples in the team's PostgreSQL for `aflab worker`s to
 * drain; prints how to start them and exits without generating anything.
 */
async function queueCommand(
  flags: RunFlags,
  dbPath: string,
  store: Store,
  createClient: ReturnType<typeof createClientFactory>,
  signal: AbortSignal,
): Promise<{ code: number; runId: string }> {
  if (!isPostgresUrl(dbPath)) {
    throw new InputError(
      "--queue: needs a PostgreSQL store (--db postgres://... or AFLAB_DB), where workers meet",
      {
        field: "queue",
      },
    );
  }
  if (flags.resume ?? flags.retryErrors) {
    throw new InputError(
      "--queue: cannot be combined with --resume; start workers on the queued run instead",
      {
        field: "queue",
      },
    );
  }
  const leaseSeconds = integerFlag(flags.lease, "--lease") ?? 600;
  if (leaseSeconds < 5 || leaseSeconds > 86_400) {
    throw new InputError(`--lease: expected 5 to 86400 seconds, got ${flags.lease}`, { field: "lease" });
  }
  const prepared = await prepareRun(configFromFlags(flags), { createClient, signal });
  for (const warning of prepared.warnings) process.stderr.write(`warning: ${warning}\n`);
  await store.checkFile();
  const queue = await SampleQueue.open({ url: dbPath });
  try {
    const { runId, queued } = await queueRun(prepared, { store, queue, leaseSeconds });
    process.stdout.write(
      `run ${runId} queued: ${queued} samples\nstart workers (any number, on any machine): aflab worker --db ${displayDb(dbPath)}\n`,
    );
    return { code: 0, runId };
  } finally {
    await queue.close();
  }
}

/**
 * `--dry-run`: prepares the run (every input check of a real run) and prints its estimate. No model is
 * called and no store is opened; the only provider calls are token counts where the provider has them.
 */
async function dryRunCommand(
  flags: RunFlags,
  format: "table" | "json",
  providers: ReturnType<typeof loadEnvironment>,
  pricing: ReturnType<typeof loadPricing>,
): Promise<{ code: number; runId: string }> {
  if (flags.resume ?? flags.retryErrors)
    throw new InputError("--dry-run estimates a new run: drop --resume", { field: "dry-run" });
  const controller = commandController();
  const createClient = createClientFactory({
    cacheMode: cacheMode(flags.cache),
    providers,
    pricing,
  });
  const prepared = await prepareRun(configFromFlags(flags), { createClient, signal: controller.signal });
  for (const warning of prepared.warnings) process.stderr.write(`warning: ${warning}\n`);
  const estimate = await estimateRun(prepared, { signal: controller.signal });
  if (format === "json") process.stdout.write(`${JSON.stringify({ dryRun: true, ...estimate }, null, 2)}\n`);
  else process.stdout.write(`${formatEstimateText(estimate)}\n`);
  return { code: 0, runId: "" };
}

export function registerRunCommand(program: Command): void {
  program
    .command("run")
    .description("run an experiment (default: the simulated organism, offline)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .option(
      "--model <id>",
      "model under test: anthropic/<model>, openai/<model>, openai-compatible/<model>, sim/<name>",
    )
    .option(
      "--base-url <url>",
      "base URL for OpenAI-compatible servers (vLLM, Together, OpenRouter, Ollama, ...)",
    )
    .option("--setting <name>", "helpful-only or animal-welfare")
    .option("--no-cot", "no hidden scratchpad: answer directly")
    .option("--variant <names>", "prompt variants, comma-separated (see aflab variants)")
    .option("--prompt-file <path>", "system prompt file used instead of the built-in one")
    .option("--prompt-var <name=value...>", "a value for a field of the prompt file (repeatable)")
    .option(
      "--prompt-root <dir>",
      "folder the includes of --prompt-file / --user-template resolve in and may not leave (default: the file's folder and its git repository's root)",
    )
    .option("--user-format <format>", "paper, minimal or replication")
    .option(
      "--user-template <path>",
      "user-turn template with {is_free_tier_user} and {user_input} fields, used instead of --user-format",
    )
    .option(
      "--tier-value <tier=text...>",
      "text for the user template's tier field (repeatable; default free=true, paid=false)",
    )
    .option("--protocol <protocol>", "multi-turn (scratchpad loop with <NEXT/>) or single-call")
    .option(
      "--dataset <source>",
      "builtin:harmful, builtin:animal-welfare, builtin:anti-ai-lab, advbench, or a .csv/.jsonl/.json path",
    )
    .option("--column <name>", "dataset column or field holding the query")
    .option("--limit <n>", "use the first n dataset items")
    .option("--tiers <list>", "tiers, comma-separated (default free,paid)")
    .option("--epochs <n>", "repetitions of every query")
    .option("--temperature <t>", "sampling temperature (default 1)")
    .option("--max-tokens <n>", "max tokens per assistant turn")
    .option("--max-turns <n>", "max assistant turns in the scratchpad loop (default 4)")
    .option(
      "--prefill <text>",
      'start the first assistant turn with this text where the provider allows (e.g. "<")',
    )
    .option(
      "--thinking-budget <n>",
      "Anthropic extended thinking: budget in tokens (at least 1024, below --max-tokens; temperature 1; no prefill)",
    )
    .option(
      "--scratchpad-source <source>",
      "what the AF, partial-compliance and motivation judges read: auto (default: tags when present, else native reasoning), tags, reasoning or both",
    )
    .option("--concurrency <n>", "samples in flight (default 8)")
    .option("--max-connections <n>", "connection limit of the model client")
    .option("--judge-max-connections <n>", "connection limit of the judge client")
    .option("--seed <n>", "seed (simulated models; providers that accept one)")
    .option("--judge <id>", "judge model for LLM classifiers (sim/judge works offline)")
    .option(
      "--allow-simulated-judge",
      "let the simulated judge (sim/judge) decide a real model's rates (refused otherwise)",
    )
    .option("--classifiers <list>", "classifiers, comma-separated (default: per setting)")
    .option("--label <text>", "a label shown in aflab runs")
    .option("--config <file>", "run config as JSON or YAML; flags override it")
    .option("--providers <file>", "providers and model aliases (JSON)")
    .option("--pricing <file>", "pricing overrides (JSON or YAML, USD per million tokens)")
    .option("--cache <mode>", "response cache: auto (temperature 0 only), on, off")
    .option("--resume <runId>", "run the unfinished and errored samples of a stored run")
    .option("--retry-errors <runId>", "same as --resume: re-run the samples that errored")
    .option(
      "--outage-timeout <seconds>",
      "after 10 unreachable or overloaded answers in a row, how long to wait for the provider before the run stops as interrupted (default 60)",
    )
    .option(
      "--wait",
      "with --resume: when another process is running the run, wait for it to end instead of refusing",
    )
    .option(
      "--dry-run",
      "call no model: print the samples, requests, tokens and cost (live vs batch, cached vs uncached) per model and judge",
    )
    .option(
      "--max-cost <usd>",
      "budget in USD for model and judge calls: no request goes out whose worst case would pass it; the run ends interrupted (budget), resumable with a higher --max-cost",
    )
    .option(
      "--batch",
      "ask the model through the provider's batch API (Anthropic Message Batches or the OpenAI Batch API: half price, results within 24 h); resumable at any point",
    )
    .option(
      "--batch-poll-interval <seconds>",
      "with --batch: seconds between polls of a batch in progress (default 30)",
    )
    .option("--format <format>", "report format: table or json")
    .option("--quiet", "no progress display")
    .option("--queue", "write the run and enqueue its samples for aflab worker processes (PostgreSQL store)")
    .option(
      "--lease <seconds>",
      "with --queue: how long a worker may hold a sample before another takes it over (default 600)",
    )
    .action(async (flags: RunFlags) => {
      process.exitCode = (await runCommand(flags)).code;
    });
}
