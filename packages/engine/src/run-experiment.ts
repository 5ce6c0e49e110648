import { setMaxListeners } from "node:events";
import type { Classifier } from "@aflab/classifiers";
import { type ModelClient, RetriesExhaustedError } from "@aflab/clients";
import {
  AflabError,
  describeError,
  InputError,
  ProviderError,
  type RunConfig,
  type RunConfigInput,
  type RunEvent,
  type RunEventListener,
  type Sample,
  type SampleInput,
  scrubSecrets,
} from "@aflab/core";
import type { Store } from "@aflab/store";
import { runBatches } from "./batch-run.js";
import {
  CircuitBreaker,
  type CircuitBreakerOptions,
  isOutageError,
  outageReason,
} from "./circuit-breaker.js";
import { classifyRun } from "./classify-run.js";
import { classifySample, settledClassifiers } from "./classify-sample.js";
import { BudgetExhaustedError, withRunBudget } from "./cost-budget.js";
import { expandSamples, type SamplePlan } from "./expand.js";
import { generateSample } from "./generate-sample.js";
import { GroupCommit, type GroupCommitOptions } from "./group-commit.js";
import { newRunId } from "./keys.js";
import { type PreparedRun, type PrepareOptions, prepareRun } from "./prepare-run.js";
import { knownSecrets, redactSample, redactVerdict } from "./redact.js";
import { holdRunLease, type RunLeaseOptions } from "./run-lease.js";
import { runPool } from "./worker-pool.js";

export interface RunExperimentOptions extends PrepareOptions, RunLeaseOptions {
  store: Store;
  onEvent?: RunEventListener;
  signal?: AbortSignal;
  /** Attach the run to a sweep. */
  sweepId?: string;
  /** Use this id instead of a fresh one (sweeps derive ids from their cells). */
  runId?: string;
  /** Stop after this many consecutive samples whose provider calls kept failing (default: max(5, concurrency)). */
  consecutiveErrorLimit?: number;
  /** Secret values redacted from everything stored, besides key-shaped text (default: the values of the
   * process's `*_API_KEY`, `*_TOKEN`, `*_SECRET` and `*_PASSWORD` variables). */
  secrets?: readonly string[];
  /** When an outage stops the run: outage answers in a row, and how long to wait for the provider. */
  circuitBreaker?: CircuitBreakerOptions;
  /** Ask the model through its provider's batch API instead of live calls (see `batch-run.ts`). */
  batch?: { pollMs?: number; maxRequestsPerBatch?: number; maxBytesPerBatch?: number };
  /** How samples and verdicts are grouped into commits (default: every 5 ms, or at once when
   * min(64, concurrency) writes wait). Events that report a sample or verdict come after its commit. */
  groupCommit?: GroupCommitOptions;
}

/** Why a run stopped early, as a stable code. */
export type StopCode = "cancelled" | "errors" | "provider_unavailable" | "budget";

export interface RunOutcome {
  runId: string;
  status: "complete" | "interrupted" | "failed";
  /** Samples finished in this invocation. */
  done: number;
  total: number;
  errored: number;
  /** Why the run stopped early, when it did. */
  reason: string | null;
  /** The kind of `reason` (null when the run completed or failed). */
  stopCode: StopCode | null;
}

/** Start a new run: validate everything, then write the run and execute it. */
export async function startRun(config: RunConfigInput, options: RunExperimentOptions): Promise<RunOutcome> {
  return startPreparedRun(await prepareRun(config, { promptSets: options.store, ...options }), options);
}

