import type { SqliteConnection } from "./sqlite-connection.js";

/**
 * A short text that changes when what a run's report reads changes: the run row, how many samples it has
 * and how many are complete, how many verdicts, decided and positive, and staged ones (so a replacement
 * moving in changes it too). Counting through the run's indexes, it is far cheaper than the report a
 * cache keeps with it; a cache should still let entries age out, since counts can stay equal across an edit.
 */
export function runChangeStamp(db: SqliteConnection, runId: string): string {
  const row = db
    .prepare(
      `SELECT
         (SELECT updated_at || '|' || status || '|' || total FROM runs WHERE id = ?) AS run,
         (SELECT COUNT(*) FROM samples WHERE run_id = ?) AS samples,
         (SELECT COUNT(*) FROM samples WHERE run_id = ? AND status = 'complete') AS complete,
         (SELECT COUNT(*) FROM verdicts WHERE run_id = ?) AS verdicts,
         (SELECT COUNT(*) FROM verdicts WHERE run_id = ? AND status = 'ok') AS decided,
         (SELECT COUNT(*) FROM verdicts WHERE run_id = ? AND decision IN ('yes', 'compliant')) AS positive,
         (SELECT COUNT(*) FROM staged_verdicts WHERE run_id = ?) AS staged`,
    )
    .get(runId, runId, runId, runId, runId, runId, runId) as Record<string, string | number | null>;
  return [
    row.run ?? "absent",
    row.samples,
    row.complete,
    row.verdicts,
    row.decided,
    row.positive,
    row.staged,
  ].join("|");
}
