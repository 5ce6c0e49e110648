import { parseOrThrow, type Verdict, type VerdictInput, verdictSchema } from "@aflab/core";
import { verdictToRow } from "./rows.js";
import type { SqliteDb } from "./sqlite-db.js";
import { requireSample, verdictColumns } from "./verdicts.js";

// A forced re-classification writes its verdicts here first, apart from the run's verdicts, and swaps them
// in all at once when every complete sample has one: an interrupted pass never leaves a mix of old and new.

export function stageVerdict(db: SqliteDb, verdict: VerdictInput): Verdict {
  const parsed = parseOrThrow(verdictSchema, verdict, "verdict");
  db.transaction(() => {
    requireSample(db, parsed.runId, parsed.sampleKey);
    db.run(
      `INSERT OR REPLACE INTO staged_verdicts (${verdictColumns}) VALUES (${verdictColumns
        .split(", ")
        .map((column) => `@${column}`)
        .join(", ")})`,
      verdictToRow(parsed),
    );
  });
  return parsed;
}

export function stagedVerdictKeys(db: SqliteDb, runId: string, classifier: string): Set<string> {
  return new Set(
    db.column<string>(
      "SELECT sample_key AS staged_key FROM staged_verdicts WHERE run_id = ? AND classifier = ?",
      runId,
      classifier,
    ),
  );
}

export function stagedClassifiers(db: SqliteDb, runId: string): string[] {
  return db.column<string>(
    "SELECT DISTINCT classifier AS staged_classifier FROM staged_verdicts WHERE run_id = ? ORDER BY classifier",
    runId,
  );
}

export function replaceVerdicts(db: SqliteDb, runId: string, classifier: string): number | undefined {
  return db.transaction(() => {
    const missing = db.get<{ count: number }>(
      `SELECT COUNT(*) AS count FROM samples s WHERE s.run_id = ? AND s.status = 'complete'
         AND NOT EXISTS (SELECT 1 FROM staged_verdicts v
                         WHERE v.run_id = s.run_id AND v.classifier = ? AND v.sample_key = s.key)`,
      runId,
      classifier,
    );
    if ((missing?.count ?? 0) > 0) return undefined;
    // Old verdicts of samples that are no longer complete go too: every verdict left is of the new kind.
    db.run("DELETE FROM verdicts WHERE run_id = ? AND classifier = ?", runId, classifier);
    const moved = db.run(
      `INSERT INTO verdicts (${verdictColumns})
       SELECT ${verdictColumns} FROM staged_verdicts WHERE run_id = ? AND classifier = ?`,
      runId,
      classifier,
    ).changes;
    db.run("DELETE FROM staged_verdicts WHERE run_id = ? AND classifier = ?", runId, classifier);
    return moved;
  });
}
