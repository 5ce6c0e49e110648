import { NotFoundError, parseOrThrow, type Verdict, type VerdictInput, verdictSchema } from "@aflab/core";
import { z } from "zod";
import { rowToVerdict, type VerdictRow, verdictToRow } from "./rows.js";
import { betweenPages, PAGE_SIZE, type SqliteDb } from "./sqlite-db.js";

export const classifierSchema = z.string().min(1, "expected a classifier name");

/** The columns of a verdict row, shared by `verdicts` and `staged_verdicts`. */
export const verdictColumns =
  "run_id, sample_key, classifier, status, decision, score, judge_model, prompt_version, criteria, quotes, raw, " +
  "failure_kind, failure_message, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, reasoning_tokens, " +
  "cost_usd, created_at";

export function requireSample(db: SqliteDb, runId: string, sampleKey: string): void {
  if (!db.get("SELECT 1 FROM samples WHERE run_id = ? AND key = ?", runId, sampleKey)) {
    throw new NotFoundError(`sample ${sampleKey} of run ${runId} not found`);
  }
}

export function putVerdict(db: SqliteDb, verdict: VerdictInput): Verdict {
  const parsed = parseOrThrow(verdictSchema, verdict, "verdict");
  db.transaction(() => writeVerdict(db, parsed));
  return parsed;
}

/** Writes several verdicts in one transaction: all or none. */
export function putVerdicts(db: SqliteDb, verdicts: VerdictInput[]): Verdict[] {
  const parsed = verdicts.map((verdict) => parseOrThrow(verdictSchema, verdict, "verdict"));
  db.transaction(() => {
    for (const verdict of parsed) writeVerdict(db, verdict);
  });
  return parsed;
}

/** Upserts an already parsed verdict; the caller holds the transaction. */
function writeVerdict(db: SqliteDb, parsed: Verdict): void {
  requireSample(db, parsed.runId, parsed.sampleKey);
  db.run(
    `INSERT INTO verdicts (${verdictColumns})
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
}

export function getVerdicts(db: SqliteDb, runId: string, sampleKey: string): Verdict[] {
  return db
    .all<VerdictRow>(
      "SELECT * FROM verdicts WHERE run_id = ? AND sample_key = ? ORDER BY classifier",
      runId,
      sampleKey,
    )
    .map(rowToVerdict);
}

/** The run's verdicts in sample order, paged like samples so callers may write while iterating. */
export async function* iterateVerdicts(
  db: SqliteDb,
  runId: string,
  classifier?: string,
): AsyncGenerator<Verdict> {
  const checked = parseOrThrow(classifierSchema.optional(), classifier, "classifier");
  const classifierClause = checked === undefined ? "" : "AND v.classifier = ?";
  const sql = `SELECT v.*, s.sample_index AS page_index, s.id AS page_id FROM verdicts v
    JOIN samples s ON s.run_id = v.run_id AND s.key = v.sample_key
    WHERE v.run_id = ? ${classifierClause}
      AND (s.sample_index, s.id, v.classifier) > (?, ?, ?)
    ORDER BY s.sample_index, s.id, v.classifier LIMIT ${PAGE_SIZE}`;
  const params: unknown[] = checked === undefined ? [runId] : [runId, checked];
  let afterIndex = -1;
  let afterId = -1;
  let afterClassifier = "";
  for (;;) {
    const rows = db.all<VerdictRow & { page_index: number; page_id: number }>(
      sql,
      ...params,
      afterIndex,
      afterId,
      afterClassifier,
    );
    if (rows.length === 0) return;
    yield* rows.map(rowToVerdict);
    const last = rows[rows.length - 1] as VerdictRow & { page_index: number; page_id: number };
    afterIndex = last.page_index;
    afterId = last.page_id;
    afterClassifier = last.classifier;
    if (rows.length < PAGE_SIZE) return;
    await betweenPages();
  }
}
