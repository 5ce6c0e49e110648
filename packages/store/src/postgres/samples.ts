import {
  NotFoundError,
  parseOrThrow,
  type Sample,
  type SampleInput,
  type SampleStatus,
  sampleStatusSchema,
} from "@aflab/core";
import { z } from "zod";
import {
  rowToSample,
  type SampleRow,
  sampleFields,
  sampleToRow,
  type TurnRow,
  turnFields,
  turnToRow,
} from "../rows.js";
import { type SampleQueryInput, sampleFilter, sampleOrder, sampleQuerySchema } from "../sample-query.js";
import { parseSample } from "../samples.js";
import { PAGE_SIZE } from "../sqlite-db.js";
import {
  type IterateSamplesOptions,
  type SampleNeighbours,
  type SampleSummary,
  sampleSummarySchema,
  type VerdictDecision,
} from "../types.js";
import type { PgDb } from "./pg-db.js";
import { requireRunExists } from "./runs.js";

const iterateOptionsSchema = z.object({
  status: sampleStatusSchema.optional(),
  withTurns: z.boolean().default(true),
});

const sampleColumns = [
  "run_id",
  "key",
  "sample_index",
  "item_id",
  "query",
  "tier",
  "epoch",
  "system_prompt_hash",
  "status",
  "failure_kind",
  "failure_message",
  "flags",
  "output",
  "scratchpad",
  "reasoning",
  "scratchpad_source",
  "refusal_kind",
  "refusal_message",
  "input_tokens",
  "output_tokens",
  "cache_write_tokens",
  "cache_read_tokens",
  "reasoning_tokens",
  "cost_usd",
  "retries",
  "latency_ms",
  "started_at",
  "finished_at",
] as const;

const turnColumns = [
  "sample_id",
  "turn_index",
  "role",
  "content",
  "input_tokens",
  "output_tokens",
  "cache_write_tokens",
  "cache_read_tokens",
  "reasoning_tokens",
  "stop_reason",
  "prefill",
  "latency_ms",
  "cached",
  "reasoning",
  "refusal",
] as const;

// Parameters in a VALUES list have no column to take their type from: each gets its column's type.
const turnTypes: Record<string, string> = {
  turn_index: "int",
  input_tokens: "bigint",
  output_tokens: "bigint",
  cache_write_tokens: "bigint",
  cache_read_tokens: "bigint",
  reasoning_tokens: "bigint",
  latency_ms: "double precision",
  cached: "int",
};

/** `(?, ?, ...)` for one row of `count` values. */
export function placeholders(count: number): string {
  return `(${Array.from({ length: count }, () => "?").join(", ")})`;
}

/**
 * Writes an already parsed sample; the caller holds the transaction and the sample's key lock. `stored` is
 * what the caller knows of a stored sample with this key (undefined: look it up). The sample and its turns
 * go in one statement: a worker writes many samples a second, and each round trip to the server counts.
 */
async function writeSample(db: PgDb, parsed: Sample, stored?: { exists: boolean }): Promise<void> {
  const exists =
    stored?.exists ??
    (await db.get("SELECT 1 FROM samples WHERE run_id = ? AND key = ?", parsed.runId, parsed.key)) !==
      undefined;
  // Replace, not update: the old turns and verdicts described the old transcript, and the foreign keys
  // cascade them away with the old row.
  if (exists) await db.run("DELETE FROM samples WHERE run_id = ? AND key = ?", parsed.runId, parsed.key);
  const row = sampleToRow(parsed);
  const sampleValues = sampleColumns.map((column) => row[column]);
  const turnRows = parsed.turns.map((turn) => turnToRow(0, turn));
  const turnValues = turnColumns.filter((column) => column !== "sample_id");
  const insertSample = `INSERT INTO samples (${sampleColumns.join(", ")}) VALUES ${placeholders(sampleColumns.length)} RETURNING id`;
  try {
    if (turnRows.length === 0) {
      await db.run(insertSample, ...sampleValues);
      return;
    }
    await db.run(
      `WITH inserted AS (${insertSample})
       INSERT INTO turns (${turnColumns.join(", ")})
       SELECT inserted.id, turn.* FROM inserted, (VALUES ${turnRows
         .map(() => `(${turnValues.map((column) => `?::${turnTypes[column] ?? "text"}`).join(", ")})`)
         .join(", ")}) AS turn (${turnValues.join(", ")})`,
      ...sampleValues,
      ...turnRows.flatMap((turn) => turnValues.map((column) => turn[column])),
    );
  } catch (error) {
    // The foreign key on run_id: the run is not there.
    if ((error as { code?: string }).code === "23503")
      throw new NotFoundError(`run ${parsed.runId} not found`);
    throw error;
  }
}