/** Write and execute a run that `prepareRun` validated (the CLI prepares before it opens the store). */
export async function startPreparedRun(
  prepared: PreparedRun,
  options: Omit<RunExperimentOptions, "createClient" | "datasetCacheDir">,
): Promise<RunOutcome> {
  const runId = options.runId ?? newRunId();
  // Stored for reading only (runs are resumed from their config), so it is stored without secrets.
  await options.store.putSystemPrompt(
    prepared.promptHash,
    scrubSecrets(prepared.system, knownSecrets(options.secrets)),
  );
  await options.store.createRun({
    id: runId,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    status: "running",
    config: prepared.config,
    // Anything simulated: the model under test or the judge (the run record says which side).
    simulated: prepared.model.simulated || (prepared.judge?.simulated ?? false),
    promptHash: prepared.promptHash,
    total: prepared.total,
    sweepId: options.sweepId ?? null,
    error: null,
  });
  return withRunLease(runId, options, (lost) => executeRun(runId, prepared, options, lost));
}

/**
 * Runs `work` while this process holds the run's lease. A lost lease or a vanished store file is
 * handed to `work` as a signal whose reason is the error; the run then fails instead of reporting.
 */
async function withRunLease<Result>(
  runId: string,
  options: Pick<RunExperimentOptions, "store" | "signal" | "waitForLease" | "leaseTtlMs">,
  work: (lost: AbortSignal) => Promise<Result>,
): Promise<Result> {
  const lost = new AbortController();
  const lease = await holdRunLease(options.store, runId, {
    ...(options.waitForLease === undefined ? {} : { waitForLease: options.waitForLease }),
    ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }),
    signal: options.signal,
    onLost: (error) => lost.abort(error),
  });
  try {
    return await work(lost.signal);
  } finally {
    await lease.release();
  }
}

/**
 * Resume a stored run: runs exactly the samples that are missing or errored, and classifies finished
 * samples that lack a verdict. Finished work is never paid for again.
 */
export async function resumeRun(
  runId: string,
  options: RunExperimentOptions & { config?: Partial<RunConfig> },
): Promise<RunOutcome> {
  await options.store.requireRun(runId);
  // The lease comes first: a second process resuming a live run refuses before it writes anything.
  return withRunLease(runId, options, (lost) => resumeHeldRun(runId, options, lost));
}

async function resumeHeldRun(
  runId: string,
  options: RunExperimentOptions & { config?: Partial<RunConfig> },
  lost: AbortSignal,
): Promise<RunOutcome> {
  const run = await options.store.requireRun(runId);
  const prepared = await prepareRun(
    { ...run.config, ...(options.config ?? {}) },
    { promptSets: options.store, ...options },
  );
  if (prepared.promptHash !== run.promptHash) {
    throw new InputError(
      `run ${runId} was made with a different prompt (hash ${run.promptHash}, now ${prepared.promptHash}); start a new run instead`,
      { field: "resume" },
    );
  }
  const newBudget = options.config?.maxCostUsd;
  await options.store.updateRun(runId, {
    status: "running",
    error: null,
    total: prepared.total,
    // A budget raised on resume is the run's budget from now on: its report measures spend against it.
    ...(newBudget === undefined ? {} : { config: { ...run.config, maxCostUsd: newBudget } }),
  });
  const outcome = await executeRun(runId, prepared, options, lost);
  // A forced re-classification that a crash cut short is finished too, once every sample is there: its
  // classifiers' verdicts are swapped in together (judge calls already made come from the cache).
  const unfinished = await options.store.stagedClassifiers(runId);
  if (outcome.status === "complete" && unfinished.length > 0) {
    await classifyRun(options.store, runId, {
      classifiers: unfinished,
      createClient: options.createClient,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.secrets ? { secrets: options.secrets } : {}),
    });
  }
  return outcome;
}

