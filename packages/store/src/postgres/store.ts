import {
  AflabError,
  type HumanLabel,
  type HumanLabelFieldsInput,
  InputError,
  type ItemNeighbours,
  parseOrThrow,
  type ResponseCache,
  type Run,
  type RunInput,
  type Sample,
  type SampleInput,
  type SampleStatus,
  type Tier,
  type Verdict,
  type VerdictInput,
} from "@aflab/core";
import type pg from "pg";
import { z } from "zod";
import {
  type BatchPatch,
  type BatchRequest,
  type BatchRequestResult,
  batchPatchSchema,
  type NewBatch,
  type NewBatchRequest,
  newBatchRequestSchema,
  newBatchSchema,
  type RunBatch,
} from "../batches.js";
import type { LeaseClaim, RunLease } from "../leases.js";
import type {
  PromptSet,
  PromptSetInput,
  PromptSetMember,
  PromptSetMemberInput,
  PromptSetSummary,
} from "../prompt-sets.js";
import type { Sweep } from "../rows.js";
import { idSchema } from "../runs.js";
import type { SampleQueryInput } from "../sample-query.js";
import type {
  CreateSweepInput,
  DecisionCounts,
  IterateSamplesOptions,
  JointOutcome,
  ListRunsOptions,
  PairedOutcome,
  RunPatch,
  RunProgress,
  RunUsage,
  SampleNeighbours,
  SampleSummary,
  Store,
  TierCounts,
} from "../types.js";
import * as aggregates from "./aggregates.js";
import * as batches from "./batches.js";
import { connectionError, isConnectionFailure, type PostgresTarget, parsePostgresUrl } from "./connection.js";
import * as items from "./items.js";
import * as labels from "./labels.js";
import * as leases from "./leases.js";
import { applyPostgresMigrations, postgresSchemaVersion, readVersion } from "./migrations.js";
import { createPool, PgDb } from "./pg-db.js";
import * as promptSets from "./prompt-sets.js";
import { postgresResponseCache } from "./response-cache.js";
import * as runs from "./runs.js";
import * as samples from "./samples.js";
import * as staged from "./staged-verdicts.js";
import * as sweeps from "./sweeps.js";
import * as verdicts from "./verdicts.js";

export interface PostgresStoreOptions {
  /** Open without writing: no migration runs and every write rejects. */
  readOnly?: boolean;
  /**
   * A schema (namespace) inside the database to keep the tables in, created if missing: several stores
   * (or test files) can share one database. Default: the URL's `?schema=`, else the connection's search
   * path (usually `public`).
   */
  schema?: string;
  /** Connections in the pool. Default 10. */
  maxConnections?: number;
}

const optionsSchema = z.object({
  readOnly: z.boolean().default(false),
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected a lower-case schema name of letters, digits and _")
    .optional(),
  maxConnections: z.number().int().min(1, "expected at least 1").max(200, "expected at most 200").default(10),
});

/**
 * Opens the PostgreSQL store at `url` (postgres://user:password@host:port/database) and brings its schema
 * up to date. Unreachable servers, refused passwords and missing databases reject with one line naming the
 * host and database, never the password.
 *
 * @example
 * const store = await openPostgresStore("postgres://127.0.0.1:5432/aflab");
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
  const store = createPostgresStore(url, options);
  await store.ready;
  return store;
}

/**
 * The store without waiting for the server: the connection and migrations start now and every call
 * awaits them, so it fits where a store is opened synchronously (the CLI's lazily opened store). A
 * failure to connect rejects the first call, and `ready`.
 */
export function createPostgresStore(url: string, options: PostgresStoreOptions = {}): PostgresStore {
  const target = parsePostgresUrl(url);
  const checked = parseOrThrow(
    optionsSchema,
    { ...options, schema: options.schema ?? target.schema },
    "PostgreSQL store options",
  );
  return new PostgresStore(target, checked);
}

/** The PostgreSQL adapter of `Store`: each method delegates to its table's module over one pool. */
export class PostgresStore implements Store {
  readonly path: string;
  readonly readOnly: boolean;
  /** Resolves once connected and migrated; rejects with the connection error. */
  readonly ready: Promise<void>;
  private version = postgresSchemaVersion;
  private readonly pool: pg.Pool;
  private readonly db: PgDb;
  private readonly target: PostgresTarget;
  private cache: ResponseCache | undefined;
  private closed = false;

