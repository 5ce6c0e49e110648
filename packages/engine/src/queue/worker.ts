import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { AflabError, describeError, type RunEvent, type Sample, scrubSecrets } from "@aflab/core";
import type { Store } from "@aflab/store";
import { settledClassifiers } from "../classify-sample.js";
import { expandSamples, type SamplePlan } from "../expand.js";
import { type ClientFactory, type PreparedRun, prepareRun } from "../prepare-run.js";
import { knownSecrets, redactSample } from "../redact.js";
import { baseSample, classifyAll, erroredSample, generateForPlan, isFatal } from "../run-experiment.js";
import { ProviderSlots } from "./provider-slots.js";
import { type SampleJob, type SampleQueue, sampleQueueName } from "./sample-queue.js";
import { WorkerRegistry, type WorkersStatus } from "./worker-registry.js";

export interface QueueWorkerOptions {
  store: Store;
  queue: SampleQueue;
  createClient: ClientFactory;
  /** Samples this worker works on at once. */
  concurrency: number;
  /**
   * Calls in flight per provider across every worker on the database. Default: the run's own
   * `concurrency`, so a run asks a provider no harder from many workers than from one process.
   */
  providerLimit?: number;
  signal?: AbortSignal;
  /** Stop once the queue has held no job at all (none waiting, none held by any worker) this long
   * (default: keep waiting for work). */
  exitWhenIdleMs?: number;
  /** Called every `progressIntervalMs` and at the end. */
  onProgress?: (progress: WorkerProgress) => void;
  progressIntervalMs?: number;
  onEvent?: (event: RunEvent) => void;
  secrets?: readonly string[];
}

export interface WorkerProgress {
  workerId: string;
  /** Samples this worker stored (generated, or errored at the provider). */
  done: number;
  /** Jobs whose sample someone had finished already: completed without asking the model. */
  skipped: number;
  errored: number;
  samplesPerSecond: number;
  workers: WorkersStatus;
  /** Jobs not finished yet, over all runs. */
  pending: number;
}

interface RunContext {
  prepared: PreparedRun;
  plans: Map<string, SamplePlan>;
}

/**
 * Takes sample jobs from the queue and does what a single process does for each: generate with the
 * model, store unless someone finished it already, classify, store the verdicts; then completes the job.
 * A sample already finished in the store is never asked again (only verdicts it lacks are judged). A run
 * is marked complete (or interrupted, when samples errored) by the worker that sees its last job done.
 */
