import { once } from "node:events";
import fs from "node:fs";
import type { RateSummary, Run, RunReport, Sample, Tier, Verdict } from "@aflab/core";
import { InputError } from "@aflab/core";
import { summarizeRun } from "@aflab/engine";
import type { Store } from "@aflab/store";
import { partialPath } from "./destination.js";
import {
  addUsage,
  type InspectModelUsage,
  type InspectScore,
  inspectStopReason,
  inspectUsage,
  sampleMessages,
  verdictScore,
} from "./inspect-messages.js";
import { runSamples } from "./run-samples.js";
import { ZipWriter } from "./zip-writer.js";

/** Inspect's eval log format version (`EvalLog.version`) these files follow. */
export const inspectLogVersion = 2;

/** Paths inside an Inspect `.eval` file (a zip), as Inspect's own recorder names them. */
const startPath = "_journal/start.json";
const summaryPath = (chunk: number) => `_journal/summaries/${chunk}.json`;
const reductionsPath = "reductions.json";
const headerPath = "header.json";

/**
 * Sample summaries are written as the journal's numbered chunks (as Inspect's recorder flushes them
 * during a run) rather than one `summaries.json`, so no more than a chunk is ever held (deflated). Inspect's
 * readers and its viewer read the chunks when `summaries.json` is absent.
 */
const summaryChunkSize = 1000;

/**
 * Writes a run as an Inspect AI log: the `.eval` zip that Inspect's recorder writes, with a sample per
 * (item, tier) and epoch holding the conversation and a score per classifier, sample summaries,
 * per-epoch reductions, and a header whose results carry the run's metrics (rates per tier and the
 * compliance gap, taken from the run's report). Samples are read from the store and zipped one at a
 * time, so memory stays flat however long the run is. The file is written beside its destination and
 * renamed into place when complete.
 */