  constructor(target: PostgresTarget, options: z.output<typeof optionsSchema>) {
    this.target = target;
    this.path = target.display;
    this.readOnly = options.readOnly;
    this.pool = createPool({
      connectionString: target.connectionString,
      max: options.maxConnections,
      connectionTimeoutMillis: 10_000,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle connection that the server drops is the pool's to replace, not a crash of the process.
    this.pool.on("error", () => undefined);
    this.db = new PgDb(this.pool);
    this.ready = this.prepare(options.schema);
    // Callers that never make a call must not see an unhandled rejection; those that do get it from `ready`.
    this.ready.catch(() => undefined);
  }

  /** Schema version of the database (the version this code writes, once `ready` has resolved). */
  get schemaVersion(): number {
    return this.version;
  }

  private async prepare(schema: string | undefined): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      await this.pool.end().catch(() => undefined);
      throw connectionError(this.target, error);
    }
    try {
      if (this.readOnly) {
        const found = await readVersion(client);
        if (found !== postgresSchemaVersion) {
          throw new InputError(
            `${this.path} has schema version ${found}, expected ${postgresSchemaVersion}: open it writable once to create or upgrade it`,
            { field: "schema_migrations" },
          );
        }
        this.version = found;
      } else {
        this.version = await applyPostgresMigrations(client, this.path, schema);
      }
    } catch (error) {
      client.release();
      await this.pool.end().catch(() => undefined);
      if (isConnectionFailure(error)) throw connectionError(this.target, error);
      throw error;
    }
    client.release();
  }

  private async read<T>(work: (db: PgDb) => Promise<T>): Promise<T> {
    await this.ready;
    try {
      return await work(this.db);
    } catch (error) {
      if (isConnectionFailure(error)) throw connectionError(this.target, error);
      throw error;
    }
  }

  /** Runs a write, rejecting with a clear message on a read-only store. */
  private async write<T>(work: (db: PgDb) => Promise<T>): Promise<T> {
    if (this.readOnly) throw new InputError(`the store ${this.path} is open read-only`, { field: "store" });
    return this.read(work);
  }

  /** An async iterator that waits for the connection before its first page. */
  private async *stream<T>(open: (db: PgDb) => AsyncIterable<T>): AsyncGenerator<T> {
    await this.ready;
    yield* open(this.db);
  }

  createRun(run: RunInput): Promise<Run> {
    return this.write((db) => runs.createRun(db, run));
  }
  getRun(id: string): Promise<Run | undefined> {
    return this.read((db) => runs.getRun(db, id));
  }
  requireRun(id: string): Promise<Run> {
    return this.read((db) => runs.requireRun(db, id));
  }
  listRuns(options?: ListRunsOptions): Promise<{ runs: Run[]; total: number }> {
    return this.read((db) => runs.listRuns(db, options));
  }
  updateRun(id: string, patch: RunPatch): Promise<Run> {
    return this.write((db) => runs.updateRun(db, id, patch));
  }
  deleteRun(id: string): Promise<boolean> {
    return this.write((db) => runs.deleteRun(db, id));
  }
  putSystemPrompt(hash: string, text: string): Promise<void> {
    return this.write((db) => runs.putSystemPrompt(db, hash, text));
  }
  getSystemPrompt(hash: string): Promise<string | undefined> {
    return this.read((db) => runs.getSystemPrompt(db, hash));
  }

  putSample(sample: SampleInput): Promise<Sample> {
    return this.write((db) => samples.putSample(db, sample));
  }
  putSamples(list: SampleInput[]): Promise<Sample[]> {
    return this.write((db) => samples.putSamples(db, list));
  }
  putSampleUnlessFinished(sample: SampleInput): Promise<{ stored: boolean; sample: Sample }> {
    return this.write((db) => samples.putSampleUnlessFinished(db, sample));
  }
  putSamplesUnlessFinished(list: SampleInput[]): Promise<{ stored: boolean; sample: Sample }[]> {
    return this.write((db) => samples.putSamplesUnlessFinished(db, list));
  }
  finishedSample(runId: string, key: string): Promise<Sample | undefined> {
    return this.read((db) => samples.finishedSample(db, runId, key));
  }
  finishedSampleKeys(runId: string): Promise<Set<string>> {
    return this.read((db) => samples.finishedSampleKeys(db, runId));
  }
  sampleKeys(runId: string, status?: SampleStatus): Promise<string[]> {
    return this.read((db) => samples.sampleKeys(db, runId, status));
  }
  getSample(runId: string, key: string): Promise<Sample | undefined> {
    return this.read((db) => samples.getSample(db, runId, key));
  }
  iterateSamples(runId: string, options?: IterateSamplesOptions): AsyncIterableIterator<Sample> {
    return this.stream((db) => samples.iterateSamples(db, runId, options));
  }
  listSamples(runId: string, query?: SampleQueryInput): Promise<{ samples: SampleSummary[]; total: number }> {
    return this.read((db) => samples.listSamples(db, runId, query));
  }
  neighbours(runId: string, key: string, query?: SampleQueryInput): Promise<SampleNeighbours> {
    return this.read((db) => samples.neighbours(db, runId, key, query));
  }
  sampleFailureKinds(runId: string): Promise<Record<string, number>> {
    return this.read((db) => aggregates.sampleFailureKinds(db, runId));
  }
  itemSampleKeys(runId: string, itemId: string): Promise<string[]> {
    return this.read((db) => items.itemSampleKeys(db, runId, itemId));
  }
  itemNeighbours(runId: string, itemId: string): Promise<ItemNeighbours> {
    return this.read((db) => items.itemNeighbours(db, runId, itemId));
  }
  runChangeStamp(runId: string): Promise<string> {
    return this.read((db) => aggregates.runChangeStamp(db, runId));
  }