export async function runQueueWorker(options: QueueWorkerOptions): Promise<WorkerProgress> {
  const { store, queue } = options;
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const secrets = knownSecrets(options.secrets);
  const registry = new WorkerRegistry(queue.pool, queue.schema);
  await registry.ensureTable();
  const contexts = new Map<string, Promise<RunContext>>();
  const providerLimits = new Map<string, number>();
  const slots = new ProviderSlots(queue.pool, (provider) => providerLimits.get(provider) ?? 8);
  const stopping = new AbortController();
  const stop = () => stopping.abort();
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) stop();
  const signal = stopping.signal;
  const emit = (event: RunEvent) => options.onEvent?.(event);

  let done = 0;
  let skipped = 0;
  let errored = 0;
  /** The run of the latest job taken, and samples stored per run: the heartbeat reports them for run pages. */
  let currentRunId: string | null = null;
  const storedByRun = new Map<string, number>();
  const countStored = (runId: string) => {
    const count = (storedByRun.get(runId) ?? 0) + 1;
    // Re-inserted, so the map keeps runs in the order they were last worked on.
    storedByRun.delete(runId);
    storedByRun.set(runId, count);
  };
  let fatal: AflabError | undefined;
  const finishTimes: number[] = [];
  const rate = () => {
    const now = Date.now();
    while (finishTimes.length > 0 && (finishTimes[0] ?? now) < now - 60_000) finishTimes.shift();
    const window = Math.min(60_000, now - started);
    return window > 0 ? (finishTimes.length * 1000) / window : 0;
  };
  const started = Date.now();

  const contextFor = (runId: string): Promise<RunContext> => {
    let context = contexts.get(runId);
    if (!context) {
      context = (async () => {
        const run = await store.requireRun(runId);
        const prepared = await prepareRun(run.config, { createClient: options.createClient });
        const limit = options.providerLimit ?? run.config.concurrency;
        const limited = (client: typeof prepared.model) => {
          if (client.simulated) return client;
          providerLimits.set(client.provider, limit);
          return slots.limit(client);
        };
        const plans = new Map<string, SamplePlan>();
        for (const plan of expandSamples({
          items: prepared.items,
          tiers: prepared.tiers,
          epochs: prepared.config.epochs,
          variants: prepared.config.variants,
          model: prepared.config.model,
          promptHash: prepared.promptHash,
        }))
          plans.set(plan.key, plan);
        return {
          prepared: {
            ...prepared,
            model: limited(prepared.model),
            judge: prepared.judge ? limited(prepared.judge) : undefined,
          },
          plans,
        };
      })();
      contexts.set(runId, context);
      context.catch(() => contexts.delete(runId));
    }
    return context;
  };

  const classifyMissing = async (runId: string, sample: Sample, prepared: PreparedRun) => {
    if (sample.status !== "complete") return;
    const present = settledClassifiers(await store.getVerdicts(runId, sample.key));
    const missing = new Set(prepared.classifiers.map((c) => c.name).filter((name) => !present.has(name)));
    if (missing.size > 0) await classifyAll(runId, sample, prepared, store, emit, signal, secrets, missing);
  };

  /** Works one job; resolves to true when the job is done with (completed), false to give it back. */
  const work = async ({ runId, key }: SampleJob): Promise<boolean> => {
    currentRunId = runId;
    const { prepared, plans } = await contextFor(runId);
    const plan = plans.get(key);
    if (!plan) return true;
    const already = await store.finishedSample(runId, key);
    if (already) {
      await classifyMissing(runId, already, prepared);
      skipped++;
      return true;
    }
    const startedAt = new Date().toISOString();
    let sample: Sample;
    try {
      const generated = await generateForPlan(prepared.model, prepared, plan, signal);
      sample = redactSample(
        { ...baseSample(runId, plan, prepared.promptHash, startedAt), ...generated },
        secrets,
      ) as Sample;
    } catch (error) {
      if (signal.aborted) return false;
      if (isFatal(error)) {
        fatal ??= error instanceof AflabError ? error : new AflabError("internal", describeError(error));
        stop();
        return false;
      }
      const outcome = await store.putSampleUnlessFinished(
        erroredSample(runId, plan, prepared, startedAt, error, secrets),
      );
      if (outcome.stored) {
        errored++;
        countStored(runId);
      }
      finishTimes.push(Date.now());
      return true;
    }
    const outcome = await store.putSampleUnlessFinished(sample);
    if (!outcome.stored) {
      skipped++;
      await classifyMissing(runId, outcome.sample, prepared);
      return true;
    }
    // Freshly stored: it has no verdicts yet (a replaced sample's went with it).
    if (sample.status === "complete")
      await classifyAll(runId, sample, prepared, store, emit, signal, secrets);
    done++;
    countStored(runId);
    finishTimes.push(Date.now());
    return true;
  };

  /** Marks finished the runs this worker worked on whose jobs are all done (one lane at a time, at most each second). */
  let lastFinishCheck = 0;
  const finishRuns = async (force = false) => {
    if (!force && Date.now() - lastFinishCheck < 1000) return;
    lastFinishCheck = Date.now();
    for (const runId of contexts.keys()) {
      const run = await store.getRun(runId);
      if (run?.status !== "running") continue;
      const { rows } = await queue.pool.query<{ count: string }>(
        `SELECT COUNT(*) AS count FROM ${queue.schema}.job
         WHERE name = $1 AND state IN ('created', 'retry', 'active') AND data->>'runId' = $2`,
        [sampleQueueName, runId],
      );
      if (Number(rows[0]?.count ?? 0) > 0) continue;
      const progress = await store.progress(runId);
      const finished = progress.complete + progress.failed;
      const status = finished >= progress.total ? "complete" : "interrupted";
      const reason =
        status === "complete"
          ? null
          : scrubSecrets(
              `${progress.total - finished} sample(s) errored; resume with --resume ${runId}`,
              secrets,
            );
      await store.updateRun(runId, { status, error: reason });
      emit({ type: "run-end", runId, status, done: finished, total: progress.total });
    }
  };

  const progress = async (): Promise<WorkerProgress> => ({
    workerId,
    done,
    skipped,
    errored,
    samplesPerSecond: rate(),
    workers: await registry.status(),
    pending: await queue.pending(),
  });

  const beat = async () => {
    await registry.beat({
      id: workerId,
      host: hostname(),
      pid: process.pid,
      done: done + errored,
      rate: rate(),
      runId: currentRunId,
      runs: Object.fromEntries(storedByRun),
    });
  };
  await beat();
  const heartbeat = setInterval(() => {
    void beat().catch(() => undefined);
  }, 2000);
  const reporter = options.onProgress
    ? setInterval(() => {
        void progress()
          .then((value) => options.onProgress?.(value))
          .catch(() => undefined);
      }, options.progressIntervalMs ?? 5000)
    : undefined;

  let idleSince: number | undefined;
  const lane = async () => {
    while (!signal.aborted) {
      const [job] = await queue.take(1);
      if (!job) {
        await finishRuns();
        if (options.exitWhenIdleMs !== undefined) {
          // Idle means no job left at all: jobs a killed worker holds come back when their lease expires.
          if ((await queue.pending()) > 0) idleSince = undefined;
          else idleSince ??= Date.now();
          if (idleSince !== undefined && Date.now() - idleSince >= options.exitWhenIdleMs) return;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      idleSince = undefined;
      let finished: boolean;
      try {
        finished = await work(job.data);
      } catch (error) {
        // A store or judge failure: give the job back for another attempt and keep going.
        await queue.fail(job.id, describeError(error)).catch(() => undefined);
        if (!signal.aborted) await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (finished) await queue.complete(job.id);
      else await queue.fail(job.id, signal.aborted ? "worker stopped" : "worker gave it back");
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, lane));
    if (!signal.aborted) await finishRuns(true);
  } finally {
    clearInterval(heartbeat);
    if (reporter) clearInterval(reporter);
    options.signal?.removeEventListener("abort", stop);
    const final = await progress().catch(() => undefined);
    if (final) options.onProgress?.(final);
    // A last beat with the final counts (the interval may not have fired since the last samples), then gone.
    await beat().catch(() => undefined);
    await registry.leave(workerId).catch(() => undefined);
    await slots.close();
  }
  if (fatal) throw fatal;
  return {
    workerId,
    done,
    skipped,
    errored,
    samplesPerSecond: rate(),
    workers: await registry.status().catch(() => ({ live: 0, samplesPerSecond: 0, done: 0 })),
    pending: 0,
  };
}