export async function exportInspectLog(
  store: Store,
  runId: string,
  file: string,
): Promise<{ samples: number }> {
  if (!file.endsWith(".eval")) {
    throw new InputError(
      `--out: an Inspect log is a .eval file (Inspect reads it by its extension), got "${file}"`,
      {
        field: "out",
      },
    );
  }
  const run = await store.requireRun(runId);
  const report = await summarizeRun(store, runId);
  // The compliance classifier first: Inspect's viewer shows the first scorer in its sample list.
  const classifiers = [...(await store.classifierNames(runId))].sort((left, right) =>
    left === report.complianceClassifier
      ? -1
      : right === report.complianceClassifier
        ? 1
        : left.localeCompare(right),
  );
  const partial = partialPath(file);
  const output = fs.createWriteStream(partial);
  const zip = new ZipWriter(output);
  try {
    const spec = evalSpec(run, report, classifiers);
    const plan = evalPlan(run);
    await zip.add(startPath, JSON.stringify({ version: inspectLogVersion, eval: spec, plan }));

    const prompts = new Map<string, string | undefined>();
    const reductions = new EpochReductions();
    const modelUsage: Record<string, InspectModelUsage> = {};
    // A chunk's summaries are deflated as each sample is written rather than kept until the chunk is
    // full: kept, they would outlive many samples and fill the collector's old generation.
    let chunks = 1;
    let summaries = zip.open(summaryPath(chunks));
    let summaryCount = 0;
    let samples = 0;
    let completed = 0;
    for await (const sample of runSamples(store, runId, { withTurns: true })) {
      if (!prompts.has(sample.systemPromptHash)) {
        prompts.set(sample.systemPromptHash, await store.getSystemPrompt(sample.systemPromptHash));
      }
      const verdicts = (await store.getVerdicts(runId, sample.key)).sort(
        (left, right) => classifiers.indexOf(left.classifier) - classifiers.indexOf(right.classifier),
      );
      const record = evalSample(run, sample, verdicts, prompts.get(sample.systemPromptHash));
      for (const [model, usage] of Object.entries(record.model_usage)) addUsage(modelUsage, model, usage);
      reductions.add(record.id, record.scores);
      await summaries.write(
        `${summaryCount++ === 0 ? "[" : ","}${JSON.stringify(sampleSummary(record, sample))}`,
      );
      await zip.add(`samples/${record.id}_epoch_${record.epoch}.json`, JSON.stringify(record));
      if (summaryCount >= summaryChunkSize) {
        await summaries.write("]");
        await summaries.close();
        summaries = zip.open(summaryPath(++chunks));
        summaryCount = 0;
      }
      samples++;
      if (sample.status === "complete") completed++;
    }
    // The last chunk, then an empty one: Inspect's synchronous Python reader stops one chunk short of
    // the highest number, so the empty chunk is the one it skips. When the last chunk came out full, the
    // chunk already open is that empty one.
    if (summaryCount > 0) {
      await summaries.write("]");
      await summaries.close();
      await zip.add(summaryPath(++chunks), "[]");
    } else {
      await summaries.write("[]");
      await summaries.close();
    }
    await zip.addChunks(reductionsPath, reductions.toJsonChunks(classifiers));
    const header = {
      version: inspectLogVersion,
      status: logStatus(run),
      eval: spec,
      plan,
      results: evalResults(report, classifiers, samples, completed, run.config.epochs),
      stats: { started_at: run.createdAt, completed_at: run.updatedAt, model_usage: modelUsage },
      error: run.error ? { message: run.error, traceback: "", traceback_ansi: "" } : null,
      invalidated: false,
    };
    await zip.add(headerPath, JSON.stringify(header));
    await zip.finish();
    output.end();
    await once(output, "close");
    fs.renameSync(partial, file);
    return { samples };
  } catch (error) {
    output.destroy();
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

/** Inspect groups the epochs of one sample under one id: an item asked in one tier. */
function sampleId(sample: Sample): string {
  return `${sample.itemId}-${sample.tier}`;
}

function sampleMetadata(sample: Sample): Record<string, unknown> {
  return {
    aflab_key: sample.key,
    index: sample.index,
    item_id: sample.itemId,
    tier: sample.tier,
    status: sample.status,
    failure_kind: sample.failure?.kind ?? null,
    flags: sample.flags,
    api_refusal: sample.refusal !== null,
    scratchpad_source: sample.scratchpadSource,
    cost_usd: sample.costUsd,
    retries: sample.retries,
  };
}

function sampleScores(verdicts: Verdict[]): Record<string, InspectScore> {
  const scores: Record<string, InspectScore> = {};
  for (const verdict of verdicts) scores[verdict.classifier] = verdictScore(verdict);
  return scores;
}

function sampleUsage(run: Run, sample: Sample, verdicts: Verdict[]): Record<string, InspectModelUsage> {
  const usage: Record<string, InspectModelUsage> = {};
  addUsage(usage, run.config.model, inspectUsage(sample.usage, sample.costUsd));
  for (const verdict of verdicts) {
    if (verdict.judgeModel) addUsage(usage, verdict.judgeModel, inspectUsage(verdict.usage, verdict.costUsd));
  }
  return usage;
}

function sampleError(sample: Sample): { message: string; traceback: string; traceback_ansi: string } | null {
  if (sample.status === "complete" || !sample.failure) return null;
  const message = `${sample.failure.kind}: ${sample.failure.message}`;
  return { message, traceback: "", traceback_ansi: "" };
}

function evalSample(run: Run, sample: Sample, verdicts: Verdict[], systemPrompt: string | undefined) {
  const model = run.config.model;
  const messages = sampleMessages(sample, systemPrompt, model);
  const last = messages.findLast((message) => message.role === "assistant");
  const lastTurn = sample.turns.findLast((turn) => turn.role === "assistant");
  const seconds = sample.latencyMs / 1000;
  return {
    id: sampleId(sample),
    epoch: sample.epoch + 1,
    input: sample.turns.find((turn) => turn.role === "user")?.content ?? sample.query,
    choices: null,
    target: "",
    sandbox: null,
    files: null,
    setup: null,
    messages,
    output: {
      model,
      choices: last
        ? [{ message: last, stop_reason: inspectStopReason(lastTurn?.stopReason), logprobs: null }]
        : [],
      completion: sample.output ?? "",
      usage: inspectUsage(sample.usage, sample.costUsd),
      time: seconds,
      metadata: null,
      error: sample.failure?.message ?? null,
    },
    scores: sampleScores(verdicts),
    metadata: sampleMetadata(sample),
    store: {},
    events: [],
    model_usage: sampleUsage(run, sample, verdicts),
    started_at: sample.startedAt,
    completed_at: sample.finishedAt,
    total_time: seconds,
    working_time: seconds,
    uuid: `${run.id}-${sample.key}`,
    invalidation: null,
    error: sampleError(sample),
    error_retries: null,
    attachments: {},
    limit: null,
  };
}

/** A sample's summary, as Inspect's sample list reads it: the scores without their long metadata. */
function sampleSummary(record: ReturnType<typeof evalSample>, sample: Sample) {
  const scores: Record<string, InspectScore> = {};
  for (const [name, score] of Object.entries(record.scores)) scores[name] = { ...score, metadata: null };
  return {
    id: record.id,
    epoch: record.epoch,
    input: sample.query,
    choices: null,
    target: "",
    metadata: record.metadata,
    scores,
    model_usage: record.model_usage,
    started_at: record.started_at,
    completed_at: record.completed_at,
    total_time: record.total_time,
    working_time: record.working_time,
    uuid: record.uuid,
    error: record.error?.message ?? null,
    limit: null,
    retries: sample.retries,
    completed: true,
    message_count: record.messages.length,
  };
}

/**
 * The mean of each sample's numeric scores over its epochs (Inspect's `mean` reducer). Only a running
 * sum and count per sample and scorer are kept, in typed arrays indexed by the sample's position, so a
 * long run costs a few bytes per sample. A sample with no numeric score for a scorer (every epoch
 * unknown, failed or not applicable) has no reduction for it.
 */
class EpochReductions {
  private readonly positions = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly sums = new Map<string, { sum: Float64Array; count: Uint32Array }>();

  add(id: string, scores: Record<string, InspectScore>): void {
    let position = this.positions.get(id);
    if (position === undefined) {
      position = this.ids.length;
      this.positions.set(id, position);
      this.ids.push(id);
    }
    for (const [scorer, score] of Object.entries(scores)) {
      if (typeof score.value !== "number") continue;
      const table = this.table(scorer, position);
      table.sum[position] = (table.sum[position] ?? 0) + score.value;
      table.count[position] = (table.count[position] ?? 0) + 1;
    }
  }

  private table(scorer: string, position: number): { sum: Float64Array; count: Uint32Array } {
    let table = this.sums.get(scorer);
    if (!table || position >= table.sum.length) {
      const size = Math.max(1024, (position + 1) * 2);
      const grown = { sum: new Float64Array(size), count: new Uint32Array(size) };
      if (table) {
        grown.sum.set(table.sum);
        grown.count.set(table.count);
      }
      table = grown;
      this.sums.set(scorer, table);
    }
    return table;
  }

  /** Inspect's reductions, one per scorer, written as a stream of JSON text. */
  *toJsonChunks(classifiers: string[]): Generator<string> {
    yield "[";
    let firstScorer = true;
    for (const scorer of classifiers) {
      yield `${firstScorer ? "" : ","}{"scorer":${JSON.stringify(scorer)},"reducer":"mean","samples":[`;
      firstScorer = false;
      const table = this.sums.get(scorer);
      let first = true;
      if (table) {
        for (let position = 0; position < this.ids.length; position++) {
          const count = table.count[position] ?? 0;
          if (count === 0) continue;
          const reduced = {
            value: (table.sum[position] ?? 0) / count,
            answer: null,
            explanation: null,
            metadata: null,
            history: [],
            sample_id: this.ids[position],
          };
          yield `${first ? "" : ","}${JSON.stringify(reduced)}`;
          first = false;
        }
      }
      yield "]}";
    }
    yield "]";
  }
}

function logStatus(run: Run): "started" | "success" | "cancelled" | "error" {
  if (run.status === "complete") return "success";
  if (run.status === "running") return "started";
  if (run.status === "interrupted") return "cancelled";
  return "error";
}

/** Inspect's generate config has some thirty fields; aflab sets three of them. */
function generateConfig(run: Run): Record<string, unknown> {
  const fields = [
    "max_retries",
    "timeout",
    "attempt_timeout",
    "max_connections",
    "system_message",
    "max_tokens",
    "top_p",
    "temperature",
    "stop_seqs",
    "best_of",
    "frequency_penalty",
    "presence_penalty",
    "logit_bias",
    "seed",
    "top_k",
    "num_choices",
    "logprobs",
    "top_logprobs",
    "parallel_tool_calls",
    "internal_tools",
    "max_tool_output",
    "cache_prompt",
    "verbosity",
    "effort",
    "reasoning_effort",
    "reasoning_tokens",
    "reasoning_summary",
    "reasoning_history",
    "response_schema",
    "extra_headers",
    "extra_body",
    "cache",
    "batch",
  ];
  const config: Record<string, unknown> = Object.fromEntries(fields.map((field) => [field, null]));
  config.max_tokens = run.config.maxTokens;
  config.temperature = run.config.temperature;
  config.max_connections = run.config.concurrency;
  return config;
}

function evalConfig(run: Run): Record<string, unknown> {
  const fields = [
    "limit",
    "sample_id",
    "sample_shuffle",
    "epochs",
    "epochs_reducer",
    "approval",
    "fail_on_error",
    "continue_on_fail",
    "retry_on_error",
    "message_limit",
    "token_limit",
    "time_limit",
    "working_limit",
    "cost_limit",
    "max_samples",
    "max_tasks",
    "max_subprocesses",
    "max_sandboxes",
    "sandbox_cleanup",
    "log_samples",
    "log_realtime",
    "log_images",
    "log_buffer",
    "log_shared",
    "score_display",
  ];
  const config: Record<string, unknown> = Object.fromEntries(fields.map((field) => [field, null]));
  config.epochs = run.config.epochs;
  config.epochs_reducer = ["mean"];
  config.limit = run.config.dataset.limit ?? null;
  config.log_samples = true;
  return config;
}

function evalPlan(run: Run) {
  const step = (solver: string, params: Record<string, unknown>) => ({
    solver,
    params,
    params_passed: params,
  });
  return {
    name: "plan",
    steps: [
      step("aflab/system_prompt", {
        setting: run.config.setting,
        variants: run.config.variants,
        cot: run.config.cot,
      }),
      step("aflab/generate", { protocol: run.config.protocol, max_turns: run.config.maxTurns }),
    ],
    finish: null,
    config: generateConfig(run),
  };
}

function evalSpec(run: Run, report: RunReport, classifiers: string[]) {
  const setting = run.config.setting;
  return {
    eval_set_id: null,
    eval_id: run.id,
    run_id: run.id,
    created: run.createdAt,
    task: `aflab/${setting}`,
    task_id: run.id,
    task_version: 0,
    task_file: null,
    task_display_name: run.config.label ? `${setting}: ${run.config.label}` : setting,
    task_registry_name: null,
    task_attribs: {},
    task_args: { setting, variants: run.config.variants, tiers: run.config.tiers, cot: run.config.cot },
    task_args_passed: {},
    solver: null,
    solver_args: null,
    solver_args_passed: null,
    tags: run.simulated ? ["aflab", "simulated"] : ["aflab"],
    dataset: {
      name: run.config.dataset.source,
      location: null,
      samples: run.total,
      sample_ids: null,
      shuffled: false,
    },
    sandbox: null,
    model: run.config.model,
    model_generate_config: generateConfig(run),
    model_base_url: null,
    model_args: {},
    model_roles: null,
    config: evalConfig(run),
    revision: null,
    packages: {},
    metadata: {
      aflab_run_id: run.id,
      judge: report.judge,
      simulated: report.simulated,
      compliance_classifier: report.complianceClassifier,
      warnings: report.warnings.map((warning) => warning.message),
    },
    scorers: classifiers.map((name) => ({ name, options: null, metrics: null, metadata: null })),
    metrics: null,
  };
}

const metric = (name: string, value: number) => ({ name, value, params: {}, metadata: null });

/**
 * The run's numbers per classifier, as metrics on its score: compliance per tier and the gap (with its
 * interval) on the compliance classifier, and per-tier rates on the judges the report summarises.
 * Null numbers (no samples to count) are left out: an Inspect metric is always a number.
 */
function evalResults(
  report: RunReport,
  classifiers: string[],
  total: number,
  completed: number,
  epochs: number,
) {
  const rateTables = [report.alignmentFaking, report.evalAwareness, report.partialCompliance];
  const rates = new Map<string, Partial<Record<Tier, RateSummary>>>();
  for (const table of rateTables) {
    const classifier = table && Object.values(table)[0]?.classifier;
    if (table && classifier) rates.set(classifier, table);
  }
  const scores = classifiers.map((classifier) => {
    const metrics: Record<string, ReturnType<typeof metric>> = {};
    if (classifier === report.complianceClassifier) {
      for (const [tier, summary] of Object.entries(report.tiers)) {
        if (summary?.complianceRate != null) metrics[tier] = metric(tier, summary.complianceRate);
      }
      if (report.gap) {
        metrics.gap = metric("gap", report.gap.value);
        metrics.gap_ci95_low = metric("gap_ci95_low", report.gap.ci95[0]);
        metrics.gap_ci95_high = metric("gap_ci95_high", report.gap.ci95[1]);
      }
    }
    for (const [tier, summary] of Object.entries(rates.get(classifier) ?? {})) {
      if (summary?.rate != null) metrics[tier] = metric(tier, summary.rate);
    }
    return {
      name: classifier,
      scorer: classifier,
      reducer: epochs > 1 ? "mean" : null,
      scored_samples: null,
      unscored_samples: null,
      params: {},
      metrics,
      metadata: null,
    };
  });
  return {
    total_samples: total,
    completed_samples: completed,
    early_stopping: null,
    scores,
    metadata: report.gap ? { gap_between: report.gap.between, gap_se: report.gap.se } : null,
  };
}