  putVerdict(verdict: VerdictInput): Promise<Verdict> {
    return this.write((db) => verdicts.putVerdict(db, verdict));
  }
  putVerdicts(list: VerdictInput[]): Promise<Verdict[]> {
    return this.write((db) => verdicts.putVerdicts(db, list));
  }
  getVerdicts(runId: string, sampleKey: string): Promise<Verdict[]> {
    return this.read((db) => verdicts.getVerdicts(db, runId, sampleKey));
  }
  iterateVerdicts(runId: string, classifier?: string): AsyncIterableIterator<Verdict> {
    return this.stream((db) => verdicts.iterateVerdicts(db, runId, classifier));
  }
  classifierNames(runId: string): Promise<string[]> {
    return this.read((db) => aggregates.classifierNames(db, runId));
  }
  failureKinds(runId: string, classifier: string): Promise<Record<string, number>> {
    return this.read((db) => aggregates.failureKinds(db, runId, classifier));
  }
  stageVerdict(verdict: VerdictInput): Promise<Verdict> {
    return this.write((db) => staged.stageVerdict(db, verdict));
  }
  stagedVerdictKeys(runId: string, classifier: string): Promise<Set<string>> {
    return this.read((db) => staged.stagedVerdictKeys(db, runId, classifier));
  }
  stagedClassifiers(runId: string): Promise<string[]> {
    return this.read((db) => staged.stagedClassifiers(db, runId));
  }
  replaceVerdicts(runId: string, classifier: string): Promise<number | undefined> {
    return this.write((db) => staged.replaceVerdicts(db, runId, classifier));
  }

  tierCounts(runId: string, complianceClassifier: string): Promise<Partial<Record<Tier, TierCounts>>> {
    return this.read((db) => aggregates.tierCounts(db, runId, complianceClassifier));
  }
  scratchpadSources(runId: string): Promise<Record<string, number>> {
    return this.read((db) => aggregates.scratchpadSources(db, runId));
  }
  decisionCounts(runId: string, classifier: string): Promise<DecisionCounts> {
    return this.read((db) => aggregates.decisionCounts(db, runId, classifier));
  }
  jointOutcomes(runId: string, classifiers: string[]): Promise<JointOutcome[]> {
    return this.read((db) => aggregates.jointOutcomes(db, runId, classifiers));
  }
  pairedOutcomes(runA: string, runB: string, classifier: string): AsyncIterableIterator<PairedOutcome> {
    return this.stream((db) => aggregates.pairedOutcomes(db, runA, runB, classifier));
  }
  runUsage(runId: string): Promise<RunUsage> {
    return this.read((db) => aggregates.runUsage(db, runId));
  }
  progress(runId: string): Promise<RunProgress> {
    return this.read((db) => aggregates.progress(db, runId));
  }

  createSweep(sweep: CreateSweepInput): Promise<Sweep> {
    return this.write((db) => sweeps.createSweep(db, sweep));
  }
  getSweep(id: string): Promise<Sweep | undefined> {
    return this.read((db) => sweeps.getSweep(db, id));
  }
  listSweeps(): Promise<Sweep[]> {
    return this.read((db) => sweeps.listSweeps(db));
  }

