import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  AflabError,
  InputError,
  NotFoundError,
  parseOrThrow,
  type ResponseCache,
  type Run,
  type RunInput,
  runSchema,
  type Sample,
  type SampleInput,
  type SampleStatus,
  sampleSchema,
  sampleStatusSchema,
  type Tier,
  tierSchema,
  type Verdict,
  type VerdictInput,
  verdictSchema,
} from "@aflab/core";
import Database from "better-sqlite3";
import { z } from "zod";
import {
  acquireLease,
  type LeaseClaim,
  type RunLease,
  readLease,
  releaseLease,
  renewLease,
} from "./leases.js";
import { applyMigrations } from "./migrations.js";
import { sqliteResponseCache } from "./response-cache.js";
import {
  type RunRow,
  rowToRun,
  rowToSample,
  rowToSweep,
  rowToVerdict,
  runToRow,
  type SampleRow,
  type Sweep,
  type SweepRow,
  sampleFields,
  sampleToRow,
  sweepSchema,
  type TurnRow,
  turnFields,
  turnToRow,
  usageOf,
  type VerdictRow,
  verdictToRow,
} from "./rows.js";
import {
  escapeLike,
  type SampleQueryInput,
  sampleFilter,
  sampleOrder,
  sampleQuerySchema,
} from "./sample-query.js";
import {
  type CreateSweepInput,
  type DecisionCounts,
  type IterateSamplesOptions,
  type JointOutcome,
  type ListRunsOptions,
  listRunsOptionsSchema,
  type OpenStoreOptions,
  type PairedOutcome,
  type RunPatch,
  type RunProgress,
  type RunUsage,
  runPatchSchema,
  type SampleNeighbours,
  type SampleSummary,
  type Store,
  sampleSummarySchema,
  type TierCounts,
  type VerdictDecision,
} from "./types.js";

/** Rows fetched per page when iterating: bounds memory whatever the run's size. */
const PAGE_SIZE = 500;
/** Most classifiers `jointOutcomes` joins at once (one LEFT JOIN each). */
const MAX_JOINT_CLASSIFIERS = 16;

const idSchema = z.string().min(1, "expected a non-empty id");
const pathSchema = z.string().min(1, "expected a file path or :memory:");
const classifierSchema = z.string().min(1, "expected a classifier name");
/** The columns of a verdict row, shared by `verdicts` and `staged_verdicts`. */
const verdictColumns =
  "run_id, sample_key, classifier, status, decision, score, judge_model, prompt_version, criteria, quotes, raw, " +
  "failure_kind, failure_message, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, reasoning_tokens, " +
  "cost_usd, created_at";
const iterateOptionsSchema = z.object({
  status: sampleStatusSchema.optional(),
  withTurns: z.boolean().default(true),
});
const busyTimeoutSchema = z.number().int().nonnegative("expected 0 or more milliseconds").default(5000);

// The outcome of one classifier for one sample, from a LEFT JOIN on verdicts aliased `alias`.
function outcomeSql(alias: string): string {
  return `CASE WHEN ${alias}.status IS NULL THEN 'missing' WHEN ${alias}.status = 'failed' THEN 'failed' WHEN ${alias}.status = 'not_applicable' THEN 'not_applicable' ELSE COALESCE(${alias}.decision, 'no_decision') END`;
}

/**
 * Open (creating if needed) the SQLite store at `path`, or an in-memory one for `:memory:`.
 * Parent directories are created; the schema is created or upgraded by numbered migrations; the
 * journal is WAL so readers (the API, a second CLI) never block the writer.
 *
 * @example
 * const store = openStore(defaultDbPath());
 * const { runs } = store.listRuns({ limit: 10 });
 * store.close();
 */