async function executeRun(
  runId: string,
  unbudgeted: PreparedRun,
  options: Omit<RunExperimentOptions, "createClient" | "datasetCacheDir">,
  leaseLost: AbortSignal,
): Promise<RunOutcome> {
  const { store } = options;
  const { config } = unbudgeted;
  const secrets = knownSecrets(options.secrets);
  const emit = (event: RunEvent) => options.onEvent?.(event);
  // Everything in flight listens to this signal: the user's cancellation, a provider outage that the
  // circuit breaker gave up on, and a lost lease or store file all stop the run through it.
  const stopping = new AbortController();
  const signal = stopping.signal;
  // Every request in flight listens on it: many listeners are normal here, not a leak.
  setMaxListeners(0, signal);
  const stopWith = () => stopping.abort();
  options.signal?.addEventListener("abort", stopWith, { once: true });
  let stopReason: { code: StopCode; message: string } | null = null;
  const breaker = new CircuitBreaker(options.circuitBreaker ?? {}, (message) => {
    stopReason ??= { code: "provider_unavailable", message: `provider_unavailable: ${message}` };
    stopWith();
  });
  let fatal: AflabError | undefined;
  const failWith = (error: unknown) => {
    fatal ??=
      error instanceof AflabError
        ? error
        : new AflabError("internal", describeError(error), { cause: error });
    // Lanes waiting for the breaker's admission stop waiting: no new sample starts.
    breaker.dispose();
  };
  const onLeaseLost = () => {
    failWith(leaseLost.reason);
    stopWith();
  };
  if (leaseLost.aborted) onLeaseLost();
  else leaseLost.addEventListener("abort", onLeaseLost, { once: true });
  if (options.signal?.aborted) stopWith();
  // A spending limit stops new requests; those in flight finish and are stored (their worst case fitted).
  let prepared = unbudgeted;
  try {
    prepared = await withRunBudget(store, runId, unbudgeted, (message) => {
      stopReason ??= { code: "budget", message };
      breaker.dispose();
    });
  } catch (error) {
    failWith(error);
  }

  const finished = await store.finishedSampleKeys(runId);
  const plans = () =>
    expandSamples({
      items: prepared.items,
      tiers: prepared.tiers,
      epochs: config.epochs,
      variants: config.variants,
      model: config.model,
      promptHash: prepared.promptHash,
    });
  let pending = 0;
  for (const plan of plans()) if (!finished.has(plan.key)) pending++;
  let done = prepared.total - pending;
  emit({
    type: "run-start",
    runId,
    total: prepared.total,
    pending,
    simulated: prepared.model.simulated || (prepared.judge?.simulated ?? false),
  });

  // Finished samples that a crash left without some verdict get classified first (judge calls only).
  // A failure here fails the run like any other: it must not stay `running` with nobody running it.
  try {
    if (fatal === undefined) await classifyMissingVerdicts(runId, prepared, store, emit, signal, secrets);
  } catch (error) {
    failWith(error);
  }

  let errored = 0;
  let consecutiveErrors = 0;
  const errorLimit = options.consecutiveErrorLimit ?? Math.max(5, config.concurrency);

  const model = observeFirstCall(prepared.model, breaker);

  // Samples and verdicts are committed in groups: one transaction per few milliseconds instead of one per
  // write. A write resolves once committed, and only then is it reported (generation-end, judge-end,
  // sample-end), so everything reported stored survives a crash.
  const commits = new GroupCommit(store, {
    maxWrites: Math.min(64, Math.max(1, config.concurrency)),
    ...options.groupCommit,
  });
  // Another process may resume the same run on the same store file. A sample it finished is never asked
  // again here, and never replaced: its stored transcript and verdicts stay as they are.
  // The store does the check and the write under one write lock, and waits out another process's lock.
  const storeUnlessFinished = async (sample: SampleInput): Promise<Sample | undefined> => {
    const outcome = await commits.putSampleUnlessFinished(sample);
    return outcome.stored ? undefined : outcome.sample;
  };
  const countFinishedElsewhere = (plan: SamplePlan, stored: Sample) => {
    done++;
    emit({ type: "sample-end", runId, key: plan.key, status: stored.status, done, total: prepared.total });
  };

  const generationSettings = (plan: SamplePlan) => generationSettingsFor(prepared, plan);

  /** Stores and classifies a generated sample while its lane goes on to the next request. */
  const persistQueue = new PersistQueue(config.concurrency, failWith);
  const persistSample = async (plan: SamplePlan, sample: SampleInput): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Stored before classification: a crash during judging loses no generation.
    const stored = await storeUnlessFinished(sample);
    if (stored) return countFinishedElsewhere(plan, stored);
    emit({
      type: "generation-end",
      runId,
      key: plan.key,
      status: sample.status,
      retries: sample.retries ?? 0,
    });
    if (sample.status === "complete") {
      await classifyAll(runId, sample as Sample, prepared, commits, emit, signal, secrets);
    }
    done++;
    emit({ type: "sample-end", runId, key: plan.key, status: sample.status, done, total: prepared.total });
  };

  /**
   * Stores a sample whose provider calls kept failing: resume asks it again. Live failures count toward
   * the stop after `errorLimit` in a row; a batch's failed results do not, since a batch that failed or
   * expired hands back all its requests at once, and the run must still collect its other batches.
   */
  const storeErroredSample = async (
    plan: SamplePlan,
    startedAt: string,
    error: unknown,
    countsTowardStop = true,
  ): Promise<void> => {
    const stored = await storeUnlessFinished(erroredSample(runId, plan, prepared, startedAt, error, secrets));
    if (stored) {
      countFinishedElsewhere(plan, stored);
      return;
    }
    errored++;
    if (countsTowardStop) consecutiveErrors++;
    if (countsTowardStop && consecutiveErrors >= errorLimit && !stopReason) {
      stopReason = {
        code: "errors",
        message: `${consecutiveErrors} samples in a row failed at the provider (last: ${describeError(error)})`,
      };
      breaker.dispose();
    }
    emit({ type: "sample-error", runId, key: plan.key, message: describeError(error) });
    emit({ type: "sample-end", runId, key: plan.key, status: "errored", done, total: prepared.total });
  };

  const worker = async (plan: SamplePlan) => {
    const already = await store.finishedSample(runId, plan.key);
    if (already) return countFinishedElsewhere(plan, already);
    emit({ type: "sample-start", runId, key: plan.key, tier: plan.tier });
    const startedAt = new Date().toISOString();
    let sample: SampleInput;
    try {
      const generated = await generateSample(model.client, { ...generationSettings(plan), signal });
      // Redacted before anything else sees it: the judges, the store and the events.
      sample = redactSample(
        { ...baseSample(runId, plan, prepared.promptHash, startedAt), ...generated },
        secrets,
      );
      consecutiveErrors = 0;
    } catch (error) {
      // Not asked because the budget ran out: no failure of the sample, resume asks it.
      if (signal.aborted || error instanceof BudgetExhaustedError) return;
      if (isFatal(error) || (!model.answered() && isUnreachable(error))) {
        failWith(error);
        return;
      }
      return storeErroredSample(plan, startedAt, error);
    }
    // The lane goes on to its next request at once; storing and classifying this sample runs just after,
    // while that request is on the wire. Store writes are synchronous, so done inline they would delay
    // every lane's next request by the writes of all the samples that finished in the same wave.
    await persistQueue.add(() => persistSample(plan, sample));
  };

  // The first model call goes out alone; the other lanes wait until it has answered. A rejected key, an
  // unknown model or an unreachable base URL then costs one request and gives one message, instead of
  // one failed request per lane. After it, the circuit breaker admits samples (one probe at a time while
  // the provider is down).
  let probeStarted = false;
  const gatedWorker = async (plan: SamplePlan) => {
    if (probeStarted) {
      await model.firstCall;
      if (fatal !== undefined || signal.aborted) return;
      const admission = await breaker.admit(signal);
      if (admission === "stop") return;
      try {
        return await worker(plan);
      } finally {
        if (admission === "probe") breaker.probeEnded();
      }
    }
    probeStarted = true;
    try {
      await worker(plan);
    } finally {
      // Also when the first sample failed before it reached the model: no lane may wait forever.
      model.release();
    }
  };

  const pendingPlans = function* () {
    for (const plan of plans()) if (!finished.has(plan.key)) yield plan;
  };
  // Two execution strategies: the live pool of lanes, or the provider's batch API. A run with batches in
  // flight goes on in batches even when resumed without --batch: asked live, their samples would be paid twice.
  const batchOptions =
    options.batch ??
    ((await store.listBatches(runId)).some((batch) =>
      ["submitting", "in_progress", "ended"].includes(batch.state),
    )
      ? {}
      : undefined);
  try {
    if (fatal !== undefined) {
      // Nothing runs after a failure found while preparing (a budget that cannot be kept).
    } else if (batchOptions) {
      if (config.maxCostUsd !== undefined)
        throw new InputError(
          "--max-cost budgets live requests: drop it with --batch (see --dry-run for a batch's cost)",
          {
            field: "batch",
          },
        );
      await runBatches({
        runId,
        model: prepared.model,
        store,
        signal,
        plans: [...pendingPlans()],
        settingsFor: generationSettings,
        finish: async (plan, generated, startedAt) => {
          const sample = redactSample(
            { ...baseSample(runId, plan, prepared.promptHash, startedAt), ...generated },
            secrets,
          );
          await persistQueue.add(() => persistSample(plan, sample));
        },
        fail: (plan, startedAt, error) => storeErroredSample(plan, startedAt, error, false),
        flush: () => persistQueue.drain(),
        emit,
        pollMs: batchOptions.pollMs ?? 30_000,
        maxRequestsPerBatch: batchOptions.maxRequestsPerBatch ?? 2_000,
        maxBytesPerBatch: batchOptions.maxBytesPerBatch ?? 8 * 1024 * 1024,
      });
    } else {
      await runPool(pendingPlans(), config.concurrency, gatedWorker, {
        signal,
        shouldStop: () => fatal !== undefined || stopReason !== null,
      });
    }
  } catch (error) {
    failWith(error);
  }
  // Every generated sample is stored (and classified) before the run reports its end.
  await persistQueue.drain();
  await commits.flush();
  breaker.dispose();
  options.signal?.removeEventListener("abort", stopWith);
  leaseLost.removeEventListener("abort", onLeaseLost);
  // Written to a file that is gone or replaced, the results exist nowhere: that is no outcome to report.
  try {
    await store.checkFile();
  } catch (error) {
    failWith(error);
  }

  const outcome = runOutcome({
    runId,
    total: prepared.total,
    done,
    errored,
    fatal,
    cancelled: options.signal?.aborted === true,
    stopReason,
  });
  await store.updateRun(runId, {
    status: outcome.status,
    error: outcome.reason === null ? null : scrubSecrets(outcome.reason, secrets),
  });
  emit({ type: "run-end", runId, status: outcome.status, done, total: prepared.total });
  if (fatal) throw fatal;
  return outcome;
}

