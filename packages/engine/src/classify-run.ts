import { getClassifier } from "@aflab/classifiers";
import { InputError, type RunEventListener } from "@aflab/core";
import type { Store } from "@aflab/store";
import { classifySample, settledClassifiers } from "./classify-sample.js";
import { type ClientFactory, refuseSimulatedJudge } from "./prepare-run.js";
import { runPool } from "./worker-pool.js";

export interface ClassifyRunOptions {
  /** Classifiers to run; default: the run's own. */
  classifiers?: string[];
  /** Judge model id; default: the run's judge. */
  judge?: string;
  /** Let a simulated judge classify a real model's samples (refused otherwise); recorded on the run. */
  allowSimulatedJudge?: boolean;
  createClient: ClientFactory;
  /** Re-run classifiers that already have a verdict (judge calls are still served from the response cache). */
  force?: boolean;
  concurrency?: number;
  onEvent?: RunEventListener;
  signal?: AbortSignal;
}

export interface ClassifyOutcome {
  runId: string;
  classified: number;
  skipped: number;
  failed: number;
}

/**
 * (Re)classify the complete samples of a stored run. Verdicts are upserted; with the response cache on,
 * judge calls made before are not paid again.
 */
export async function classifyRun(
  store: Store,
  runId: string,
  options: ClassifyRunOptions,
): Promise<ClassifyOutcome> {
  const run = store.requireRun(runId);
  const names =
    options.classifiers && options.classifiers.length > 0 ? options.classifiers : run.config.classifiers;
  const classifiers = names.map((name) => getClassifier(name));
  const judgeId = options.judge ?? run.config.judge;
  const needing = classifiers.filter((classifier) => classifier.needsJudge);
  if (needing.length > 0 && !judgeId) {
    throw new InputError(
      `classifier ${needing.map((c) => c.name).join(", ")} needs a judge model: pass --judge provider/model`,
      {
        field: "judge",
      },
    );
  }
  const allowSimulatedJudge = options.allowSimulatedJudge || run.config.allowSimulatedJudge;
  if (needing.length > 0) refuseSimulatedJudge(run.config.model, judgeId, allowSimulatedJudge);
  const config = {
    ...run.config,
    judge: judgeId,
    classifiers: [...new Set([...run.config.classifiers, ...names])],
    ...(allowSimulatedJudge ? { allowSimulatedJudge: true } : {}),
  };
  const judge = judgeId && needing.length > 0 ? options.createClient(judgeId, "judge", config) : undefined;
  // Record the classifiers on the run so reports pick them up.
  store.updateRun(runId, { config });
  const keys = store.sampleKeys(runId, "complete");
  let classified = 0;
  let skipped = 0;
  let failed = 0;
  const total = keys.length;
  options.onEvent?.({ type: "run-start", runId, total, pending: total, simulated: run.simulated });
  let done = 0;
  await runPool(
    keys,
    options.concurrency ?? run.config.concurrency,
    async (key) => {
      const sample = store.getSample(runId, key);
      if (!sample) return;
      const present = settledClassifiers(store.getVerdicts(runId, key));
      for (const classifier of classifiers) {
        if (!options.force && present.has(classifier.name)) {
          skipped++;
          continue;
        }
        const verdict = await classifySample(classifier, sample, config, judge, options.signal);
        // Cancelled mid-call: leave the verdict missing (or as it was) rather than store a false failure.
        if (verdict.status === "failed" && options.signal?.aborted) return;
        store.putVerdict({ ...verdict, runId, sampleKey: key, createdAt: new Date().toISOString() });
        classified++;
        if (verdict.status === "failed") failed++;
        options.onEvent?.({
          type: "judge-end",
          runId,
          key,
          classifier: classifier.name,
          status: verdict.status,
          decision: verdict.decision,
        });
      }
      done++;
      options.onEvent?.({ type: "sample-end", runId, key, status: sample.status, done, total });
    },
    { signal: options.signal },
  );
  options.onEvent?.({
    type: "run-end",
    runId,
    status: options.signal?.aborted ? "interrupted" : "complete",
    done,
    total,
  });
  return { runId, classified, skipped, failed };
}
