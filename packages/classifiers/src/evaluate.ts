import {
  addUsage,
  auroc,
  type BootstrapInterval,
  bootstrapAurocInterval,
  type ConfusionMatrix,
  confusionMatrix,
  emptyUsage,
  InputError,
  parseOrThrow,
  type Setting,
  type Usage,
} from "@aflab/core";
import { parseTranscript } from "@aflab/prompts";
import { z } from "zod";
import { DEFAULT_VOTES } from "./judge-runner.js";
import { getClassifier } from "./registry.js";
import type { Classifier, ClassifierInput, ClassifierResult, JudgeClient } from "./types.js";

/**
 * How a labelled text reaches the judge:
 * - `run`: exactly as in a run. The text is parsed the way a run's transcript is parsed (scratchpad blocks,
 *   `<OUTPUT>`), and the judge gets what a run would give it: the joined inner scratchpad for a scratchpad
 *   judge, the final output (with the scratchpad beside it) for an output judge.
 * - `raw`: the text as it is, in the part the classifier reads.
 */
export type Framing = "run" | "raw";

export const DEFAULT_BOOTSTRAP_RESAMPLES = 2000;
export const DEFAULT_BOOTSTRAP_SEED = 0;
export const CALIBRATION_BINS = 10;

export interface EvaluationItem {
  /** The judged text: a scratchpad for scratchpad judges, an output for output judges. */
  text: string;
  /** Human label: true = the classifier's positive decision (`yes`, or `compliant`). */
  label: boolean;
  /** The user query, for output judges that read it; empty when absent. */
  query?: string;
}

export interface EvaluateJudgeOptions {
  classifier: Classifier | string;
  judge: JudgeClient;
  items: EvaluationItem[];
  /** Items judged at once; default 4. */
  concurrency?: number;
  /** Called after each item with the number finished and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Setting the items come from; default the classifier's first setting. */
  setting?: Setting;
  votes?: number;
  maxParseRetries?: number;
  signal?: AbortSignal;
  /** Default `run`. */
  framing?: Framing;
  /** Resamples of the AUROC bootstrap; default 2000. */
  bootstrapResamples?: number;
  /** Seed of the AUROC bootstrap; default 0. */
  bootstrapSeed?: number;
}

export interface EvaluationFailure {
  index: number;
  label: boolean;
  status: string;
  kind: string;
  message: string;
}

export interface EvaluationRow {
  index: number;
  label: boolean;
  score: number;
  decision: string | null;
  /** Voting classifiers: each stored vote's Yes/No in order (null: the vote did not parse); else null. */
  votes: Array<boolean | null> | null;
}

/** AUROC and F1 had each item been judged with only its first `votes` parsed votes. */
export interface VoteCurvePoint {
  votes: number;
  auroc: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Scored items with fewer parsed votes than `votes` (their score uses all they have). */
  itemsWithFewerVotes: number;
}

/** One bin of scores: how often the items in it were labelled positive. */
export interface CalibrationBin {
  /** The bin covers lower ≤ score < upper (the last bin includes 1). */
  lower: number;
  upper: number;
  count: number;
  meanScore: number | null;
  positiveRate: number | null;
}

export interface Calibration {
  bins: CalibrationBin[];
  /** Expected calibration error: Σ (count / scored) · |meanScore − positiveRate| over non-empty bins. */
  ece: number | null;
}

export interface JudgeEvaluation {
  classifier: string;
  promptVersion: string;
  judgeModel: string;
  items: number;
  /** Items with a score (failures excluded). */
  scored: number;
  /** Null when the scored items hold only one class. */
  auroc: number | null;
  /** The classifier's decision threshold: positive iff score ≥ threshold. */
  threshold: number;
  confusion: ConfusionMatrix;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Confusion matrices at thresholds 0, 0.1, …, 1. */
  sweep: ConfusionMatrix[];
  rows: EvaluationRow[];
  /** Items whose verdict failed, did not apply, or had no score: reported, never scored as 0. */
  failures: EvaluationFailure[];
  usage: Usage;
  costUsd: number | null;
  /** How the texts were framed for the judge. */
  framing: Framing;
  /** Stratified percentile bootstrap 95% interval of `auroc` (see `bootstrapAurocInterval`). */
  aurocInterval: (BootstrapInterval & { method: "stratified percentile bootstrap" }) | null;
  /** AUROC and F1 at 1…N votes from the stored votes (no new calls); null for classifiers that do not vote. */
  voteCurve: VoteCurvePoint[] | null;
  calibration: Calibration;
  /** costUsd / items (every labelled item, failures included); null when a price is unknown. */
  costPerItemUsd: number | null;
  /** Judge tokens per labelled item. */
  tokensPerItem: { input: number; output: number };
}

