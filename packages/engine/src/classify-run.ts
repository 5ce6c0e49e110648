import { planClassifiers } from "@aflab/classifiers";
import type { RunEventListener } from "@aflab/core";
import type { Store } from "@aflab/store";
import { classifySample, settledClassifiers } from "./classify-sample.js";
import { type ClientFactory, refuseSimulatedJudge } from "./prepare-run.js";
import { knownSecrets, redactVerdict } from "./redact.js";
import { runPool } from "./worker-pool.js";

export interface ClassifyRunOptions {
  /** Classifiers to run; default: the run's own. */
  classifiers?: string[];
  /** Judge model id; default: the run's judge. */
  judge?: string;
  /** Let a simulated judge classify a real model's samples (refused otherwise); recorded on the run. */
  allowSimulatedJudge?: boolean;
  createClient: ClientFactory;
  /**
   * Replace the verdicts of these classifiers (judge calls are still served from the response cache). The
   * new verdicts are staged and swapped in together once every complete sample has one, so the run never
   * holds old and new verdicts of one classifier side by side; a replacement cut short is continued by the
   * next `classifyRun` or `resumeRun`.
   */
  force?: boolean;
  concurrency?: number;
  onEvent?: RunEventListener;
  signal?: AbortSignal;
  /** Secret values redacted from stored verdicts besides key-shaped text (default: the process's key variables). */
  secrets?: readonly string[];
}

export interface ClassifyOutcome {
  runId: string;
  classified: number;
  skipped: number;
  failed: number;
  /** Classifiers whose verdicts were replaced as a whole by this call. */
  replaced: string[];
  /** Classifiers whose replacement is still unfinished (cancelled): the next classify or resume continues it. */
  unfinished: string[];
}

/**
 * (Re)classify the complete samples of a stored run. Without `force`, classifiers that lack a settled
 * verdict on a sample get one. With `force`, and for any replacement an earlier call left unfinished, the
 * classifier's verdicts are replaced all at once. With the response cache on, judge calls made before are
 * not paid again.
 */
export async function classifyRun(
  store: Store,
  runId: string,
  options: ClassifyRunOptions,
): Promise<ClassifyOutcome> {
  const run = await store.requireRun(runId);
  // A replacement an earlier call left unfinished is continued, whatever is asked now.
  const unfinishedBefore = await store.stagedClassifiers(runId);
  const judgeId = options.judge ?? run.config.judge;
  const plan = planClassifiers({
    setting: run.config.setting,
    classifiers: [
      ...new Set([
        ...(options.classifiers && options.classifiers.length > 0
          ? options.classifiers
          : run.config.classifiers),
        ...unfinishedBefore,
      ]),
    ],
    judge: judgeId,
  });
  const classifiers = plan.classifiers;
  const names = plan.names;
  const needing = classifiers.filter((classifier) => classifier.needsJudge);
  const allowSimulatedJudge = options.allowSimulatedJudge || run.config.allowSimulatedJudge;
  if (needing.length > 0) refuseSimulatedJudge(run.config.model, judgeId, allowSimulatedJudge);
  // The run keeps what it had and gains what was classified now. An exclusion recorded at the start
  // (`-eval-awareness`) goes once that classifier is on the list.
  const merged = [...new Set([...run.config.classifiers, ...plan.recorded])];
  const config = {
    ...run.config,
    judge: judgeId,
    classifiers: merged.filter((name) => !(name.startsWith("-") && merged.includes(name.slice(1)))),
    ...(allowSimulatedJudge ? { allowSimulatedJudge: true } : {}),
  };
  const judge = judgeId && needing.length > 0 ? options.createClient(judgeId, "judge", config) : undefined;
  const secrets = knownSecrets(options.secrets);
  // Record the classifiers on the run so reports pick them up.
  await store.updateRun(runId, { config });
  const replacing = new Map<string, Set<string>>();
  for (const name of options.force ? names : unfinishedBefore) {
    replacing.set(name, await store.stagedVerdictKeys(runId, name));
  }
  const keys = await store.sampleKeys(runId, "complete");
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
      const sample = await store.getSample(runId, key);
      if (!sample) return;
      const present = settledClassifiers(await store.getVerdicts(runId, key));
      for (const classifier of classifiers) {
        const staged = replacing.get(classifier.name);
        if (staged ? staged.has(key) : present.has(classifier.name)) {
          skipped++;
          continue;
        }
        const verdict = await classifySample(classifier, sample, config, judge, options.signal);
        // Cancelled mid-call: leave the verdict missing (or as it was) rather than store a false failure.
        if (verdict.status === "failed" && options.signal?.aborted) return;
        const stored = redactVerdict(
          { ...verdict, runId, sampleKey: key, createdAt: new Date().toISOString() },
          secrets,
        );
        if (staged) await store.stageVerdict(stored);
        else await store.putVerdict(stored);
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
  const replaced: string[] = [];
  if (!options.signal?.aborted) {
    for (const name of replacing.keys()) {
      if ((await store.replaceVerdicts(runId, name)) !== undefined) replaced.push(name);
    }
  }
  options.onEvent?.({
    type: "run-end",
    runId,
    status: options.signal?.aborted ? "interrupted" : "complete",
    done,
    total,
  });
  const unfinished = await store.stagedClassifiers(runId);
  return { runId, classified, skipped, failed, replaced, unfinished };
}
