import {
  InputError,
  NotFoundError,
  parseOrThrow,
  type Sample,
  type SampleInput,
  type SampleStatus,
  sampleSchema,
  sampleStatusSchema,
} from "@aflab/core";
import { z } from "zod";
import { runChangeStamp } from "./aggregates.js";
import {
  rowToSample,
  type SampleRow,
  sampleFields,
  sampleToRow,
  type TurnRow,
  turnFields,
  turnToRow,
} from "./rows.js";
import { requireRunExists } from "./runs.js";
import { type SampleQueryInput, sampleFilter, sampleOrder, sampleQuerySchema } from "./sample-query.js";
import { betweenPages, PAGE_SIZE, type SqliteDb } from "./sqlite-db.js";
import {
  type IterateSamplesOptions,
  type SampleNeighbours,
  type SampleSummary,
  sampleSummarySchema,
  type VerdictDecision,
} from "./types.js";

const iterateOptionsSchema = z.object({
  status: sampleStatusSchema.optional(),
  withTurns: z.boolean().default(true),
});

/** Validates a sample for writing: the core schema, and turn indices unique within the sample. */
export function parseSample(sample: SampleInput): Sample {
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
  return parsed;
}

/** Writes an already parsed sample; the caller holds the transaction. */
export function writeSample(db: SqliteDb, parsed: Sample): void {
  if (!db.get("SELECT 1 FROM runs WHERE id = ?", parsed.runId)) {
    throw new NotFoundError(`run ${parsed.runId} not found`);
  }
  // Replace, not update: the old turns and verdicts described the old transcript, and the
  // foreign keys cascade them away with the old row.
  db.run("DELETE FROM samples WHERE run_id = ? AND key = ?", parsed.runId, parsed.key);
  const inserted = db.run(
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
    db.run(
      `INSERT INTO turns (sample_id, turn_index, role, content, input_tokens, output_tokens, cache_write_tokens,
         cache_read_tokens, reasoning_tokens, stop_reason, prefill, latency_ms, cached, reasoning, refusal)
       VALUES (@sample_id, @turn_index, @role, @content, @input_tokens, @output_tokens, @cache_write_tokens,
         @cache_read_tokens, @reasoning_tokens, @stop_reason, @prefill, @latency_ms, @cached, @reasoning, @refusal)`,
      turnToRow(sampleId, turn),
    );
  }
}

export function putSample(db: SqliteDb, sample: SampleInput): Sample {
  const parsed = parseSample(sample);
  db.transaction(() => writeSample(db, parsed));
  return parsed;
}

/** Writes several samples in one transaction: all or none. */
export function putSamples(db: SqliteDb, samples: SampleInput[]): Sample[] {
  const parsed = samples.map(parseSample);
  db.transaction(() => {
    for (const sample of parsed) writeSample(db, sample);
  });
  return parsed;
}

/**
 * Stores `sample` unless a finished (complete or failed) sample with its key is already stored, e.g. by
 * another process resuming the same run on the same file. The check and the write happen under one write
 * lock, so two processes can never both store the same sample. Returns the stored sample that won.
 */
export function putSampleUnlessFinished(
  db: SqliteDb,
  sample: SampleInput,
): { stored: boolean; sample: Sample } {
  const parsed = parseSample(sample);
  return db.transaction(() => writeUnlessFinished(db, parsed));
}

/**
 * `putSampleUnlessFinished` for several samples in one transaction (one commit for the group): each is
 * checked and written in order, and the answer says for each which sample is stored. All or none.
 */
export function putSamplesUnlessFinished(
  db: SqliteDb,
  list: SampleInput[],
): { stored: boolean; sample: Sample }[] {
  const parsed = list.map(parseSample);
  return db.transaction(() => parsed.map((sample) => writeUnlessFinished(db, sample)));
}

/** The check and the write of `putSampleUnlessFinished`; the caller holds the transaction. */
function writeUnlessFinished(db: SqliteDb, parsed: Sample): { stored: boolean; sample: Sample } {
  const existing = finishedSample(db, parsed.runId, parsed.key);
  if (existing) return { stored: false, sample: existing };
  writeSample(db, parsed);
  return { stored: true, sample: parsed };
}

/** The stored sample with this key when it is finished (complete or failed), else undefined. */
export function finishedSample(db: SqliteDb, runId: string, key: string): Sample | undefined {
  const stored = getSample(db, runId, key);
  return stored && stored.status !== "errored" ? stored : undefined;
}

export function finishedSampleKeys(db: SqliteDb, runId: string): Set<string> {
  return new Set(
    db.column<string>(
      "SELECT key AS finished_key FROM samples WHERE run_id = ? AND status IN ('complete', 'failed')",
      runId,
    ),
  );
}

export function sampleKeys(db: SqliteDb, runId: string, status?: SampleStatus): string[] {
  const checked = parseOrThrow(sampleStatusSchema.optional(), status, "sample status");
  return checked === undefined
    ? db.column<string>("SELECT key FROM samples WHERE run_id = ? ORDER BY sample_index, id", runId)
    : db.column<string>(
        "SELECT key FROM samples WHERE run_id = ? AND status = ? ORDER BY sample_index, id",
        runId,
        checked,
      );
}

export function getSample(db: SqliteDb, runId: string, key: string): Sample | undefined {
  const row = db.get<SampleRow>("SELECT * FROM samples WHERE run_id = ? AND key = ?", runId, key);
  if (!row) return undefined;
  const turns = db.all<TurnRow>("SELECT * FROM turns WHERE sample_id = ? ORDER BY turn_index", row.id);
  return rowToSample(row, turns.map(turnFields));
}

