import { parseOrThrow, type Verdict, type VerdictInput, verdictSchema } from "@aflab/core";
import { verdictColumns } from "../verdicts.js";
import type { PgDb } from "./pg-db.js";
import { replaceOnConflict, requireSample, verdictInsert } from "./verdicts.js";

// A forced re-classification writes its verdicts here first and swaps them in at once (see the SQLite module).

export async function stageVerdict(db: PgDb, verdict: VerdictInput): Promise<Verdict> {
  const parsed = parseOrThrow(verdictSchema, verdict, "verdict");
  await db.transaction(async (tx) => {
    await requireSample(tx, parsed.runId, parsed.sampleKey);
    const insert = verdictInsert("staged_verdicts", parsed);
    await tx.run(
      `${insert.sql} ON CONFLICT (run_id, classifier, sample_key) ${replaceOnConflict}`,
      ...insert.params,
    );
  });
  return parsed;
}

export async function stagedVerdictKeys(db: PgDb, runId: string, classifier: string): Promise<Set<string>> {
  return new Set(
    await db.column<string>(
      "SELECT sample_key FROM staged_verdicts WHERE run_id = ? AND classifier = ?",
      runId,
      classifier,
    ),
  );
}

export async function stagedClassifiers(db: PgDb, runId: string): Promise<string[]> {
  return db.column<string>(
    "SELECT DISTINCT classifier FROM staged_verdicts WHERE run_id = ? ORDER BY classifier",
    runId,
  );
}

export async function replaceVerdicts(
  db: PgDb,
  runId: string,
  classifier: string,
): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    // One replacement of a classifier at a time, across every process on the database.
    await tx.lockKey("replace-verdicts", runId, classifier);
    const missing = await tx.get<{ count: number }>(
      `SELECT COUNT(*) AS count FROM samples s WHERE s.run_id = ? AND s.status = 'complete'
         AND NOT EXISTS (SELECT 1 FROM staged_verdicts v
                         WHERE v.run_id = s.run_id AND v.classifier = ? AND v.sample_key = s.key)`,
      runId,
      classifier,
    );
    if ((missing?.count ?? 0) > 0) return undefined;
    await tx.run("DELETE FROM verdicts WHERE run_id = ? AND classifier = ?", runId, classifier);
    const moved = await tx.run(
      `INSERT INTO verdicts (${verdictColumns})
       SELECT ${verdictColumns} FROM staged_verdicts WHERE run_id = ? AND classifier = ?`,
      runId,
      classifier,
    );
    await tx.run("DELETE FROM staged_verdicts WHERE run_id = ? AND classifier = ?", runId, classifier);
    return moved;
  });
}
