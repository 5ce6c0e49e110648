import type { PgDb } from "./pg-db.js";

/** What `runChangeStamp` of the SQLite store counts (see `../run-stamp.ts`), in one round trip. */
export async function runChangeStamp(db: PgDb, runId: string): Promise<string> {
  const row = await db.get<Record<string, string | number | null>>(
    `SELECT
       (SELECT updated_at || '|' || status || '|' || total FROM runs WHERE id = ?) AS run,
       (SELECT COUNT(*) FROM samples WHERE run_id = ?) AS samples,
       (SELECT COUNT(*) FROM samples WHERE run_id = ? AND status = 'complete') AS complete,
       (SELECT COUNT(*) FROM verdicts WHERE run_id = ?) AS verdicts,
       (SELECT COUNT(*) FROM verdicts WHERE run_id = ? AND status = 'ok') AS decided,
       (SELECT COUNT(*) FROM verdicts WHERE run_id = ? AND decision IN ('yes', 'compliant')) AS positive,
       (SELECT COUNT(*) FROM staged_verdicts WHERE run_id = ?) AS staged`,
    runId,
    runId,
    runId,
    runId,
    runId,
    runId,
    runId,
  );
  if (!row) return "absent";
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