  createPromptSet(set: PromptSetInput): Promise<PromptSet> {
    return this.write((db) => promptSets.createPromptSet(db, set));
  }
  getPromptSet(name: string): Promise<PromptSet | undefined> {
    return this.read((db) => promptSets.getPromptSet(db, name));
  }
  listPromptSets(): Promise<PromptSetSummary[]> {
    return this.read((db) => promptSets.listPromptSets(db));
  }
  putPromptSetMember(member: PromptSetMemberInput): Promise<PromptSetMember> {
    return this.write((db) => promptSets.putPromptSetMember(db, member));
  }
  promptSetMembers(name: string, status?: "accepted" | "rejected"): Promise<PromptSetMember[]> {
    return this.read((db) => promptSets.promptSetMembers(db, name, status));
  }

  putLabel(
    runId: string,
    sampleKey: string,
    fields: HumanLabelFieldsInput,
    now?: string,
  ): Promise<HumanLabel> {
    return this.write((db) => labels.putLabel(db, runId, sampleKey, fields, now));
  }
  getLabels(runId: string, sampleKey: string): Promise<HumanLabel[]> {
    return this.read((db) => labels.getLabels(db, runId, sampleKey));
  }
  listLabels(runId: string): Promise<HumanLabel[]> {
    return this.read((db) => labels.listLabels(db, runId));
  }
  deleteLabel(runId: string, sampleKey: string, labeller: string): Promise<boolean> {
    return this.write((db) => labels.deleteLabel(db, runId, sampleKey, labeller));
  }

  responseCache(): ResponseCache {
    if (!this.cache) {
      const cache = postgresResponseCache(this.db);
      // Cache reads work on a read-only store; writes are refused like every other write.
      this.cache = {
        get: (key) => this.read(() => cache.get(key)),
        set: (key, value) => this.write(() => cache.set(key, value)),
      };
    }
    return this.cache;
  }

  acquireRunLease(
    runId: string,
    claim: LeaseClaim,
  ): Promise<{ acquired: true; lease: RunLease } | { acquired: false; holder: RunLease }> {
    return this.write((db) => leases.acquireLease(db, parseOrThrow(idSchema, runId, "run id"), claim));
  }
  renewRunLease(runId: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.write((db) => leases.renewLease(db, runId, owner, ttlMs, now));
  }
  releaseRunLease(runId: string, owner: string): Promise<void> {
    return this.write((db) => leases.releaseLease(db, runId, owner));
  }
  getRunLease(runId: string): Promise<RunLease | undefined> {
    return this.read((db) => leases.readLease(db, runId));
  }

  /**
   * A server has no file to be deleted or replaced under us; what can go wrong is losing the server, so
   * this checks the connection and rejects (naming host and database) when the server cannot be reached.
   */
  async createBatch(batch: NewBatch, requests: readonly NewBatchRequest[]): Promise<RunBatch> {
    const checked = parseOrThrow(newBatchSchema, batch, "batch");
    const checkedRequests = requests.map((request) =>
      parseOrThrow(newBatchRequestSchema, request, "batch request"),
    );
    return this.write((db) => batches.createBatch(db, checked, checkedRequests));
  }
  getBatch(id: string): Promise<RunBatch | undefined> {
    return this.read((db) => batches.getBatch(db, id));
  }
  recordBatchSubmitted(id: string, providerBatchId: string): Promise<boolean> {
    return this.write((db) => batches.recordBatchSubmitted(db, id, providerBatchId));
  }
  async updateBatch(id: string, patch: BatchPatch): Promise<void> {
    const checked = parseOrThrow(batchPatchSchema, patch, "batch patch");
    return this.write((db) => batches.updateBatch(db, id, checked));
  }
  listBatches(runId?: string): Promise<RunBatch[]> {
    return this.read((db) => batches.listBatches(db, runId));
  }
  batchRequests(batchId: string): Promise<BatchRequest[]> {
    return this.read((db) => batches.batchRequests(db, batchId));
  }
  settleBatchRequests(results: readonly BatchRequestResult[]): Promise<void> {
    return this.write((db) => batches.settleBatchRequests(db, results));
  }
  succeededBatchRequests(runId: string): Promise<BatchRequest[]> {
    return this.read((db) => batches.succeededRequests(db, runId));
  }
  async sampleKeysInBatches(runId: string): Promise<Set<string>> {
    return new Set(await this.read((db) => batches.sampleKeysInFlight(db, runId)));
  }

  async checkFile(): Promise<void> {
    if (this.closed) throw new AflabError("internal", `the store ${this.path} is closed`);
    await this.read((db) => db.get("SELECT 1"));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