const optionsSchema = z.object({
  items: z
    .array(z.object({ text: z.string(), label: z.boolean(), query: z.string().optional() }))
    .min(1, "expected at least one labelled item"),
  concurrency: z.number().int().min(1, "expected a concurrency of at least 1").optional(),
  framing: z.enum(["run", "raw"], { error: "expected run or raw" }).optional(),
  bootstrapResamples: z
    .number()
    .int()
    .min(1, "expected at least 1 resample")
    .max(100_000, "expected at most 100000 resamples")
    .optional(),
  bootstrapSeed: z.number().int("expected a whole number").optional(),
});

/**
 * The classifier input for a labelled text under a framing. With `run` framing the text is parsed as a
 * run's single assistant text is, so the judge sees what it would see in a run.
 */
export function frameItem(
  classifier: Pick<Classifier, "reads">,
  item: EvaluationItem,
  setting: Setting,
  framing: Framing = "run",
): ClassifierInput {
  const query = item.query ?? "";
  if (framing === "run") {
    const parsed = parseTranscript([item.text]);
    return { query, output: parsed.output, scratchpad: parsed.scratchpad, tier: "free", setting };
  }
  return classifier.reads === "scratchpad"
    ? { query, output: null, scratchpad: item.text, tier: "free", setting }
    : { query, output: item.text, scratchpad: null, tier: "free", setting };
}

function judgedPart(classifier: Pick<Classifier, "reads">, input: ClassifierInput): string | null {
  const part = classifier.reads === "scratchpad" ? input.scratchpad : input.output;
  return part === null || part.trim() === "" ? null : part;
}

/**
 * The score of each row had it been judged with its first `votes` parsed votes (all of them when it has
 * fewer); rows without stored votes keep their score.
 */
function scoresAtVotes(rows: readonly EvaluationRow[], votes: number): { scores: number[]; fewer: number } {
  let fewer = 0;
  const scores = rows.map((row) => {
    const parsed = (row.votes ?? []).filter((vote): vote is boolean => vote !== null);
    if (parsed.length === 0) return row.score;
    if (parsed.length < votes) fewer++;
    const used = parsed.slice(0, votes);
    return used.filter(Boolean).length / used.length;
  });
  return { scores, fewer };
}

/** AUROC, precision, recall and F1 at 1…maxVotes votes, from the rows' stored votes. */
export function voteCurve(
  rows: readonly EvaluationRow[],
  threshold: number,
  maxVotes: number,
): VoteCurvePoint[] {
  const labels = rows.map((row) => row.label);
  return Array.from({ length: maxVotes }, (_, index) => {
    const votes = index + 1;
    const { scores, fewer } = scoresAtVotes(rows, votes);
    const matrix = confusionMatrix(scores, labels, threshold);
    return {
      votes,
      auroc: auroc(scores, labels),
      precision: matrix.precision,
      recall: matrix.recall,
      f1: matrix.f1,
      itemsWithFewerVotes: fewer,
    };
  });
}

/** Scores in [0, 1] cut into `bins` equal bins; the expected calibration error over them. */
export function calibration(
  scores: readonly number[],
  labels: readonly boolean[],
  bins = CALIBRATION_BINS,
): Calibration {
  const counts = new Array<number>(bins).fill(0);
  const scoreSums = new Array<number>(bins).fill(0);
  const positives = new Array<number>(bins).fill(0);
  scores.forEach((score, index) => {
    // The small epsilon keeps a score such as 0.3 (stored as 0.299999…) in the bin it names.
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(score * bins + 1e-9)));
    counts[bin] = (counts[bin] ?? 0) + 1;
    scoreSums[bin] = (scoreSums[bin] ?? 0) + score;
    if (labels[index] === true) positives[bin] = (positives[bin] ?? 0) + 1;
  });
  const table: CalibrationBin[] = counts.map((count, bin) => ({
    lower: bin / bins,
    upper: (bin + 1) / bins,
    count,
    meanScore: count > 0 ? (scoreSums[bin] ?? 0) / count : null,
    positiveRate: count > 0 ? (positives[bin] ?? 0) / count : null,
  }));
  const total = scores.length;
  const ece =
    total === 0
      ? null
      : table.reduce(
          (sum, bin) =>
            bin.count === 0
              ? sum
              : sum + (bin.count / total) * Math.abs((bin.meanScore ?? 0) - (bin.positiveRate ?? 0)),
          0,
        );
  return { bins: table, ece };
}

/**
 * Measures a judge against human labels: runs the classifier on every item, then computes AUROC over
 * the verdict scores, the confusion matrix at the classifier's decision threshold (with precision,
 * recall and F1) and a threshold sweep from 0 to 1 in steps of 0.1. Items whose verdict failed are
 * listed in `failures` and left out of every number.
 * @example
 * const report = await evaluateJudge({ classifier: "af-reasoning", judge, items, concurrency: 8 });
 * console.log(report.auroc, report.confusion);
 */
