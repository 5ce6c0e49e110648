import {
  type HumanLabel,
  type HumanLabelFieldsInput,
  type ItemNeighbours,
  type ResponseCache,
  type Run,
  type RunInput,
  type RunStatus,
  runConfigSchema,
  runStatusSchema,
  type Sample,
  type SampleInput,
  type SampleStatus,
  type Setting,
  sampleSchema,
  settingSchema,
  type Tier,
  type Usage,
  type Verdict,
  type VerdictInput,
  verdictStatusSchema,
} from "@aflab/core";
import { z } from "zod";
import type {
  BatchPatch,
  BatchRequest,
  BatchRequestResult,
  NewBatch,
  NewBatchRequest,
  RunBatch,
} from "./batches.js";
import type { LeaseClaim, RunLease } from "./leases.js";
import type {
  PromptSet,
  PromptSetInput,
  PromptSetMember,
  PromptSetMemberInput,
  PromptSetSummary,
} from "./prompt-sets.js";
import type { Sweep } from "./rows.js";
import type { SampleQueryInput } from "./sample-query.js";

export interface OpenStoreOptions {
  /** How long a statement waits for another connection's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * Open without ever writing: no directory or file is created, no migration runs, and every write
   * rejects. Works on a read-only file in a read-only directory (an archive, a colleague's results).
   */
  readOnly?: boolean;
  /**
   * The SQLite driver: `node` (Node's built-in `node:sqlite`, Node 22.13 and later) or `better-sqlite3`
   * (a native addon; the one for Node 20). Default: the `AFLAB_SQLITE_DRIVER` environment variable when
   * set, else `node` where Node has it, else `better-sqlite3`. Both read and write the same file format.
   */
  driver?: "node" | "better-sqlite3";
}

export const listRunsOptionsSchema = z.object({
  limit: z
    .number()
    .int("expected a whole number")
    .min(1, "expected at least 1")
    .max(1000, "expected at most 1000")
    .default(100),
  offset: z.number().int("expected a whole number").nonnegative("expected 0 or more").default(0),
  status: runStatusSchema.optional(),
  model: z.string().min(1, "expected a model id").optional(),
  setting: settingSchema.optional(),
  sweepId: z.string().min(1, "expected a sweep id").optional(),
  /** Only runs of the simulated model organism (true) or only real models (false). */
  simulated: z.boolean().optional(),
  /** Substring of the run id, label or model (case-insensitive for ASCII). */
  search: z.string().max(1000, "expected at most 1000 characters").optional(),
});

export interface ListRunsOptions {
  limit?: number;
  offset?: number;
  status?: RunStatus;
  model?: string;
  setting?: Setting;
  sweepId?: string;
  simulated?: boolean;
  search?: string;
}

export const runPatchSchema = z.strictObject({
  /** A whole new config (e.g. classifiers added by a later classification pass); validated as a RunConfig. */
  config: runConfigSchema.optional(),
  status: runStatusSchema.optional(),
  error: z.string().nullable().optional(),
  total: z.number().int("expected a whole number").nonnegative("expected 0 or more").optional(),
});
export type RunPatch = z.input<typeof runPatchSchema>;

export const verdictDecisionSchema = z.object({
  status: verdictStatusSchema,
  decision: z.string().nullable(),
  score: z.number().nullable(),
});
/** What a sample listing shows of one verdict. */
export type VerdictDecision = z.infer<typeof verdictDecisionSchema>;

export const sampleSummarySchema = sampleSchema.omit({ turns: true }).extend({
  turnCount: z.number().int().nonnegative(),
  /** Keyed by classifier name. */
  verdicts: z.record(z.string(), verdictDecisionSchema),
});
/** A sample without its turns, with its verdicts' decisions: one row of the viewer's sample table. */
export type SampleSummary = z.infer<typeof sampleSummarySchema>;

export interface SampleNeighbours {
  /** Key of the sample before `key` in the filtered order, or null at the start (or when `key` is not in it). */
  previous: string | null;
  next: string | null;
  /** 1-based position of `key` in the filtered order, or null when the filters exclude it. */
  position: number | null;
  /** Number of samples that match the filters. */
  total: number;
}

