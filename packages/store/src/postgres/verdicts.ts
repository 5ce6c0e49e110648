import { NotFoundError, parseOrThrow, type Verdict, type VerdictInput, verdictSchema } from "@aflab/core";
import { rowToVerdict, type VerdictRow, verdictToRow } from "../rows.js";
import { PAGE_SIZE } from "../sqlite-db.js";
import { classifierSchema, verdictColumns } from "../verdicts.js";
import type { PgDb } from "./pg-db.js";
import { placeholders } from "./samples.js";

const columns = verdictColumns.split(", ") as (keyof VerdictRow)[];

/** `INSERT ... VALUES (...)` of one verdict row into `table` (verdicts or staged_verdicts), with its values. */
export function verdictInsert(table: string, verdict: Verdict): { sql: string; params: unknown[] } {
  const row = verdictToRow(verdict);
  return {
    sql: `INSERT INTO ${table} (${verdictColumns}) VALUES ${placeholders(columns.length)}`,
    params: columns.map((column) => row[column]),
  };
}

/** `ON CONFLICT ... DO UPDATE` setting every column but the key from the new row. */
export const replaceOnConflict = `DO UPDATE SET ${columns
  .filter((column) => !["run_id", "sample_key", "classifier"].includes(column))
  .map((column) => `${column} = excluded.${column}`)
  .join(", ")}`;

export async function requireSample(db: PgDb, runId: string, sampleKey: string): Promise<void> {
  if (!(await db.get("SELECT 1 FROM samples WHERE run_id = ? AND key = ?", runId, sampleKey))) {
    throw new NotFoundError(`sample ${sampleKey} of run ${runId} not found`);
  }
}

/** Upserts a verdict in one statement; its sample must exist (the foreign key says when it does not). */
async function writeVerdict(db: PgDb, parsed: Verdict): Promise<void> {
  const insert = verdictInsert("verdicts", parsed);
  try {
    await db.run(
      `${insert.sql} ON CONFLICT (run_id, sample_key, classifier) ${replaceOnConflict}`,
      ...insert.params,
    );
  } catch (error) {
    if ((error as { code?: string }).code === "23503") {
      throw new NotFoundError(`sample ${parsed.sampleKey} of run ${parsed.runId} not found`);
    }
    throw error;
  }
}

export async function putVerdict(db: PgDb, verdict: VerdictInput): Promise<Verdict> {
  const parsed = parseOrThrow(verdictSchema, verdict, "verdict");
  await writeVerdict(db, parsed);
  return parsed;
}

export async function putVerdicts(db: PgDb, verdicts: VerdictInput[]): Promise<Verdict[]> {
  const parsed = verdicts.map((verdict) => parseOrThrow(verdictSchema, verdict, "verdict"));
  await db.transaction(async (tx) => {
    for (const verdict of parsed) await writeVerdict(tx, verdict);
  });
  return parsed;
}

export async function getVerdicts(db: PgDb, runId: string, sampleKey: string): Promise<Verdict[]> {
  const rows = await db.all<VerdictRow>(
    "SELECT * FROM verdicts WHERE run_id = ? AND sample_key = ? ORDER BY classifier",
    runId,
    sampleKey,
  );
  return rows.map(rowToVerdict);
}

export async function* iterateVerdicts(
  db: PgDb,
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
  let after: [number, number, string] = [-1, -1, ""];
  for (;;) {
    const rows = await db.all<VerdictRow & { page_index: number; page_id: number }>(sql, ...params, ...after);
    if (rows.length === 0) return;
    yield* rows.map(rowToVerdict);
    const last = rows[rows.length - 1] as VerdictRow & { page_index: number; page_id: number };
    after = [last.page_index, last.page_id, last.classifier];
    if (rows.length < PAGE_SIZE) return;
  }
}
