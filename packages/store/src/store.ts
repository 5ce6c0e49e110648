import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
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
import { z } from "zod";
import * as aggregates from "./aggregates.js";
import type {
  BatchPatch,
  BatchRequest,
  BatchRequestResult,
  NewBatch,
  NewBatchRequest,
  RunBatch,
} from "./batches.js";
import * as batches from "./batches.js";
import * as items from "./items.js";
import * as labels from "./labels.js";
import type { LeaseClaim, RunLease } from "./leases.js";
import * as leases from "./leases.js";
import { applyMigrations, currentVersion, schemaVersion as knownVersion } from "./migrations.js";
import type {
  PromptSet,
  PromptSetInput,
  PromptSetMember,
  PromptSetMemberInput,
  PromptSetSummary,
} from "./prompt-sets.js";
import * as promptSets from "./prompt-sets.js";
import { sqliteResponseCache } from "./response-cache.js";
import type { Sweep } from "./rows.js";
import * as runs from "./runs.js";
import type { SampleQueryInput } from "./sample-query.js";
import * as samples from "./samples.js";
import { openSqlite, type SqliteConnection, type SqliteDriver } from "./sqlite-connection.js";
import { SqliteDb } from "./sqlite-db.js";
import * as staged from "./staged-verdicts.js";
import * as sweeps from "./sweeps.js";
import type {
  CreateSweepInput,
  DecisionCounts,
  IterateSamplesOptions,
  JointOutcome,
  ListRunsOptions,
  OpenStoreOptions,
  PairedOutcome,
  RunPatch,
  RunProgress,
  RunUsage,
  SampleNeighbours,
  SampleSummary,
  Store,
  TierCounts,
} from "./types.js";
import * as verdicts from "./verdicts.js";

const pathSchema = z.string().min(1, "expected a file path or :memory:");
const busyTimeoutSchema = z.number().int().nonnegative("expected 0 or more milliseconds").default(5000);

/**
 * Open (creating if needed) the SQLite store at `path`, or an in-memory one for `:memory:`.
 * Parent directories are created; the schema is created or upgraded by numbered migrations; the
 * journal is WAL so readers (the API, a second CLI) never block the writer. With `readOnly` nothing is
 * created or upgraded and every write rejects.
 *
 * @example
 * const store = openStore(defaultDbPath());
 * const { runs } = await store.listRuns({ limit: 10 });
 * await store.close();
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  const location = parseOrThrow(pathSchema, path, "store path");
  const busyTimeoutMs = parseOrThrow(busyTimeoutSchema, options.busyTimeoutMs, "store option busyTimeoutMs");
  const readOnly = parseOrThrow(z.boolean().default(false), options.readOnly, "store option readOnly");
  const driver = options.driver;
  if (readOnly) return openReadOnly(location, busyTimeoutMs, driver);
  if (location !== ":memory:") mkdirSync(dirname(resolve(location)), { recursive: true });
  const db = openSqlite(location, { timeout: busyTimeoutMs, driver });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    const version = applyMigrations(db, undefined, location);
    return new SqliteStore(db, location, version, false, fileIdentity(location));
  } catch (error) {
    db.close();
    throw error;
  }
}

function openReadOnly(location: string, busyTimeoutMs: number, driver?: SqliteDriver): Store {
  if (location === ":memory:") {
    throw new InputError("a read-only store needs a database file, not :memory:", { field: "path" });
  }
  if (!existsSync(location)) throw new InputError(`no store at ${location}`, { field: "path" });
  const directory = dirname(resolve(location));
  // The permission bits say what the owner meant even where the process could write anyway (as root).
  let directoryWritable = (statSync(directory).mode & 0o222) !== 0;
  try {
    accessSync(directory, constants.W_OK);
  } catch {
    directoryWritable = false;
  }
  const db = directoryWritable
    ? openSqlite(location, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs, driver })
    : openSqlite(archiveBytes(location), { readonly: true, driver });
  try {
    const version = currentVersion(db);
    if (version !== knownVersion) {
      throw new InputError(
        version > knownVersion
          ? `${location} has schema version ${version}, newer than this version of @aflab/store understands (${knownVersion}): upgrade aflab to open it`
          : `${location} has schema version ${version}, older than ${knownVersion}: open it writable once to upgrade it`,
        { field: "schema_migrations" },
      );
    }
    return new SqliteStore(db, location, version, true, fileIdentity(location));
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * A WAL database needs its shared-memory file beside it, which a read-only directory cannot hold (and this
 * SQLite build takes no `immutable` URI). Such an archive cannot change under us, so its bytes are read
 * once and served from memory, marked as a rollback-journal database (header bytes 18 and 19), which is
 * the only kind SQLite opens from memory. A cleanly closed store keeps nothing in its log.
 */