async function lockSample(db: PgDb, sample: Sample): Promise<void> {
  await db.lockKey("sample", sample.runId, sample.key);
}

export async function putSample(db: PgDb, sample: SampleInput): Promise<Sample> {
  const parsed = parseSample(sample);
  await db.transaction(async (tx) => {
    await lockSample(tx, parsed);
    await writeSample(tx, parsed);
  });
  return parsed;
}

export async function putSamples(db: PgDb, samples: SampleInput[]): Promise<Sample[]> {
  const parsed = samples.map(parseSample);
  await db.transaction(async (tx) => {
    // Locks in one order (by key) so two batches over the same samples cannot deadlock.
    const ordered = [...parsed].sort((a, b) =>
      a.runId === b.runId ? (a.key < b.key ? -1 : 1) : a.runId < b.runId ? -1 : 1,
    );
    for (const sample of ordered) await lockSample(tx, sample);
    for (const sample of parsed) await writeSample(tx, sample);
  });
  return parsed;
}

/**
 * Stores `sample` unless a finished sample with its key is stored. The key's advisory lock makes check
 * and write one step across every connection and machine: of two writers, one wins.
 */
export async function putSampleUnlessFinished(
  db: PgDb,
  sample: SampleInput,
): Promise<{ stored: boolean; sample: Sample }> {
  const parsed = parseSample(sample);
  return db.transaction(async (tx) => {
    await lockSample(tx, parsed);
    return writeUnlessFinished(tx, parsed);
  });
}

/** `putSampleUnlessFinished` for several samples in one transaction (one commit); all or none. */
export async function putSamplesUnlessFinished(
  db: PgDb,
  list: SampleInput[],
): Promise<{ stored: boolean; sample: Sample }[]> {
  const parsed = list.map(parseSample);
  return db.transaction(async (tx) => {
    // Locks in one order (by key), as putSamples does, so two groups over the same samples cannot deadlock.
    const ordered = [...parsed].sort((a, b) =>
      a.runId === b.runId ? (a.key < b.key ? -1 : 1) : a.runId < b.runId ? -1 : 1,
    );
    for (const sample of ordered) await lockSample(tx, sample);
    const outcomes: { stored: boolean; sample: Sample }[] = [];
    for (const sample of parsed) outcomes.push(await writeUnlessFinished(tx, sample));
    return outcomes;
  });
}

/** The check and the write under the sample's lock, which the caller holds in its transaction. */
async function writeUnlessFinished(tx: PgDb, parsed: Sample): Promise<{ stored: boolean; sample: Sample }> {
  const status = await tx.get<{ status: string }>(
    "SELECT status FROM samples WHERE run_id = ? AND key = ?",
    parsed.runId,
    parsed.key,
  );
  if (status && status.status !== "errored") {
    const existing = await getSample(tx, parsed.runId, parsed.key);
    if (existing) return { stored: false, sample: existing };
  }
  await writeSample(tx, parsed, { exists: status !== undefined });
  return { stored: true, sample: parsed };
}

export async function finishedSample(db: PgDb, runId: string, key: string): Promise<Sample | undefined> {
  const stored = await getSample(db, runId, key);
  return stored && stored.status !== "errored" ? stored : undefined;
}

export async function finishedSampleKeys(db: PgDb, runId: string): Promise<Set<string>> {
  return new Set(
    await db.column<string>(
      "SELECT key FROM samples WHERE run_id = ? AND status IN ('complete', 'failed')",
      runId,
    ),
  );
}