/** Samples of one tier by compliance outcome. `n = compliant + refused + unknown + failed` always holds. */
export interface TierCounts {
  n: number;
  compliant: number;
  refused: number;
  /** Of `refused`, samples the provider refused at the API (`refusal.kind` is `api_refusal`). */
  apiRefused: number;
  unknown: number;
  failed: number;
}

/** Per tier, the number of samples per outcome: a decision, or `failed`, `not_applicable`, `missing`
 * (no verdict from that classifier), or `no_decision` (an `ok` verdict without a decision). */
export type DecisionCounts = Partial<Record<Tier, Record<string, number>>>;

/** Samples grouped by tier, generation status and the outcome of each requested classifier, in order. */
export interface JointOutcome {
  tier: Tier;
  status: SampleStatus;
  outcomes: string[];
  count: number;
}

/** One pair of samples from two runs that asked the same item in the same tier and epoch. */
export interface PairedOutcome {
  tier: Tier;
  itemId: string;
  epoch: number;
  /** The query as run A asked it. */
  query: string;
  keyA: string;
  keyB: string;
  /** Compliance outcome in each run: the decision when the generation is complete and the verdict `ok`
   * (`no_decision` if it gave none), else `failed` (failed or errored generation, or failed verdict),
   * `not_applicable` or `missing`. */
  decisionA: string;
  decisionB: string;
}

export interface RunUsage {
  /** Sum over the run's samples. */
  usage: Usage;
  /** Sum of sample costs; null when any sample that used tokens has an unknown cost (an unpriced model),
   * because a partial sum would understate the bill. Samples that used no tokens cost nothing. */
  costUsd: number | null;
  /** Samples that used tokens but have no known cost. */
  unpricedSamples: number;
  retries: number;
  samples: number;
  /** Sum over the run's verdicts (judge calls); same null rule as `costUsd`. */
  judgeUsage: Usage;
  judgeCostUsd: number | null;
  unpricedVerdicts: number;
  verdicts: number;
}

export interface RunProgress {
  /** Samples the run's config expands to. */
  total: number;
  complete: number;
  failed: number;
  errored: number;
}

export interface CreateSweepInput {
  id: string;
  /** Any JSON: the sweep definition as the user wrote it. */
  config: unknown;
  /** Defaults to now. */
  createdAt?: string;
}

export interface IterateSamplesOptions {
  status?: SampleStatus;
  /** Load each sample's turns (default true). Without them `turns` is an empty array. */
  withTurns?: boolean;
}

/**
 * Everything aflab persists. Every call is asynchronous, so that a server database can implement the same
 * interface; the SQLite adapter (`openStore`) answers from one connection in the calling thread. Writes
 * validate with the core schemas; reads parse back into them. Listings that can grow with a run are
 * streamed as async iterators, a page at a time. Every backend passes the same contract suite
 * (`storeContract` in `@aflab/store/testing`).
 */
export interface Store {
  /** The file behind the store, or `:memory:` (a backend's address for other backends). */
  readonly path: string;
  /** Schema version of the open database. */
  readonly schemaVersion: number;
  /** True when the store was opened read-only: every write rejects with an InputError. */
  readonly readOnly: boolean;

  createRun(run: RunInput): Promise<Run>;
  getRun(id: string): Promise<Run | undefined>;
  /** @throws NotFoundError "run X not found" */
  requireRun(id: string): Promise<Run>;
  /** Newest first. */
  listRuns(options?: ListRunsOptions): Promise<{ runs: Run[]; total: number }>;
  updateRun(id: string, patch: RunPatch): Promise<Run>;
  /** Removes the run with its samples, turns and verdicts. False when there was no such run. */
  deleteRun(id: string): Promise<boolean>;

  putSystemPrompt(hash: string, text: string): Promise<void>;
  getSystemPrompt(hash: string): Promise<string | undefined>;