/** The generation settings of one planned sample of a prepared run (shared by the live pool, batches and workers). */
export function generationSettingsFor(prepared: PreparedRun, plan: SamplePlan) {
  const { config } = prepared;
  return {
    system: prepared.system,
    userTurn: prepared.prompt.userTurn(plan.query, plan.tier),
    protocol: config.protocol,
    maxTurns: config.maxTurns,
    temperature: config.temperature,
    maxTokens: config.maxTokens,
    prefill: config.prefill ?? prepared.prompt.prefill,
    epoch: plan.epoch,
    seed: config.seed,
    ...(config.thinkingBudget === undefined ? {} : { thinkingBudget: config.thinkingBudget }),
    scratchpadSource: config.scratchpadSource,
  };
}

/** Generates one planned sample of a prepared run with `client` (the one path every executor shares). */
export function generateForPlan(
  client: ModelClient,
  prepared: PreparedRun,
  plan: SamplePlan,
  signal: AbortSignal | undefined,
) {
  return generateSample(client, { ...generationSettingsFor(prepared, plan), ...(signal ? { signal } : {}) });
}

/** Status and reason of a run that stopped, by precedence: failure, cancellation, a stop, errored samples. */
function runOutcome(state: {
  runId: string;
  total: number;
  done: number;
  errored: number;
  fatal: AflabError | undefined;
  cancelled: boolean;
  stopReason: { code: StopCode; message: string } | null;
}): RunOutcome {
  const { runId, total, done, errored, fatal, cancelled, stopReason } = state;
  const base = { runId, done, total, errored };
  if (fatal) return { ...base, status: "failed", reason: fatal.message, stopCode: null };
  if (cancelled) return { ...base, status: "interrupted", reason: "cancelled", stopCode: "cancelled" };
  if (stopReason) {
    return { ...base, status: "interrupted", reason: stopReason.message, stopCode: stopReason.code };
  }
  if (done < total) {
    return {
      ...base,
      status: "interrupted",
      reason: `${total - done} sample(s) errored; resume with --resume ${runId}`,
      stopCode: "errors",
    };
  }
  return { ...base, status: "complete", reason: null, stopCode: null };
}