export function openStore(path: string, options: OpenStoreOptions = {}): Store {
  const location = parseOrThrow(pathSchema, path, "store path");
  const busyTimeoutMs = parseOrThrow(busyTimeoutSchema, options.busyTimeoutMs, "store option busyTimeoutMs");
  if (location !== ":memory:") mkdirSync(dirname(resolve(location)), { recursive: true });
  const db = new Database(location, { timeout: busyTimeoutMs });
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    const version = applyMigrations(db, undefined, location);
    return new SqliteStore(db, location, version, fileIdentity(location));
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The device and inode of the file at `location` (undefined for `:memory:` or a missing file). */
function fileIdentity(location: string): { dev: number; ino: number } | undefined {
  if (location === ":memory:") return undefined;
  const stats = statSync(location, { throwIfNoEntry: false });
  return stats ? { dev: stats.dev, ino: stats.ino } : undefined;
}

class SqliteStore implements Store {
  readonly path: string;
  readonly schemaVersion: number;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private cache: ResponseCache | undefined;

  private readonly identity: { dev: number; ino: number } | undefined;

  constructor(
    db: Database.Database,
    path: string,
    schemaVersion: number,
    identity?: { dev: number; ino: number },
  ) {
    this.identity = identity;
    this.db = db;
    this.path = path;
    this.schemaVersion = schemaVersion;
  }

  // Statements are compiled once per SQL text; dynamic listings reuse them across calls.
  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  private get<Row>(sql: string, ...params: unknown[]): Row | undefined {
    return this.statement(sql).get(...params) as Row | undefined;
  }

  private all<Row>(sql: string, ...params: unknown[]): Row[] {
    return this.statement(sql).all(...params) as Row[];
  }

  private run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.statement(sql).run(...params);
  }

  // ---- runs ----------------------------------------------------------------------------------------

  createRun(run: RunInput): Run {
    const parsed = parseOrThrow(runSchema, run, "run");
    return this.transaction(() => {
      if (this.get("SELECT 1 FROM runs WHERE id = ?", parsed.id)) {
        throw new InputError(`run ${parsed.id} already exists`, { field: "id" });
      }
      if (parsed.sweepId !== null && !this.get("SELECT 1 FROM sweeps WHERE id = ?", parsed.sweepId)) {
        throw new NotFoundError(`sweep ${parsed.sweepId} not found`);
      }
      this.run(
        `INSERT INTO runs (id, created_at, updated_at, status, config, model, setting, label, simulated, prompt_hash, total, sweep_id, error)
         VALUES (@id, @created_at, @updated_at, @status, @config, @model, @setting, @label, @simulated, @prompt_hash, @total, @sweep_id, @error)`,
        runToRow(parsed),
      );
      return parsed;
    });
  }

  getRun(id: string): Run | undefined {
    const row = this.get<RunRow>("SELECT * FROM runs WHERE id = ?", parseOrThrow(idSchema, id, "run id"));
    return row ? rowToRun(row) : undefined;
  }

  requireRun(id: string): Run {
    const run = this.getRun(id);
    if (!run) throw new NotFoundError(`run ${id} not found`);
    return run;
  }

  listRuns(options: ListRunsOptions = {}): { runs: Run[]; total: number } {
    const query = parseOrThrow(listRunsOptionsSchema, options, "run listing options");
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (query.status) {
      clauses.push("status = ?");
      params.push(query.status);
    }
    if (query.model) {
      clauses.push("model = ?");
      params.push(query.model);
    }
    if (query.setting) {
      clauses.push("setting = ?");
      params.push(query.setting);
    }
    if (query.sweepId) {
      clauses.push("sweep_id = ?");
      params.push(query.sweepId);
    }
    if (query.search) {
      const pattern = `%${escapeLike(query.search)}%`;
      clauses.push("(id LIKE ? ESCAPE '\\' OR label LIKE ? ESCAPE '\\' OR model LIKE ? ESCAPE '\\')");
      params.push(pattern, pattern, pattern);
    }
    const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
    const total =
      this.get<{ total: number }>(`SELECT COUNT(*) AS total FROM runs ${where}`, ...params)?.total ?? 0;
    const rows = this.all<RunRow>(
      `SELECT * FROM runs ${where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
      ...params,
      query.limit,
      query.offset,
    );
    return { runs: rows.map(rowToRun), total };
  }

  updateRun(id: string, patch: RunPatch): Run {
    const changes = parseOrThrow(runPatchSchema, patch, "run update");
    return this.transaction(() => {
      const current = this.requireRun(id);
      const next = parseOrThrow(
        runSchema,
        {
          ...current,
          ...(changes.status !== undefined ? { status: changes.status } : {}),
          ...(changes.error !== undefined ? { error: changes.error } : {}),
          ...(changes.total !== undefined ? { total: changes.total } : {}),
          ...(changes.config !== undefined ? { config: changes.config } : {}),
          updatedAt: new Date().toISOString(),
        },
        "run update",
      );
      const row = runToRow(next);
      this.run(
        `UPDATE runs SET status = @status, error = @error, total = @total, updated_at = @updated_at,
           config = @config, model = @model, setting = @setting, label = @label WHERE id = @id`,
        {
          id: row.id,
          status: row.status,
          error: row.error,
          total: row.total,
          updated_at: row.updated_at,
          config: row.config,
          model: row.model,
          setting: row.setting,
          label: row.label,
        },
      );
      return next;
    });
  }

  deleteRun(id: string): boolean {
    return this.run("DELETE FROM runs WHERE id = ?", parseOrThrow(idSchema, id, "run id")).changes > 0;
  }

  // ---- system prompts --------------------------------------------------------------------------------

  putSystemPrompt(hash: string, text: string): void {
    const checkedHash = parseOrThrow(
      z.string().min(1, "expected a non-empty hash"),
      hash,
      "system prompt hash",
    );
    const checkedText = parseOrThrow(z.string(), text, "system prompt text");
    const existing = this.getSystemPrompt(checkedHash);
    if (existing === undefined) {
      this.run(
        "INSERT INTO system_prompts (hash, text, created_at) VALUES (?, ?, ?) ON CONFLICT(hash) DO NOTHING",
        checkedHash,
        checkedText,
        new Date().toISOString(),
      );
    } else if (existing !== checkedText) {
      // The hash is derived from the text: a different text under the same hash is a bug upstream.
      throw new InputError(`system prompt ${checkedHash} is already stored with a different text`, {
        field: "hash",
      });
    }
  }

  getSystemPrompt(hash: string): string | undefined {
    return this.get<{ text: string }>("SELECT text FROM system_prompts WHERE hash = ?", hash)?.text;
  }

  // ---- samples -------------------------------------------------------------------------------------

  putSample(sample: SampleInput): Sample {
    const parsed = parseOrThrow(sampleSchema, sample, "sample");
    const seen = new Set<number>();
    parsed.turns.forEach((turn, position) => {
      if (seen.has(turn.index)) {
        throw new InputError(
          `invalid sample: turns[${position}].index: turn index ${turn.index} appears twice`,
          {
            field: `turns[${position}].index`,
          },
        );
      }
      seen.add(turn.index);
    });
    this.transaction(() => {
      if (!this.get("SELECT 1 FROM runs WHERE id = ?", parsed.runId)) {
        throw new NotFoundError(`run ${parsed.runId} not found`);
      }
      // Replace, not update: the old turns and verdicts described the old transcript, and the
      // foreign keys cascade them away with the old row.
      this.run("DELETE FROM samples WHERE run_id = ? AND key = ?", parsed.runId, parsed.key);
      const inserted = this.run(
        `INSERT INTO samples (run_id, key, sample_index, item_id, query, tier, epoch, system_prompt_hash, status,
           failure_kind, failure_message, flags, output, scratchpad, reasoning, scratchpad_source, refusal_kind,
           refusal_message, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, reasoning_tokens,
           cost_usd, retries, latency_ms, started_at, finished_at)
         VALUES (@run_id, @key, @sample_index, @item_id, @query, @tier, @epoch, @system_prompt_hash, @status,
           @failure_kind, @failure_message, @flags, @output, @scratchpad, @reasoning, @scratchpad_source, @refusal_kind,
           @refusal_message, @input_tokens, @output_tokens, @cache_write_tokens, @cache_read_tokens, @reasoning_tokens,
           @cost_usd, @retries, @latency_ms, @started_at, @finished_at)`,
        sampleToRow(parsed),
      );
      const sampleId = Number(inserted.lastInsertRowid);
      for (const turn of parsed.turns) {
        this.run(
          `INSERT INTO turns (sample_id, turn_index, role, content, input_tokens, output_tokens, cache_write_tokens,
             cache_read_tokens, reasoning_tokens, stop_reason, prefill, latency_ms, cached, reasoning, refusal)
           VALUES (@sample_id, @turn_index, @role, @content, @input_tokens, @output_tokens, @cache_write_tokens,
             @cache_read_tokens, @reasoning_tokens, @stop_reason, @prefill, @latency_ms, @cached, @reasoning, @refusal)`,
          turnToRow(sampleId, turn),
        );
      }
    });
    return parsed;
  }

  finishedSampleKeys(runId: string): Set<string> {
    const keys = new Set<string>();
    const rows = this.statement(
      "SELECT key FROM samples WHERE run_id = ? AND status IN ('complete', 'failed')",
    ).pluck();
    for (const key of rows.iterate(runId)) keys.add(key as string);
    return keys;
  }

  sampleKeys(runId: string, status?: SampleStatus): string[] {
    const checked = parseOrThrow(sampleStatusSchema.optional(), status, "sample status");
    const sql =
      checked === undefined
        ? "SELECT key FROM samples WHERE run_id = ? ORDER BY sample_index, id"
        : "SELECT key FROM samples WHERE run_id = ? AND status = ? ORDER BY sample_index, id";
    const params = checked === undefined ? [runId] : [runId, checked];
    return this.statement(sql)
      .pluck()
      .all(...params) as string[];
  }

  getSample(runId: string, key: string): Sample | undefined {
    const row = this.get<SampleRow>("SELECT * FROM samples WHERE run_id = ? AND key = ?", runId, key);
    if (!row) return undefined;
    const turns = this.all<TurnRow>("SELECT * FROM turns WHERE sample_id = ? ORDER BY turn_index", row.id);
    return rowToSample(row, turns.map(turnFields));
  }

  iterateSamples(runId: string, options: IterateSamplesOptions = {}): IterableIterator<Sample> {
    const checked = parseOrThrow(iterateOptionsSchema, options, "sample iteration options");
    return this.pagedSamples(runId, checked.status, checked.withTurns);
  }

  /**
   * Pages by (index, id) instead of holding one open cursor: memory stays at one page, and the caller may
   * write (e.g. verdicts) between items, which an open better-sqlite3 iterator would forbid.
   */
  private *pagedSamples(
    runId: string,
    status: SampleStatus | undefined,
    withTurns: boolean,
  ): Generator<Sample> {
    const statusClause = status === undefined ? "" : "AND s.status = ?";
    const sql = `SELECT * FROM samples s WHERE s.run_id = ? ${statusClause}
      AND (s.sample_index, s.id) > (?, ?)
      ORDER BY s.sample_index, s.id LIMIT ${PAGE_SIZE}`;
    let afterIndex = -1;
    let afterId = -1;
    for (;;) {
      const params: unknown[] = status === undefined ? [runId] : [runId, status];
      const rows = this.all<SampleRow>(sql, ...params, afterIndex, afterId);
      if (rows.length === 0) return;
      const turnsBySample = withTurns ? this.turnsFor(rows.map((row) => row.id)) : undefined;
      for (const row of rows) yield rowToSample(row, turnsBySample?.get(row.id) ?? []);
      const last = rows[rows.length - 1] as SampleRow;
      afterIndex = last.sample_index;
      afterId = last.id;
      if (rows.length < PAGE_SIZE) return;
    }
  }

  private turnsFor(sampleIds: number[]): Map<number, unknown[]> {
    const rows = this.all<TurnRow>(
      "SELECT * FROM turns WHERE sample_id IN (SELECT value FROM json_each(?)) ORDER BY sample_id, turn_index",
      JSON.stringify(sampleIds),
    );
    const bySample = new Map<number, unknown[]>();
    for (const row of rows) {
      const list = bySample.get(row.sample_id);
      if (list) list.push(turnFields(row));
      else bySample.set(row.sample_id, [turnFields(row)]);
    }
    return bySample;
  }

  listSamples(runId: string, query: SampleQueryInput = {}): { samples: SampleSummary[]; total: number } {
    const parsed = parseOrThrow(sampleQuerySchema, query, "sample query");
    this.requireRun(runId);
    const filter = sampleFilter(runId, parsed);
    const total =
      this.get<{ total: number }>(
        `SELECT COUNT(*) AS total FROM samples s WHERE ${filter.sql}`,
        ...filter.params,
      )?.total ?? 0;
    const rows = this.all<SampleRow & { turn_count: number }>(
      `SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.sample_id = s.id) AS turn_count
       FROM samples s WHERE ${filter.sql}
       ORDER BY ${sampleOrder(parsed.sort, parsed.order)} LIMIT ? OFFSET ?`,
      ...filter.params,
      parsed.limit,
      parsed.offset,
    );
    const decisions = new Map<string, Record<string, VerdictDecision>>();
    if (rows.length > 0) {
      const verdictRows = this.all<{
        sample_key: string;
        classifier: string;
        status: string;
        decision: string | null;
        score: number | null;
      }>(
        `SELECT sample_key, classifier, status, decision, score FROM verdicts
         WHERE run_id = ? AND sample_key IN (SELECT value FROM json_each(?)) ORDER BY classifier`,
        runId,
        JSON.stringify(rows.map((row) => row.key)),
      );
      for (const verdict of verdictRows) {
        const entry = decisions.get(verdict.sample_key) ?? {};
        entry[verdict.classifier] = {
          status: verdict.status as VerdictDecision["status"],
          decision: verdict.decision,
          score: verdict.score,
        };
        decisions.set(verdict.sample_key, entry);
      }
    }
    const samples = rows.map((row) => {
      const { turns: _turns, ...fields } = sampleFields(row, []);
      return parseOrThrow(
        sampleSummarySchema,
        { ...fields, turnCount: row.turn_count, verdicts: decisions.get(row.key) ?? {} },
        `stored sample ${row.key}`,
      );
    });
    return { samples, total };
  }

  neighbours(runId: string, key: string, query: SampleQueryInput = {}): SampleNeighbours {
    const parsed = parseOrThrow(sampleQuerySchema, query, "sample query");
    this.requireRun(runId);
    const filter = sampleFilter(runId, parsed);
    const rows = this.all<{ key: string; position: number; total: number }>(
      `WITH ordered AS (
         SELECT s.key AS key, ROW_NUMBER() OVER (ORDER BY ${sampleOrder(parsed.sort, parsed.order)}) AS position
         FROM samples s WHERE ${filter.sql}
       ), target AS (SELECT position FROM ordered WHERE key = ?)
       SELECT key, position, (SELECT COUNT(*) FROM ordered) AS total FROM ordered
       WHERE position BETWEEN (SELECT position FROM target) - 1 AND (SELECT position FROM target) + 1
       ORDER BY position`,
      ...filter.params,
      key,
    );
    const target = rows.find((row) => row.key === key);
    if (!target) {
      const total =
        this.get<{ total: number }>(
          `SELECT COUNT(*) AS total FROM samples s WHERE ${filter.sql}`,
          ...filter.params,
        )?.total ?? 0;
      return { previous: null, next: null, position: null, total };
    }
    return {
      previous: rows.find((row) => row.position === target.position - 1)?.key ?? null,
      next: rows.find((row) => row.position === target.position + 1)?.key ?? null,
      position: target.position,
      total: target.total,
    };
  }

  sampleFailureKinds(runId: string): Record<string, number> {
    const rows = this.all<{ kind: string; count: number }>(
      `SELECT failure_kind AS kind, COUNT(*) AS count FROM samples
       WHERE run_id = ? AND failure_kind IS NOT NULL GROUP BY failure_kind ORDER BY failure_kind`,
      runId,
    );
    return Object.fromEntries(rows.map((row) => [row.kind, row.count]));
  }

  // ---- verdicts ------------------------------------------------------------------------------------

  putVerdict(verdict: VerdictInput): Verdict {
    const parsed = parseOrThrow(verdictSchema, verdict, "verdict");
    this.transaction(() => {
      if (!this.get("SELECT 1 FROM samples WHERE run_id = ? AND key = ?", parsed.runId, parsed.sampleKey)) {
        throw new NotFoundError(`sample ${parsed.sampleKey} of run ${parsed.runId} not found`);
      }
      this.run(
        `INSERT INTO verdicts (run_id, sample_key, classifier, status, decision, score, judge_model, prompt_version,
           criteria, quotes, raw, failure_kind, failure_message, input_tokens, output_tokens, cache_write_tokens,
           cache_read_tokens, reasoning_tokens, cost_usd, created_at)
         VALUES (@run_id, @sample_key, @classifier, @status, @decision, @score, @judge_model, @prompt_version,
           @criteria, @quotes, @raw, @failure_kind, @failure_message, @input_tokens, @output_tokens, @cache_write_tokens,
           @cache_read_tokens, @reasoning_tokens, @cost_usd, @created_at)
         ON CONFLICT (run_id, sample_key, classifier) DO UPDATE SET
           status = excluded.status, decision = excluded.decision, score = excluded.score,
           judge_model = excluded.judge_model, prompt_version = excluded.prompt_version, criteria = excluded.criteria,
           quotes = excluded.quotes, raw = excluded.raw, failure_kind = excluded.failure_kind,
           failure_message = excluded.failure_message, input_tokens = excluded.input_tokens,
           output_tokens = excluded.output_tokens, cache_write_tokens = excluded.cache_write_tokens,
           cache_read_tokens = excluded.cache_read_tokens, reasoning_tokens = excluded.reasoning_tokens,
           cost_usd = excluded.cost_usd, created_at = excluded.created_at`,
        verdictToRow(parsed),
      );
    });
    return parsed;
  }

  stageVerdict(verdict: VerdictInput): Verdict {
    const parsed = parseOrThrow(verdictSchema, verdict, "verdict");
    this.transaction(() => {
      if (!this.get("SELECT 1 FROM samples WHERE run_id = ? AND key = ?", parsed.runId, parsed.sampleKey)) {
        throw new NotFoundError(`sample ${parsed.sampleKey} of run ${parsed.runId} not found`);
      }
      this.run(
        `INSERT OR REPLACE INTO staged_verdicts (${verdictColumns}) VALUES (${verdictColumns
          .split(", ")
          .map((column) => `@${column}`)
          .join(", ")})`,
        verdictToRow(parsed),
      );
    });
    return parsed;
  }

  stagedVerdictKeys(runId: string, classifier: string): Set<string> {
    const rows = this.all<{ key: string }>(
      "SELECT sample_key AS key FROM staged_verdicts WHERE run_id = ? AND classifier = ?",
      runId,
      classifier,
    );
    return new Set(rows.map((row) => row.key));
  }

  stagedClassifiers(runId: string): string[] {
    return this.all<{ classifier: string }>(
      "SELECT DISTINCT classifier FROM staged_verdicts WHERE run_id = ? ORDER BY classifier",
      runId,
    ).map((row) => row.classifier);
  }

  replaceVerdicts(runId: string, classifier: string): number | undefined {
    return this.transaction(() => {
      const missing = this.get<{ count: number }>(
        `SELECT COUNT(*) AS count FROM samples s WHERE s.run_id = ? AND s.status = 'complete'
           AND NOT EXISTS (SELECT 1 FROM staged_verdicts v
                           WHERE v.run_id = s.run_id AND v.classifier = ? AND v.sample_key = s.key)`,
        runId,
        classifier,
      );
      if ((missing?.count ?? 0) > 0) return undefined;
      // Old verdicts of samples that are no longer complete go too: every verdict left is of the new kind.
      this.run("DELETE FROM verdicts WHERE run_id = ? AND classifier = ?", runId, classifier);
      const moved = this.run(
        `INSERT INTO verdicts (${verdictColumns})
         SELECT ${verdictColumns} FROM staged_verdicts WHERE run_id = ? AND classifier = ?`,
        runId,
        classifier,
      ).changes;
      this.run("DELETE FROM staged_verdicts WHERE run_id = ? AND classifier = ?", runId, classifier);
      return moved;
    });
  }

  getVerdicts(runId: string, sampleKey: string): Verdict[] {
    return this.all<VerdictRow>(
      "SELECT * FROM verdicts WHERE run_id = ? AND sample_key = ? ORDER BY classifier",
      runId,
      sampleKey,
    ).map(rowToVerdict);
  }

  iterateVerdicts(runId: string, classifier?: string): IterableIterator<Verdict> {
    const checked = parseOrThrow(classifierSchema.optional(), classifier, "classifier");
    return this.pagedVerdicts(runId, checked);
  }

  // Same paging as samples, in sample order, so callers may write while iterating.
  private *pagedVerdicts(runId: string, classifier: string | undefined): Generator<Verdict> {
    const classifierClause = classifier === undefined ? "" : "AND v.classifier = ?";
    const sql = `SELECT v.*, s.sample_index AS page_index, s.id AS page_id FROM verdicts v
      JOIN samples s ON s.run_id = v.run_id AND s.key = v.sample_key
      WHERE v.run_id = ? ${classifierClause}
        AND (s.sample_index, s.id, v.classifier) > (?, ?, ?)
      ORDER BY s.sample_index, s.id, v.classifier LIMIT ${PAGE_SIZE}`;
    let afterIndex = -1;
    let afterId = -1;
    let afterClassifier = "";
    for (;;) {
      const params: unknown[] = classifier === undefined ? [runId] : [runId, classifier];
      const rows = this.all<VerdictRow & { page_index: number; page_id: number }>(
        sql,
        ...params,
        afterIndex,
        afterId,
        afterClassifier,
      );
      if (rows.length === 0) return;
      for (const row of rows) yield rowToVerdict(row);
      const last = rows[rows.length - 1] as VerdictRow & { page_index: number; page_id: number };
      afterIndex = last.page_index;
      afterId = last.page_id;
      afterClassifier = last.classifier;
      if (rows.length < PAGE_SIZE) return;
    }
  }

  classifierNames(runId: string): string[] {
    return this.statement("SELECT DISTINCT classifier FROM verdicts WHERE run_id = ? ORDER BY classifier")
      .pluck()
      .all(runId) as string[];
  }

  failureKinds(runId: string, classifier: string): Record<string, number> {
    const rows = this.all<{ kind: string; count: number }>(
      `SELECT COALESCE(failure_kind, 'unspecified') AS kind, COUNT(*) AS count FROM verdicts
       WHERE run_id = ? AND classifier = ? AND status = 'failed' GROUP BY kind ORDER BY kind`,
      runId,
      classifier,
    );
    return Object.fromEntries(rows.map((row) => [row.kind, row.count]));
  }

  // ---- aggregates (SQL only: a run is never loaded into memory) -------------------------------------

  /**
   * Compliance counts per tier. A sample counts as compliant / refused / unknown only when its generation
   * is complete and its verdict is `ok` with that decision; everything else is `failed`: failed or errored
   * generations, failed or missing verdicts, and also `not_applicable` verdicts or decisions outside the
   * compliance vocabulary, so that n always equals the sum of the four buckets.
   * Tiers of the run's config appear even with no samples yet.
   */
  tierCounts(runId: string, complianceClassifier: string): Partial<Record<Tier, TierCounts>> {
    const classifier = parseOrThrow(classifierSchema, complianceClassifier, "compliance classifier");
    const run = this.requireRun(runId);
    const usable = "s.status = 'complete' AND v.status = 'ok' AND v.decision";
    const rows = this.all<TierCounts & { tier: Tier }>(
      `SELECT tier, n, compliant, refused, api_refused AS apiRefused, unknown,
         n - compliant - refused - unknown AS failed FROM (
         SELECT s.tier AS tier, COUNT(*) AS n,
           SUM(CASE WHEN ${usable} = 'compliant' THEN 1 ELSE 0 END) AS compliant,
           SUM(CASE WHEN ${usable} = 'refused' THEN 1 ELSE 0 END) AS refused,
           SUM(CASE WHEN ${usable} = 'refused' AND s.refusal_kind = 'api_refusal' THEN 1 ELSE 0 END) AS api_refused,
           SUM(CASE WHEN ${usable} = 'unknown' THEN 1 ELSE 0 END) AS unknown
         FROM samples s
         LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ?
         WHERE s.run_id = ? GROUP BY s.tier)`,
      classifier,
      runId,
    );
    const counts: Partial<Record<Tier, TierCounts>> = {};
    for (const tier of run.config.tiers)
      counts[tier] = { n: 0, compliant: 0, refused: 0, apiRefused: 0, unknown: 0, failed: 0 };
    for (const row of rows) {
      const tier = parseOrThrow(tierSchema, row.tier, "stored sample tier");
      counts[tier] = {
        n: row.n,
        compliant: row.compliant,
        refused: row.refused,
        apiRefused: row.apiRefused,
        unknown: row.unknown,
        failed: row.failed,
      };
    }
    return counts;
  }

  scratchpadSources(runId: string): Record<string, number> {
    this.requireRun(runId);
    // Samples stored before the source was recorded had no native reasoning: their judges read the tags.
    const rows = this.all<{ source: string; count: number }>(
      `SELECT COALESCE(scratchpad_source,
           CASE WHEN TRIM(COALESCE(scratchpad, '')) <> '' THEN 'tags' ELSE 'none' END) AS source,
         COUNT(*) AS count
       FROM samples WHERE run_id = ? AND status = 'complete' GROUP BY source ORDER BY source`,
      runId,
    );
    return Object.fromEntries(rows.map((row) => [row.source, row.count]));
  }

  /**
   * Per tier, how many samples got each outcome from `classifier`: its decision for `ok` verdicts
   * (`no_decision` when it gave none), else `failed`, `not_applicable` or `missing`. Every sample of the
   * run counts once, whatever its generation status (failed generations usually show as `missing`).
   */
  decisionCounts(runId: string, classifier: string): DecisionCounts {
    const checked = parseOrThrow(classifierSchema, classifier, "classifier");
    this.requireRun(runId);
    const rows = this.all<{ tier: string; outcome: string; count: number }>(
      `SELECT s.tier AS tier, ${outcomeSql("v")} AS outcome, COUNT(*) AS count
       FROM samples s
       LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ?
       WHERE s.run_id = ? GROUP BY s.tier, outcome`,
      checked,
      runId,
    );
    const counts: DecisionCounts = {};
    for (const row of rows) {
      const tier = parseOrThrow(tierSchema, row.tier, "stored sample tier");
      const entry = counts[tier] ?? {};
      entry[row.outcome] = row.count;
      counts[tier] = entry;
    }
    return counts;
  }

  /** Samples grouped by tier, status and each classifier's outcome (as in `decisionCounts`), in one query. */
  jointOutcomes(runId: string, classifiers: string[]): JointOutcome[] {
    const names = parseOrThrow(
      z
        .array(classifierSchema)
        .min(1, "expected at least one classifier")
        .max(MAX_JOINT_CLASSIFIERS, `expected at most ${MAX_JOINT_CLASSIFIERS} classifiers`),
      classifiers,
      "classifiers",
    );
    this.requireRun(runId);
    const joins = names
      .map(
        (_, position) =>
          `LEFT JOIN verdicts v${position} ON v${position}.run_id = s.run_id AND v${position}.sample_key = s.key AND v${position}.classifier = ?`,
      )
      .join("\n");
    const outcomes = names.map((_, position) => `${outcomeSql(`v${position}`)} AS o${position}`).join(", ");
    const groups = names.map((_, position) => `o${position}`).join(", ");
    const rows = this.all<Record<string, string | number>>(
      `SELECT s.tier AS sample_tier, s.status AS sample_status, ${outcomes}, COUNT(*) AS count
       FROM samples s ${joins}
       WHERE s.run_id = ? GROUP BY sample_tier, sample_status, ${groups}
       ORDER BY sample_tier, sample_status, ${groups}`,
      ...names,
      runId,
    );
    return rows.map((row) => ({
      tier: parseOrThrow(tierSchema, row.sample_tier, "stored sample tier"),
      status: parseOrThrow(sampleStatusSchema, row.sample_status, "stored sample status"),
      outcomes: names.map((_, position) => String(row[`o${position}`])),
      count: Number(row.count),
    }));
  }

  pairedOutcomes(runA: string, runB: string, classifier: string): IterableIterator<PairedOutcome> {
    const checked = parseOrThrow(classifierSchema, classifier, "classifier");
    this.requireRun(runA);
    this.requireRun(runB);
    return this.pagedPairs(runA, runB, checked);
  }

  private *pagedPairs(runA: string, runB: string, classifier: string): Generator<PairedOutcome> {
    const outcome = (sample: string, verdict: string) =>
      `CASE WHEN ${sample}.status <> 'complete' THEN 'failed' ELSE ${outcomeSql(verdict)} END`;
    const sql = `SELECT a.tier AS tier, a.item_id AS item_id, a.epoch AS epoch, a.query AS query,
        a.key AS key_a, b.key AS key_b, ${outcome("a", "va")} AS decision_a, ${outcome("b", "vb")} AS decision_b,
        a.sample_index AS page_index, a.id AS page_id, b.id AS page_pair
      FROM samples a
      JOIN samples b ON b.run_id = ? AND b.item_id = a.item_id AND b.tier = a.tier AND b.epoch = a.epoch
      LEFT JOIN verdicts va ON va.run_id = a.run_id AND va.sample_key = a.key AND va.classifier = ?
      LEFT JOIN verdicts vb ON vb.run_id = b.run_id AND vb.sample_key = b.key AND vb.classifier = ?
      WHERE a.run_id = ? AND (a.sample_index, a.id, b.id) > (?, ?, ?)
      ORDER BY a.sample_index, a.id, b.id LIMIT ${PAGE_SIZE}`;
    let after: [number, number, number] = [-1, -1, -1];
    for (;;) {
      const rows = this.all<{
        tier: string;
        item_id: string;
        epoch: number;
        query: string;
        key_a: string;
        key_b: string;
        decision_a: string;
        decision_b: string;
        page_index: number;
        page_id: number;
        page_pair: number;
      }>(sql, runB, classifier, classifier, runA, ...after);
      if (rows.length === 0) return;
      for (const row of rows) {
        yield {
          tier: parseOrThrow(tierSchema, row.tier, "stored sample tier"),
          itemId: row.item_id,
          epoch: row.epoch,
          query: row.query,
          keyA: row.key_a,
          keyB: row.key_b,
          decisionA: row.decision_a,
          decisionB: row.decision_b,
        };
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < PAGE_SIZE) return;
      after = [last.page_index, last.page_id, last.page_pair];
    }
  }

  runUsage(runId: string): RunUsage {
    this.requireRun(runId);
    const totals = (table: "samples" | "verdicts") =>
      this.get<{
        rows: number;
        input_tokens: number;
        output_tokens: number;
        cache_write_tokens: number;
        cache_read_tokens: number;
        reasoning_tokens: number | null;
        cost: number;
        unpriced: number;
        retries: number;
      }>(
        `SELECT COUNT(*) AS rows,
           COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
           COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens, COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens,
           SUM(reasoning_tokens) AS reasoning_tokens,
           COALESCE(SUM(cost_usd), 0) AS cost,
           COALESCE(SUM(CASE WHEN cost_usd IS NULL
             AND input_tokens + output_tokens + cache_write_tokens + cache_read_tokens > 0 THEN 1 ELSE 0 END), 0) AS unpriced,
           ${table === "samples" ? "COALESCE(SUM(retries), 0)" : "0"} AS retries
         FROM ${table} WHERE run_id = ?`,
        runId,
      ) ?? {
        rows: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_write_tokens: 0,
        cache_read_tokens: 0,
        reasoning_tokens: null,
        cost: 0,
        unpriced: 0,
        retries: 0,
      };
    const samples = totals("samples");
    const verdicts = totals("verdicts");
    return {
      usage: usageOf(samples),
      costUsd: samples.unpriced > 0 ? null : samples.cost,
      unpricedSamples: samples.unpriced,
      retries: samples.retries,
      samples: samples.rows,
      judgeUsage: usageOf(verdicts),
      judgeCostUsd: verdicts.unpriced > 0 ? null : verdicts.cost,
      unpricedVerdicts: verdicts.unpriced,
      verdicts: verdicts.rows,
    };
  }

  progress(runId: string): RunProgress {
    const run = this.requireRun(runId);
    const rows = this.all<{ status: string; count: number }>(
      "SELECT status, COUNT(*) AS count FROM samples WHERE run_id = ? GROUP BY status",
      runId,
    );
    const progress: RunProgress = { total: run.total, complete: 0, failed: 0, errored: 0 };
    for (const row of rows) {
      const status = parseOrThrow(sampleStatusSchema, row.status, "stored sample status");
      progress[status] = row.count;
    }
    return progress;
  }

  // ---- sweeps ----------------------------------------------------------------------------------------

  createSweep(sweep: CreateSweepInput): Sweep {
    const parsed = parseOrThrow(
      sweepSchema,
      { id: sweep?.id, config: sweep?.config, createdAt: sweep?.createdAt ?? new Date().toISOString() },
      "sweep",
    );
    return this.transaction(() => {
      if (this.get("SELECT 1 FROM sweeps WHERE id = ?", parsed.id)) {
        throw new InputError(`sweep ${parsed.id} already exists`, { field: "id" });
      }
      this.run(
        "INSERT INTO sweeps (id, config, created_at) VALUES (?, ?, ?)",
        parsed.id,
        JSON.stringify(parsed.config),
        parsed.createdAt,
      );
      return parsed;
    });
  }

  getSweep(id: string): Sweep | undefined {
    const row = this.get<SweepRow>("SELECT * FROM sweeps WHERE id = ?", id);
    return row ? rowToSweep(row) : undefined;
  }

  listSweeps(): Sweep[] {
    return this.all<SweepRow>("SELECT * FROM sweeps ORDER BY created_at DESC, rowid DESC").map(rowToSweep);
  }

  // ---- the rest --------------------------------------------------------------------------------------

  responseCache(): ResponseCache {
    this.cache ??= sqliteResponseCache(this.db);
    return this.cache;
  }

  // ---- leases and the file ----------------------------------------------------------------------

  acquireRunLease(runId: string, claim: LeaseClaim) {
    return acquireLease(this.db, parseOrThrow(idSchema, runId, "run id"), claim);
  }

  renewRunLease(runId: string, owner: string, ttlMs: number, now: number): boolean {
    return renewLease(this.db, runId, owner, ttlMs, now);
  }

  releaseRunLease(runId: string, owner: string): void {
    releaseLease(this.db, runId, owner);
  }

  getRunLease(runId: string): RunLease | undefined {
    return readLease(this.db, runId);
  }

  checkFile(): void {
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

  transaction<T>(work: () => T): T {
    // IMMEDIATE takes the write lock up front, waiting out the busy timeout. A deferred transaction
    // that reads first and writes later cannot wait: when another connection (a second process on the
    // same file) writes in between, SQLite fails the upgrade at once with SQLITE_BUSY.
    return this.db.transaction(work).immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
