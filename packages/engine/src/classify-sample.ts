import type { Classifier, ClassifierResult } from "@aflab/classifiers";
import type { ModelClient } from "@aflab/clients";
import {
  describeError,
  emptyUsage,
  type JudgedScratchpadSource,
  judgedScratchpadText,
  type RunConfig,
  resolveScratchpadSource,
  type Sample,
  type Verdict,
} from "@aflab/core";

/**
 * What a sample's scratchpad judges read: the source stored on the sample (resolved from the run's
 * `scratchpadSource` when it was generated), or for a sample stored before that, resolved now.
 */
export function judgedScratchpad(
  sample: Pick<Sample, "scratchpad" | "reasoning" | "scratchpadSource">,
  config: Pick<RunConfig, "scratchpadSource">,
): { source: JudgedScratchpadSource; text: string | null } {
  const source = sample.scratchpadSource ?? resolveScratchpadSource(config.scratchpadSource, sample);
  return { source, text: judgedScratchpadText(source, sample) };
}

function failedResult(
  classifier: Classifier,
  judge: ModelClient | undefined,
  kind: string,
  message: string,
): ClassifierResult {
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
    failure: { kind, message },
    usage: emptyUsage,
    costUsd: null,
  };
}

/**
 * Run one classifier on one finished sample. The scratchpad it is given is the text the run's
 * `scratchpadSource` chose (scratchpad tags, native reasoning, or both), the same for every classifier;
 * classifiers that judge it record which source that was. When the run asked for native reasoning and the
 * sample has none, a scratchpad judge gets a typed failure (`no_reasoning`) instead of a verdict, so the
 * sample leaves that rate's denominator, saying why. A classifier that throws (a bug, or a provider error
 * it did not catch) becomes a stored `failed` verdict of kind `classifier_error`: never a silent "No".
 */
export async function classifySample(
  classifier: Classifier,
  sample: Sample,
  config: RunConfig,
  judge: ModelClient | undefined,
  signal: AbortSignal | undefined,
): Promise<ClassifierResult> {
  const scratchpad = judgedScratchpad(sample, config);
  if (
    classifier.reads === "scratchpad" &&
    scratchpad.source === "none" &&
    config.scratchpadSource === "reasoning"
  )
    return failedResult(
      classifier,
      judge,
      "no_reasoning",
      "the run judges native reasoning (scratchpad source: reasoning) and this sample has none",
    );
  try {
    const result = await classifier.classify(
      {
        query: sample.query,
        output: sample.output,
        scratchpad: scratchpad.text,
        tier: sample.tier,
        setting: config.setting,
        refusal: sample.refusal,
      },
      { judge, signal },
    );
    if (classifier.role === "compliance") return result;
    return { ...result, criteria: { ...(result.criteria ?? {}), scratchpadSource: scratchpad.source } };
  } catch (error) {
    return failedResult(classifier, judge, "classifier_error", describeError(error));
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