function archiveBytes(location: string): Buffer {
  const bytes = readFileSync(location);
  if (bytes.length > 19 && bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return bytes;
}

/** The device and inode of the file at `location` (undefined for `:memory:` or a missing file). */
function fileIdentity(location: string): { dev: number; ino: number } | undefined {
  if (location === ":memory:") return undefined;
  const stats = statSync(location, { throwIfNoEntry: false });
  return stats ? { dev: stats.dev, ino: stats.ino } : undefined;
}

/** The SQLite adapter of `Store`: each method delegates to its table's module over one shared connection. */
class SqliteStore implements Store {
  readonly path: string;
  readonly schemaVersion: number;
  readonly readOnly: boolean;
  private readonly db: SqliteDb;
  private cache: ResponseCache | undefined;
  private readonly identity: { dev: number; ino: number } | undefined;

  constructor(
    connection: SqliteConnection,
    path: string,
    schemaVersion: number,
    readOnly: boolean,
    identity?: { dev: number; ino: number },
  ) {
    this.identity = identity;
    this.db = new SqliteDb(connection);
    this.path = path;
    this.schemaVersion = schemaVersion;
    this.readOnly = readOnly;
  }

  /** Runs a write, rejecting with a clear message on a read-only store instead of SQLite's. */
  private async write<T>(work: (db: SqliteDb) => T): Promise<T> {
    if (this.readOnly) {
      throw new InputError(`the store ${this.path} is open read-only`, { field: "store" });
    }
    return work(this.db);
  }

  private async read<T>(work: (db: SqliteDb) => T): Promise<T> {
    return work(this.db);
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
    return samples.iterateSamples(this.db, runId, options);
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
    return this.read((db) => items.itemSampleKeys(db.connection, runId, itemId));
  }
  itemNeighbours(runId: string, itemId: string): Promise<ItemNeighbours> {
    return this.read((db) => items.itemNeighbours(db.connection, runId, itemId));
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
    return verdicts.iterateVerdicts(this.db, runId, classifier);
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
    return aggregates.pairedOutcomes(this.db, runA, runB, classifier);
  }
  runUsage(runId: string): Promise<RunUsage> {
    return this.read((db) => aggregates.runUsage(db, runId));
  }
  progress(runId: string): Promise<RunProgress> {
    return this.read((db) => aggregates.progress(db, runId));
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

  createSweep(sweep: CreateSweepInput): Promise<Sweep> {
    return this.write((db) => sweeps.createSweep(db, sweep));
  }
  getSweep(id: string): Promise<Sweep | undefined> {
    return this.read((db) => sweeps.getSweep(db, id));
  }
  listSweeps(): Promise<Sweep[]> {
    return this.read((db) => sweeps.listSweeps(db));
  }

  responseCache(): ResponseCache {
    this.cache ??= sqliteResponseCache(this.db.connection);
    return this.cache;
  }

  acquireRunLease(
    runId: string,
    claim: LeaseClaim,
  ): Promise<{ acquired: true; lease: RunLease } | { acquired: false; holder: RunLease }> {
    return this.write((db) =>
      leases.acquireLease(db.connection, parseOrThrow(runs.idSchema, runId, "run id"), claim),
    );
  }
  renewRunLease(runId: string, owner: string, ttlMs: number, now: number): Promise<boolean> {
    return this.write((db) => leases.renewLease(db.connection, runId, owner, ttlMs, now));
  }
  releaseRunLease(runId: string, owner: string): Promise<void> {
    return this.write((db) => leases.releaseLease(db.connection, runId, owner));
  }
  getRunLease(runId: string): Promise<RunLease | undefined> {
    return this.read((db) => leases.readLease(db.connection, runId));
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
  async createBatch(batch: NewBatch, requests: readonly NewBatchRequest[]): Promise<RunBatch> {
    const checked = parseOrThrow(batches.newBatchSchema, batch, "batch");
    const checkedRequests = requests.map((request) =>
      parseOrThrow(batches.newBatchRequestSchema, request, "batch request"),
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
    const checked = parseOrThrow(batches.batchPatchSchema, patch, "batch patch");
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
    if (!this.identity) return;
    const now = fileIdentity(this.path);
    if (!now) {
      throw new AflabError(
        "internal",
        `the store ${this.path} was deleted while in use: results written since are lost`,
      );
    }
    if (now.dev !== this.identity.dev || now.ino !== this.identity.ino) {
      throw new AflabError(
        "internal",
        `the store ${this.path} was replaced by another file while in use: results written since went to the old one`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.db.connection.open) this.db.connection.close();
  }
}