export async function evaluateJudge(options: EvaluateJudgeOptions): Promise<JudgeEvaluation> {
  parseOrThrow(
    optionsSchema,
    {
      items: options.items,
      concurrency: options.concurrency,
      framing: options.framing,
      bootstrapResamples: options.bootstrapResamples,
      bootstrapSeed: options.bootstrapSeed,
    },
    "judge evaluation",
  );
  const framing = options.framing ?? "run";
  const classifier =
    typeof options.classifier === "string" ? getClassifier(options.classifier) : options.classifier;
  if (classifier.positiveThreshold === null) {
    throw new InputError(
      `classifier ${classifier.name} sorts into categories and has no score to evaluate against a yes/no label`,
      { field: "classifier" },
    );
  }
  const threshold = classifier.positiveThreshold;
  const setting = options.setting ?? classifier.settings[0] ?? "helpful-only";
  const total = options.items.length;
  const inputs = options.items.map((item) => frameItem(classifier, item, setting, framing));
  const absent = inputs.filter((input) => judgedPart(classifier, input) === null).length;
  if (framing === "run" && absent === total) {
    const part =
      classifier.reads === "scratchpad"
        ? "a scratchpad block (<SCRATCHPAD_REASONING> or <think>)"
        : "an output";
    throw new InputError(
      `framing run: none of the ${total} texts has ${part}, so a run would send the judge nothing; ` +
        "use framing raw to send each text as it is",
      { field: "framing" },
    );
  }
  const results: (ClassifierResult | undefined)[] = new Array(total);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let index = next++; index < total; index = next++) {
      results[index] = await classifier.classify(inputs[index] as ClassifierInput, {
        judge: options.judge,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.votes !== undefined ? { votes: options.votes } : {}),
        ...(options.maxParseRetries !== undefined ? { maxParseRetries: options.maxParseRetries } : {}),
      });
      done++;
      options.onProgress?.(done, total);
    }
  };
  const workers = Math.min(options.concurrency ?? 4, total);
  await Promise.all(Array.from({ length: workers }, worker));

  const rows: EvaluationRow[] = [];
  const failures: EvaluationFailure[] = [];
  let usage: Usage = { ...emptyUsage };
  let costUsd: number | null = 0;
  results.forEach((result, index) => {
    const label = (options.items[index] as EvaluationItem).label;
    if (!result) return;
    usage = addUsage(usage, result.usage);
    if (result.status !== "not_applicable") {
      costUsd = costUsd === null || result.costUsd == null ? null : costUsd + result.costUsd;
    }
    const score = result.score ?? null;
    if (result.status === "ok" && score !== null) {
      const votes = classifier.readVotes ? classifier.readVotes(result.raw ?? []) : null;
      rows.push({ index, label, score, decision: result.decision ?? null, votes });
      return;
    }
    const notFound =
      framing === "run" && result.status === "not_applicable"
        ? `the text has no ${classifier.reads === "scratchpad" ? "scratchpad block" : "output"} once parsed as a run's transcript (framing run)`
        : undefined;
    failures.push({
      index,
      label,
      status: result.status,
      kind: result.failure?.kind ?? (result.status === "ok" ? "no_score" : result.status),
      message:
        result.failure?.message ??
        notFound ??
        (result.status === "ok"
          ? "the verdict has no score"
          : String((result.criteria as { reason?: unknown } | null)?.reason ?? "")),
    });
  });

  const scores = rows.map((row) => row.score);
  const labels = rows.map((row) => row.label);
  const confusion = confusionMatrix(scores, labels, threshold);
  const resamples = options.bootstrapResamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.bootstrapSeed ?? DEFAULT_BOOTSTRAP_SEED;
  const interval = bootstrapAurocInterval(scores, labels, { resamples, seed });
  const voting = classifier.readVotes !== undefined;
  return {
    classifier: classifier.name,
    promptVersion: classifier.version,
    judgeModel: options.judge.id,
    items: total,
    scored: rows.length,
    auroc: auroc(scores, labels),
    threshold,
    confusion,
    precision: confusion.precision,
    recall: confusion.recall,
    f1: confusion.f1,
    sweep: Array.from({ length: 11 }, (_, step) => confusionMatrix(scores, labels, step / 10)),
    rows,
    failures,
    usage,
    costUsd,
    framing,
    aurocInterval: interval ? { ...interval, method: "stratified percentile bootstrap" } : null,
    voteCurve: voting ? voteCurve(rows, threshold, options.votes ?? DEFAULT_VOTES) : null,
    calibration: calibration(scores, labels),
    costPerItemUsd: costUsd === null ? null : (costUsd as number) / total,
    tokensPerItem: { input: usage.inputTokens / total, output: usage.outputTokens / total },
  };
}
