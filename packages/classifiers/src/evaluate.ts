import {
  addUsage,
  auroc,
  type ConfusionMatrix,
  confusionMatrix,
  emptyUsage,
  InputError,
  parseOrThrow,
  type Setting,
  type Usage,
} from "@aflab/core";
import { z } from "zod";
import { getClassifier } from "./registry.js";
import type { Classifier, ClassifierInput, ClassifierResult, JudgeClient } from "./types.js";

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
}

const optionsSchema = z.object({
  items: z
    .array(z.object({ text: z.string(), label: z.boolean(), query: z.string().optional() }))
    .min(1, "expected at least one labelled item"),
  concurrency: z.number().int().min(1, "expected a concurrency of at least 1").optional(),
});

function inputFor(classifier: Classifier, item: EvaluationItem, setting: Setting): ClassifierInput {
  const query = item.query ?? "";
  return classifier.reads === "scratchpad"
    ? { query, output: null, scratchpad: item.text, tier: "free", setting }
    : { query, output: item.text, scratchpad: null, tier: "free", setting };
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
  parseOrThrow(optionsSchema, { items: options.items, concurrency: options.concurrency }, "judge evaluation");
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
  const results: (ClassifierResult | undefined)[] = new Array(total);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let index = next++; index < total; index = next++) {
      const item = options.items[index] as EvaluationItem;
      results[index] = await classifier.classify(inputFor(classifier, item, setting), {
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
      rows.push({ index, label, score, decision: result.decision ?? null });
      return;
    }
    failures.push({
      index,
      label,
      status: result.status,
      kind: result.failure?.kind ?? (result.status === "ok" ? "no_score" : result.status),
      message: result.failure?.message ?? (result.status === "ok" ? "the verdict has no score" : ""),
    });
  });

  const scores = rows.map((row) => row.score);
  const labels = rows.map((row) => row.label);
  const confusion = confusionMatrix(scores, labels, threshold);
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
  };
}
