import {
  type BatchPatch,
  type BatchRequest,
  type BatchRequestResult,
  type BatchRequestRow,
  type BatchRow,
  type NewBatch,
  type NewBatchRequest,
  type RunBatch,
  rowToBatch,
  rowToRequest,
} from "../batches.js";
import type { PgDb } from "./pg-db.js";

// The same tables and rules as the SQLite module (`../batches.ts`, which documents them), over PostgreSQL.

/** Writes a batch as `submitting` with all its requests `submitted`, in one transaction. */
export function createBatch(
  db: PgDb,
  batch: NewBatch,
  requests: readonly NewBatchRequest[],
): Promise<RunBatch> {
  return db.transaction(async (transaction) => {
    await transaction.run(
      `INSERT INTO batches (id, run_id, provider, model_id, provider_batch_id, state, round, request_count, counts, created_at, ended_at)
       VALUES (?, ?, ?, ?, NULL, 'submitting', ?, ?, NULL, ?, NULL)`,
      batch.id,
      batch.runId,
      batch.provider,
      batch.modelId,
      batch.round,
      requests.length,
      batch.createdAt,
    );
    // One statement for the whole batch: thousands of requests are one round trip, not thousands.
    if (requests.length > 0)
      await transaction.run(
        `INSERT INTO batch_requests (custom_id, batch_id, run_id, sample_key, round, state, cost_usd, reply)
         SELECT custom_id, ?, ?, sample_key, round, 'submitted', NULL, NULL
         FROM UNNEST(?::text[], ?::text[], ?::int[]) AS request(custom_id, sample_key, round)`,
        batch.id,
        batch.runId,
        requests.map((request) => request.customId),
        requests.map((request) => request.sampleKey),
        requests.map((request) => request.round ?? batch.round),
      );
    return (await getBatch(transaction, batch.id)) as RunBatch;
  });
}

export async function getBatch(db: PgDb, id: string): Promise<RunBatch | undefined> {
  const row = await db.get<BatchRow>("SELECT * FROM batches WHERE id = ?", id);
  return row ? rowToBatch(row) : undefined;
}

/** Records the provider's id: the batch is `in_progress`. */
export async function recordBatchSubmitted(db: PgDb, id: string, providerBatchId: string): Promise<boolean> {
  const changed = await db.run(
    "UPDATE batches SET provider_batch_id = ?, state = 'in_progress' WHERE id = ? AND state = 'submitting'",
    providerBatchId,
    id,
  );
  return changed > 0;
}

export function updateBatch(db: PgDb, id: string, patch: BatchPatch): Promise<void> {
  return db.transaction(async (transaction) => {
    if (patch.state !== undefined)
      await transaction.run("UPDATE batches SET state = ? WHERE id = ?", patch.state, id);
    if (patch.counts !== undefined)
      await transaction.run("UPDATE batches SET counts = ? WHERE id = ?", JSON.stringify(patch.counts), id);
    if (patch.endedAt !== undefined)
      await transaction.run("UPDATE batches SET ended_at = ? WHERE id = ?", patch.endedAt, id);
    if (patch.state === "abandoned")
      await transaction.run(
        "UPDATE batch_requests SET state = 'released' WHERE batch_id = ? AND state = 'submitted'",
        id,
      );
  });
}

/** A run's batches (or every run's), oldest first. */
export async function listBatches(db: PgDb, runId?: string): Promise<RunBatch[]> {
  const rows =
    runId === undefined
      ? await db.all<BatchRow>("SELECT * FROM batches ORDER BY created_at, id")
      : await db.all<BatchRow>("SELECT * FROM batches WHERE run_id = ? ORDER BY created_at, id", runId);
  return rows.map(rowToBatch);
}

export async function batchRequests(db: PgDb, batchId: string): Promise<BatchRequest[]> {
  const rows = await db.all<BatchRequestRow>(
    "SELECT * FROM batch_requests WHERE batch_id = ? ORDER BY custom_id",
    batchId,
  );
  return rows.map(rowToRequest);
}

/** Records requests' results in one statement (one write for a page of results). */
export async function settleBatchRequests(db: PgDb, results: readonly BatchRequestResult[]): Promise<void> {
  if (results.length === 0) return;
  await db.run(
    `UPDATE batch_requests AS request SET state = result.state, cost_usd = result.cost_usd, reply = result.reply
     FROM UNNEST(?::text[], ?::text[], ?::double precision[], ?::text[]) AS result(custom_id, state, cost_usd, reply)
     WHERE request.custom_id = result.custom_id`,
    results.map((result) => result.customId),
    results.map((result) => result.state),
    results.map((result) => result.costUsd),
    results.map((result) => result.reply),
  );
}

/** The run's succeeded requests with replies whose samples are not finished yet (by sample, then round). */
export async function succeededRequests(db: PgDb, runId: string): Promise<BatchRequest[]> {
  const rows = await db.all<BatchRequestRow>(
    `SELECT * FROM batch_requests AS request
     WHERE run_id = ? AND state = 'succeeded' AND reply IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM samples WHERE samples.run_id = request.run_id
         AND samples.key = request.sample_key AND samples.status IN ('complete', 'failed'))
     ORDER BY sample_key, round`,
    runId,
  );
  return rows.map(rowToRequest);
}

/** Sample keys of the run with a request in a batch that is being submitted or in flight. */
export function sampleKeysInFlight(db: PgDb, runId: string): Promise<string[]> {
  return db.column<string>(
    "SELECT DISTINCT sample_key FROM batch_requests WHERE run_id = ? AND state = 'submitted'",
    runId,
  );
}