  /** Stores a sample, replacing one with the same key (its turns and verdicts go with it). */
  putSample(sample: SampleInput): Promise<Sample>;
  /** Stores several samples in one transaction: all or none. */
  putSamples(samples: SampleInput[]): Promise<Sample[]>;
  /**
   * Stores `sample` unless a finished (complete or failed) sample with its key is already stored, e.g. by
   * another process resuming the same run. Check and write are atomic: of two writers, one wins and the
   * other gets `{ stored: false, sample: <the winner's> }`. Waiting for another writer's lock is the
   * store's business, not the caller's.
   */
  putSampleUnlessFinished(sample: SampleInput): Promise<{ stored: boolean; sample: Sample }>;
  /**
   * `putSampleUnlessFinished` for several samples in one transaction, so a group of them costs one commit:
   * the answers are in the order of `samples`. All or none: a sample that fails validation rejects the group.
   */
  putSamplesUnlessFinished(samples: SampleInput[]): Promise<{ stored: boolean; sample: Sample }[]>;
  /** The stored sample with this key when it is finished (complete or failed), else undefined. */
  finishedSample(runId: string, key: string): Promise<Sample | undefined>;
  finishedSampleKeys(runId: string): Promise<Set<string>>;
  sampleKeys(runId: string, status?: SampleStatus): Promise<string[]>;
  getSample(runId: string, key: string): Promise<Sample | undefined>;
  /** In index order, a page at a time; the caller may write between items. Bad options reject on the first `next()`. */
  iterateSamples(runId: string, options?: IterateSamplesOptions): AsyncIterableIterator<Sample>;
  listSamples(runId: string, query?: SampleQueryInput): Promise<{ samples: SampleSummary[]; total: number }>;
  neighbours(runId: string, key: string, query?: SampleQueryInput): Promise<SampleNeighbours>;
  /** Failed or errored samples by failure kind. */
  sampleFailureKinds(runId: string): Promise<Record<string, number>>;
  /** Keys of the samples that asked one item (every tier and epoch), epoch by epoch in run order. */
  itemSampleKeys(runId: string, itemId: string): Promise<string[]>;
  /** The run's items before and after `itemId`, each placed at its first sample. */
  itemNeighbours(runId: string, itemId: string): Promise<ItemNeighbours>;
  /** Changes when anything the run's report reads changes (see `runChangeStamp`); cheap, for caches. */
  runChangeStamp(runId: string): Promise<string>;

  /** Stores a verdict, replacing the sample's verdict from the same classifier. */
  putVerdict(verdict: VerdictInput): Promise<Verdict>;
  /** Stores several verdicts in one transaction: all or none. */
  putVerdicts(verdicts: VerdictInput[]): Promise<Verdict[]>;
  getVerdicts(runId: string, sampleKey: string): Promise<Verdict[]>;
  /** In sample order, a page at a time; the caller may write between items. */
  iterateVerdicts(runId: string, classifier?: string): AsyncIterableIterator<Verdict>;
  classifierNames(runId: string): Promise<string[]>;
  /** Writes a verdict of a replacement in progress apart from the run's verdicts (see `replaceVerdicts`). */
  stageVerdict(verdict: VerdictInput): Promise<Verdict>;
  /** Keys of the samples that have a staged verdict from `classifier`. */
  stagedVerdictKeys(runId: string, classifier: string): Promise<Set<string>>;
  /** Classifiers with a replacement in progress (staged verdicts not yet moved in). */
  stagedClassifiers(runId: string): Promise<string[]>;
  /**
   * Moves a classifier's staged verdicts into the run's verdicts in one transaction, replacing the old
   * ones, when every complete sample has one. Resolves to the number moved, or undefined (nothing changed)
   * while some complete sample still lacks a staged verdict.
   */
  replaceVerdicts(runId: string, classifier: string): Promise<number | undefined>;
  /** Failed verdicts of one classifier by failure kind. */
  failureKinds(runId: string, classifier: string): Promise<Record<string, number>>;

  tierCounts(runId: string, complianceClassifier: string): Promise<Partial<Record<Tier, TierCounts>>>;
  /** Complete samples by the text their scratchpad judges read (`tags`, `reasoning`, `both`, `none`). */
  scratchpadSources(runId: string): Promise<Record<string, number>>;
  decisionCounts(runId: string, classifier: string): Promise<DecisionCounts>;
  jointOutcomes(runId: string, classifiers: string[]): Promise<JointOutcome[]>;
  /**
   * Samples of run A paired with samples of run B by (item id, tier, epoch), in run A's order; streamed.
   * An unknown run or a bad classifier rejects on the first `next()`.
   */
  pairedOutcomes(runA: string, runB: string, classifier: string): AsyncIterableIterator<PairedOutcome>;
  runUsage(runId: string): Promise<RunUsage>;
  progress(runId: string): Promise<RunProgress>;