/**
 * The run's samples in index order, one page at a time: each page is read whole before it is yielded, so
 * memory stays at one page and the caller may write (e.g. verdicts) between items, which an open
 * better-sqlite3 cursor would forbid.
 */
export async function* iterateSamples(
  db: SqliteDb,
  runId: string,
  options: IterateSamplesOptions = {},
): AsyncGenerator<Sample> {
  const checked = parseOrThrow(iterateOptionsSchema, options, "sample iteration options");
  const statusClause = checked.status === undefined ? "" : "AND s.status = ?";
  const sql = `SELECT * FROM samples s WHERE s.run_id = ? ${statusClause}
    AND (s.sample_index, s.id) > (?, ?)
    ORDER BY s.sample_index, s.id LIMIT ${PAGE_SIZE}`;
  const params: unknown[] = checked.status === undefined ? [runId] : [runId, checked.status];
  let afterIndex = -1;
  let afterId = -1;
  for (;;) {
    const rows = db.all<SampleRow>(sql, ...params, afterIndex, afterId);
    if (rows.length === 0) return;
    const turnsBySample = checked.withTurns
      ? turnsFor(
          db,
          rows.map((row) => row.id),
        )
      : undefined;
    const page = rows.map((row) => rowToSample(row, turnsBySample?.get(row.id) ?? []));
    yield* page;
    const last = rows[rows.length - 1] as SampleRow;
    afterIndex = last.sample_index;
    afterId = last.id;
    if (rows.length < PAGE_SIZE) return;
    await betweenPages();
  }
}

function turnsFor(db: SqliteDb, sampleIds: number[]): Map<number, unknown[]> {
  const rows = db.all<TurnRow>(
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

export function listSamples(
  db: SqliteDb,
  runId: string,
  query: SampleQueryInput = {},
): { samples: SampleSummary[]; total: number } {
  const parsed = parseOrThrow(sampleQuerySchema, query, "sample query");
  requireRunExists(db, runId);
  const filter = sampleFilter(runId, parsed);
  const total = filteredTotal(db, runId, filter);
  const rows = db.all<SampleRow & { turn_count: number }>(
    `SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.sample_id = s.id) AS turn_count
     FROM samples s WHERE ${filter.sql}
     ORDER BY ${sampleOrder(parsed.sort, parsed.order, parsed.sortClassifier)} LIMIT ? OFFSET ?`,
    ...filter.params,
    parsed.limit,
    parsed.offset,
  );
  const decisions = new Map<string, Record<string, VerdictDecision>>();
  if (rows.length > 0) {
    const verdictRows = db.all<{
      sample_key: string;
      classifier: string;
      status: string;
      decision: string | null;
      score: number | null;
    }>(
      // CROSS JOIN keeps the page's keys outermost: left to choose, SQLite may walk every verdict of the
      // run through the classifier index (seconds on a large run) instead of a primary-key lookup per key.
      `SELECT v.sample_key, v.classifier, v.status, v.decision, v.score
       FROM json_each(?) AS page CROSS JOIN verdicts v ON v.run_id = ? AND v.sample_key = page.value
       ORDER BY v.classifier`,
      JSON.stringify(rows.map((row) => row.key)),
      runId,
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

/** Counts of filtered listings, kept while the run's change stamp stays the same. */
const filteredTotals = new WeakMap<SqliteDb, Map<string, { stamp: string; total: number }>>();
const maxFilteredTotals = 1000;

/**
 * How many samples match a listing's filters. Counting a large run takes milliseconds per request, and
 * every page of one table asks the same count: it is kept until the run changes (a few index lookups
 * to check), the unfiltered count comes from the aggregate tables.
 */
function filteredTotal(db: SqliteDb, runId: string, filter: { sql: string; params: unknown[] }): number {
  if (filter.params.length === 1) {
    return (
      db.get<{ total: number }>(
        "SELECT COALESCE(SUM(samples), 0) AS total FROM aggregate_outcomes WHERE run_id = ?",
        runId,
      )?.total ?? 0
    );
  }
  let cache = filteredTotals.get(db);
  if (!cache) {
    cache = new Map();
    filteredTotals.set(db, cache);
  }
  const key = JSON.stringify([filter.sql, filter.params]);
  const stamp = runChangeStamp(db, runId);
  const cached = cache.get(key);
  if (cached && cached.stamp === stamp) return cached.total;
  const total =
    db.get<{ total: number }>(`SELECT COUNT(*) AS total FROM samples s WHERE ${filter.sql}`, ...filter.params)
      ?.total ?? 0;
  cache.delete(key);
  cache.set(key, { stamp, total });
  if (cache.size > maxFilteredTotals) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return total;
}

export function neighbours(
  db: SqliteDb,
  runId: string,
  key: string,
  query: SampleQueryInput = {},
): SampleNeighbours {
  const parsed = parseOrThrow(sampleQuerySchema, query, "sample query");
  requireRunExists(db, runId);
  const filter = sampleFilter(runId, parsed);
  const rows = db.all<{ key: string; position: number; total: number }>(
    `WITH ordered AS (
       SELECT s.key AS key, ROW_NUMBER() OVER (ORDER BY ${sampleOrder(parsed.sort, parsed.order, parsed.sortClassifier)}) AS position
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
      db.get<{ total: number }>(
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