export async function sampleKeys(db: PgDb, runId: string, status?: SampleStatus): Promise<string[]> {
  const checked = parseOrThrow(sampleStatusSchema.optional(), status, "sample status");
  return checked === undefined
    ? db.column<string>("SELECT key FROM samples WHERE run_id = ? ORDER BY sample_index, id", runId)
    : db.column<string>(
        "SELECT key FROM samples WHERE run_id = ? AND status = ? ORDER BY sample_index, id",
        runId,
        checked,
      );
}

export async function getSample(db: PgDb, runId: string, key: string): Promise<Sample | undefined> {
  const row = await db.get<SampleRow>("SELECT * FROM samples WHERE run_id = ? AND key = ?", runId, key);
  if (!row) return undefined;
  const turns = await db.all<TurnRow>("SELECT * FROM turns WHERE sample_id = ? ORDER BY turn_index", row.id);
  return rowToSample(row, turns.map(turnFields));
}

/**
 * The run's samples in index order, a page at a time by keyset (sample index, id): memory stays at one
 * page whatever the run's size, no cursor stays open between pages, and the caller may write meanwhile.
 */
export async function* iterateSamples(
  db: PgDb,
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
    const rows = await db.all<SampleRow>(sql, ...params, afterIndex, afterId);
    if (rows.length === 0) return;
    const turnsBySample = checked.withTurns
      ? await turnsFor(
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
  }
}

async function turnsFor(db: PgDb, sampleIds: number[]): Promise<Map<number, unknown[]>> {
  const rows = await db.all<TurnRow>(
    "SELECT * FROM turns WHERE sample_id = ANY(?::bigint[]) ORDER BY sample_id, turn_index",
    sampleIds,
  );
  const bySample = new Map<number, unknown[]>();
  for (const row of rows) {
    const list = bySample.get(row.sample_id);
    if (list) list.push(turnFields(row));
    else bySample.set(row.sample_id, [turnFields(row)]);
  }
  return bySample;
}

export async function listSamples(
  db: PgDb,
  runId: string,
  query: SampleQueryInput = {},
): Promise<{ samples: SampleSummary[]; total: number }> {
  const parsed = parseOrThrow(sampleQuerySchema, query, "sample query");
  await requireRunExists(db, runId);
  const filter = sampleFilter(runId, parsed, "ILIKE");
  const total = await db.get<{ total: number }>(
    `SELECT COUNT(*) AS total FROM samples s WHERE ${filter.sql}`,
    ...filter.params,
  );
  const rows = await db.all<SampleRow & { turn_count: number }>(
    `SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.sample_id = s.id) AS turn_count
     FROM samples s WHERE ${filter.sql}
     ORDER BY ${sampleOrder(parsed.sort, parsed.order, parsed.sortClassifier)} LIMIT ? OFFSET ?`,
    ...filter.params,
    parsed.limit,
    parsed.offset,
  );
  const decisions = new Map<string, Record<string, VerdictDecision>>();
  if (rows.length > 0) {
    const verdictRows = await db.all<{
      sample_key: string;
      classifier: string;
      status: string;
      decision: string | null;
      score: number | null;
    }>(
      `SELECT sample_key, classifier, status, decision, score FROM verdicts
       WHERE run_id = ? AND sample_key = ANY(?::text[]) ORDER BY classifier`,
      runId,
      rows.map((row) => row.key),
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
  return { samples, total: total?.total ?? 0 };
}

export async function neighbours(
  db: PgDb,
  runId: string,
  key: string,
  query: SampleQueryInput = {},
): Promise<SampleNeighbours> {
  const parsed = parseOrThrow(sampleQuerySchema, query, "sample query");
  await requireRunExists(db, runId);
  const filter = sampleFilter(runId, parsed, "ILIKE");
  const rows = await db.all<{ key: string; position: number; total: number }>(
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
    const total = await db.get<{ total: number }>(
      `SELECT COUNT(*) AS total FROM samples s WHERE ${filter.sql}`,
      ...filter.params,
    );
    return { previous: null, next: null, position: null, total: total?.total ?? 0 };
  }
  return {
    previous: rows.find((row) => row.position === target.position - 1)?.key ?? null,
    next: rows.find((row) => row.position === target.position + 1)?.key ?? null,
    position: target.position,
    total: target.total,
  };
}