  /** Creates a named prompt set (see `prompt-sets.ts`); a name already taken is an InputError. */
  createPromptSet(set: PromptSetInput): Promise<PromptSet>;
  getPromptSet(name: string): Promise<PromptSet | undefined>;
  /** Newest first, with the count of accepted and rejected members. */
  listPromptSets(): Promise<PromptSetSummary[]>;
  /** Stores a paraphrase at its position once (its hash computed here); the set must exist. */
  putPromptSetMember(member: PromptSetMemberInput): Promise<PromptSetMember>;
  /** @throws NotFoundError for an unknown set. In position order. */
  promptSetMembers(name: string, status?: "accepted" | "rejected"): Promise<PromptSetMember[]>;

  createSweep(sweep: CreateSweepInput): Promise<Sweep>;
  getSweep(id: string): Promise<Sweep | undefined>;
  /** Newest first. */
  listSweeps(): Promise<Sweep[]>;

  /** The response cache on this store (its `get` and `set` are asynchronous already). */
  responseCache(): ResponseCache;
  /** Takes the run's lease (see `leases.ts`): free, expired, or already this owner's. */
  acquireRunLease(
    runId: string,
    claim: LeaseClaim,
  ): Promise<{ acquired: true; lease: RunLease } | { acquired: false; holder: RunLease }>;
  /** Extends `owner`'s lease; false when another process has taken it over. */
  renewRunLease(runId: string, owner: string, ttlMs: number, now: number): Promise<boolean>;
  releaseRunLease(runId: string, owner: string): Promise<void>;
  getRunLease(runId: string): Promise<RunLease | undefined>;

  /**
   * Writes `fields.labeller`'s label of a stored sample, replacing their earlier one (its `createdAt`
   * stays; `now`, default the current time, becomes `updatedAt`).
   * @throws InputError naming the field for a bad label; NotFoundError for a sample that is not stored
   */
  putLabel(
    runId: string,
    sampleKey: string,
    fields: HumanLabelFieldsInput,
    now?: string,
  ): Promise<HumanLabel>;
  /** The sample's labels, oldest first. */
  getLabels(runId: string, sampleKey: string): Promise<HumanLabel[]>;
  /** Every label of the run, in sample order. */
  listLabels(runId: string): Promise<HumanLabel[]>;
  /** False when the labeller had no label on the sample. */
  deleteLabel(runId: string, sampleKey: string, labeller: string): Promise<boolean>;
  /** Writes a provider batch as `submitting` with its requests (see `batches.ts`), before it is submitted. */
  createBatch(batch: NewBatch, requests: readonly NewBatchRequest[]): Promise<RunBatch>;
  getBatch(id: string): Promise<RunBatch | undefined>;
  /** Records the provider's id of a `submitting` batch (now `in_progress`); false when it was not submitting. */
  recordBatchSubmitted(id: string, providerBatchId: string): Promise<boolean>;
  /** Sets a batch's state, counts or end; `abandoned` releases its submitted requests. */
  updateBatch(id: string, patch: BatchPatch): Promise<void>;
  /** A run's batches (every run's without one), oldest first. */
  listBatches(runId?: string): Promise<RunBatch[]>;
  batchRequests(batchId: string): Promise<BatchRequest[]>;
  /** Records requests' results (a succeeded one's reply as JSON) as they are read, in one write. */
  settleBatchRequests(results: readonly BatchRequestResult[]): Promise<void>;
  /** The run's succeeded requests with replies whose samples are not finished, by sample key then round. */
  succeededBatchRequests(runId: string): Promise<BatchRequest[]>;
  /** Keys of the run's samples with a request in a batch being submitted or in flight. */
  sampleKeysInBatches(runId: string): Promise<Set<string>>;
  /**
   * Rejects when the database file at `path` is no longer the one opened (deleted, or replaced by
   * another file): whatever is written from then on is lost, so no result may be reported.
   */
  checkFile(): Promise<void>;
  close(): Promise<void>;
}
