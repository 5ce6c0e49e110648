import type { Classifier, ClassifierResult } from "@aflab/classifiers";
import type { ModelClient } from "@aflab/clients";
import { describeError, emptyUsage, type RunConfig, type Sample, type Verdict } from "@aflab/core";

/**
 * Run one classifier on one finished sample. A classifier that throws (a bug, or a provider error it did
 * not catch) becomes a stored `failed` verdict of kind `classifier_error`: never a silent "No".
 */
export async function classifySample(
  classifier: Classifier,
  sample: Sample,
  config: RunConfig,
  judge: ModelClient | undefined,
  signal: AbortSignal | undefined,
): Promise<ClassifierResult> {
  try {
    return await classifier.classify(
      {
        query: sample.query,
        output: sample.output,
        scratchpad: sample.scratchpad,
        tier: sample.tier,
        setting: config.setting,
      },
      { judge, signal },
    );
  } catch (error) {
    return {
      classifier: classifier.name,
      status: "failed",
      decision: null,
      score: null,
      judgeModel: judge?.id ?? null,
      promptVersion: classifier.version,
      criteria: null,
      quotes: [],
      raw: [],
      failure: { kind: "classifier_error", message: describeError(error) },
      usage: emptyUsage,
      costUsd: null,
    };
  }
}

/** Failures of the judge's provider or of the classifier itself: worth asking again, unlike a judge that answered badly. */
const transientFailures = new Set(["judge_error", "classifier_error"]);

/**
 * The classifiers whose verdict on a sample is settled. A verdict that failed because the judge could not
 * be reached is not: resume and `classify` ask again, as they re-run errored samples.
 */
export function settledClassifiers(verdicts: readonly Verdict[]): Set<string> {
  return new Set(
    verdicts
      .filter(
        (verdict) => !(verdict.status === "failed" && transientFailures.has(verdict.failure?.kind ?? "")),
      )
      .map((verdict) => verdict.classifier),
  );
}