/** The stored form of a sample whose provider calls kept failing (typed, so resume retries it). */
export function erroredSample(
  runId: string,
  plan: SamplePlan,
  prepared: PreparedRun,
  startedAt: string,
  error: unknown,
  secrets: readonly string[],
): SampleInput {
  return redactSample(
    {
      ...baseSample(runId, plan, prepared.promptHash, startedAt),
      status: "errored",
      failure: {
        kind: error instanceof ProviderError ? error.code : "error",
        message: describeError(error),
      },
      flags: [],
      output: null,
      scratchpad: null,
      turns: [{ index: 0, role: "user", content: prepared.prompt.userTurn(plan.query, plan.tier) }],
      usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
      costUsd: null,
      retries: error instanceof RetriesExhaustedError ? error.attempts - 1 : 0,
      latencyMs: 0,
    },
    secrets,
  );
}

/**
 * Samples waiting to be stored and classified. At most `limit` wait at once, so slow judges cannot pile
 * them up: `add` waits for room. A task's failure goes to `onFailure` (it fails the run).
 */
class PersistQueue {
  private readonly tasks = new Set<Promise<void>>();
  /** Workers waiting for room, first come first served: a finished task wakes exactly one. */
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly limit: number,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  async add(work: () => Promise<void>): Promise<void> {
    // Not `Promise.race(this.tasks)`: every waiting worker would hang a reaction on every task and all of
    // them would wake on each finished task, work (and garbage) growing as workers × limit per sample.
    while (this.tasks.size >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const task = work()
      .catch(this.onFailure)
      .finally(() => {
        this.tasks.delete(task);
        this.waiting.shift()?.();
      });
    this.tasks.add(task);
  }

  async drain(): Promise<void> {
    while (this.tasks.size > 0) await Promise.all(this.tasks);
  }
}

export function baseSample(runId: string, plan: SamplePlan, systemPromptHash: string, startedAt: string) {
  return {
    runId,
    key: plan.key,
    index: plan.index,
    itemId: plan.itemId,
    query: plan.query,
    tier: plan.tier,
    epoch: plan.epoch,
    systemPromptHash,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

/** Errors that no other sample would escape: bad keys, unknown models, bad input. They stop the run at once. */
export function isFatal(error: unknown): boolean {
  if (error instanceof InputError) return true;
  if (error instanceof ProviderError) {
    // A 429 that is not worth retrying is an empty account (quota): every other sample would meet it too.
    return (
      error.code === "authentication" ||
      error.status === 401 ||
      error.status === 403 ||
      error.status === 404 ||
      (error.status === 429 && !error.isRetryable)
    );
  }
  return !(error instanceof AflabError);
}

/**
 * True when a call never got an HTTP answer after all its retries (connection refused, unknown host,
 * dropped or timed out every time). Before any call of the run has succeeded, that means a wrong base URL
 * or a server that is not running, and every other sample would fail the same way.
 */
function isUnreachable(error: unknown): boolean {
  return error instanceof RetriesExhaustedError && error.lastError.status === undefined;
}

interface ObservedClient {
  client: ModelClient;
  /** Settles when a call has succeeded, or when `release` is called. */
  firstCall: Promise<void>;
  release: () => void;
  /** True once any call has succeeded. */
  answered: () => boolean;
}

/**
 * The first-call gate: wraps the model under test to tell when its first call settles and whether any
 * call has succeeded, and reports every answer and outage to the circuit breaker.
 */
function observeFirstCall(inner: ModelClient, breaker: CircuitBreaker): ObservedClient {
  let release: () => void = () => {};
  const firstCall = new Promise<void>((resolve) => {
    release = resolve;
  });
  let answered = false;
  return {
    firstCall,
    release,
    answered: () => answered,
    client: {
      id: inner.id,
      provider: inner.provider,
      simulated: inner.simulated,
      supportsPrefill: inner.supportsPrefill,
      ...(inner.nativeReasoning === undefined ? {} : { nativeReasoning: inner.nativeReasoning }),
      async generate(request) {
        let result: Awaited<ReturnType<ModelClient["generate"]>>;
        try {
          // Every attempt of the request tells the breaker whether the provider answered.
          result = await inner.generate({ ...request, onRetry: breaker.onRetry });
        } catch (error) {
          if (isOutageError(error)) breaker.recordOutage(outageReason(error as ProviderError));
          else if (error instanceof ProviderError) breaker.recordAnswer();
          throw error;
        }
        breaker.recordAnswer();
        answered = true;
        // Open the other lanes as soon as the provider has answered once. A failure is not released
        // here: the sample's own error handling must first decide whether it stops the run.
        release();
        return result;
      },
    },
  };
}

export async function classifyAll(
  runId: string,
  sample: Sample,
  prepared: PreparedRun,
  store: Pick<Store, "putVerdict">,
  emit: (event: RunEvent) => void,
  signal: AbortSignal | undefined,
  secrets: readonly string[],
  only?: Set<string>,
): Promise<void> {
  // A verdict is reported once stored; the next classifier judges while it is being written.
  const writes: Promise<void>[] = [];
  for (const classifier of prepared.classifiers) {
    if (only && !only.has(classifier.name)) continue;
    if (signal?.aborted) break;
    const verdict = await classifySample(classifier, sample, prepared.config, prepared.judge, signal);
    // A judge call cut short by the cancellation (or not sent for the budget) is no verdict: stored as a
    // failure it would count as a judge failure for good and keep resume from classifying the sample.
    if (verdict.status === "failed" && (signal?.aborted || prepared.budget?.exhausted)) break;
    const stored = store.putVerdict(
      redactVerdict(
        { ...verdict, runId, sampleKey: sample.key, createdAt: new Date().toISOString() },
        secrets,
      ),
    );
    const reported = stored.then(() =>
      emit({
        type: "judge-end",
        runId,
        key: sample.key,
        classifier: classifier.name,
        status: verdict.status,
        decision: verdict.decision,
      }),
    );
    // Handled below by Promise.all; until then a failed write must not count as an unhandled rejection.
    reported.catch(() => {});
    writes.push(reported);
  }
  await Promise.all(writes);
}

async function classifyMissingVerdicts(
  runId: string,
  prepared: PreparedRun,
  store: Store,
  emit: (event: RunEvent) => void,
  signal: AbortSignal | undefined,
  secrets: readonly string[],
): Promise<void> {
  const names = prepared.classifiers.map((classifier: Classifier) => classifier.name);
  // Keys first: the store's connection cannot write while a read iterator is open.
  const keys = await store.sampleKeys(runId, "complete");
  await runPool(
    keys,
    prepared.config.concurrency,
    async (key) => {
      const present = settledClassifiers(await store.getVerdicts(runId, key));
      const missing = new Set(names.filter((name) => !present.has(name)));
      if (missing.size === 0) return;
      const sample = await store.getSample(runId, key);
      if (sample) await classifyAll(runId, sample, prepared, store, emit, signal, secrets, missing);
    },
    { signal },
  );
}

export type { ModelClient };
