import { z } from "zod";
import type { SqliteDb } from "./sqlite-db.js";

/**
 * A provider batch of a run's requests, as this store knows it:
 * - `submitting`: its requests are written, the provider has not acknowledged it (no provider id yet);
 * - `in_progress`: the provider took it (its id is recorded); results may not be ready;
 * - `ended`: the provider finished it; its results are being stored;
 * - `done`: every result is stored;
 * - `abandoned`: it never reached the provider (or was found not to be ours); its requests were released.
 */
export const batchStateSchema = z.enum(["submitting", "in_progress", "ended", "done", "abandoned"]);
export type BatchState = z.infer<typeof batchStateSchema>;

/**
 * One request of a batch: `submitted` while the batch is being submitted or in flight; then the type of
 * its result once that is stored (`succeeded`, or `errored` / `expired` / `canceled`, which resume asks
 * again in a new batch); `released` when its batch never reached the provider.
 */
export const batchRequestStateSchema = z.enum([
  "submitted",
  "succeeded",
  "errored",
  "expired",
  "canceled",
  "released",
]);
export type BatchRequestState = z.infer<typeof batchRequestStateSchema>;

export const batchCountsSchema = z.object({
  processing: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  errored: z.number().int().nonnegative(),
  canceled: z.number().int().nonnegative(),
  expired: z.number().int().nonnegative(),
});
export type BatchCounts = z.infer<typeof batchCountsSchema>;

export interface RunBatch {
  /** This store's id of the batch; every custom id of its requests starts with it. */
  id: string;
  runId: string;
  /** `anthropic` or `openai`. */
  provider: string;
  modelId: string;
  /** The provider's id; null while `submitting`. */
  providerBatchId: string | null;
  state: BatchState;
  /** Conversation round (0: first assistant turn; the multi-turn protocol goes on in later rounds). */
  round: number;
  requestCount: number;
  /** The provider's last reported counts, when polled. */
  counts: BatchCounts | null;
  createdAt: string;
  endedAt: string | null;
}

export interface BatchRequest {
  customId: string;
  batchId: string;
  runId: string;
  sampleKey: string;
  round: number;
  state: BatchRequestState;
  /** What the request cost at the batch price, once its result is stored (null: unknown or none). */
  costUsd: number | null;
  /** A succeeded request's reply as the engine stored it (JSON), else null. */
  reply: string | null;
}

export const newBatchSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, "expected letters, digits, _ or - (at most 40)"),
  runId: z.string().min(1),
  provider: z.string().min(1),
  modelId: z.string().min(1),
  round: z.number().int().nonnegative(),
  createdAt: z.string().min(1),
});
export type NewBatch = z.infer<typeof newBatchSchema>;

export const newBatchRequestSchema = z.object({
  customId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "expected letters, digits, _ or - (at most 64)"),
  sampleKey: z.string().min(1),
  /** The request's conversation round; default the batch's. */
  round: z.number().int().nonnegative().optional(),
});
export type NewBatchRequest = z.infer<typeof newBatchRequestSchema>;

export const batchPatchSchema = z.strictObject({
  state: batchStateSchema.optional(),
  counts: batchCountsSchema.optional(),
  endedAt: z.string().nullable().optional(),
});
export type BatchPatch = z.infer<typeof batchPatchSchema>;

export interface BatchRow {
  id: string;
  run_id: string;
  provider: string;
  model_id: string;
  provider_batch_id: string | null;
  state: string;
  round: number;
  request_count: number;
  counts: string | null;
  created_at: string;
  ended_at: string | null;
}

export interface BatchRequestRow {
  custom_id: string;
  batch_id: string;
  run_id: string;
  sample_key: string;
  round: number;
  state: string;
  cost_usd: number | null;
  reply: string | null;
}

export function rowToBatch(row: BatchRow): RunBatch {
  return {
    id: row.id,
    runId: row.run_id,
    provider: row.provider,
    modelId: row.model_id,
    providerBatchId: row.provider_batch_id,
    state: batchStateSchema.parse(row.state),
    round: row.round,
    requestCount: row.request_count,
    counts: row.counts === null ? null : batchCountsSchema.parse(JSON.parse(row.counts)),
    createdAt: row.created_at,
    endedAt: row.ended_at,
  };
}

export function rowToRequest(row: BatchRequestRow): BatchRequest {
  return {
    customId: row.custom_id,
    batchId: row.batch_id,
    runId: row.run_id,
    sampleKey: row.sample_key,
    round: row.round,
    state: batchRequestStateSchema.parse(row.state),
    costUsd: row.cost_usd,
    reply: row.reply,
  };
}

/** Writes a batch as `submitting` with all its requests `submitted`, in one transaction. */
export function createBatch(db: SqliteDb, batch: NewBatch, requests: readonly NewBatchRequest[]): RunBatch {
  return db.transaction(() => {
    db.run(
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
    for (const request of requests)
      db.run(
        `INSERT INTO batch_requests (custom_id, batch_id, run_id, sample_key, round, state, cost_usd, reply)
         VALUES (?, ?, ?, ?, ?, 'submitted', NULL, NULL)`,
        request.customId,
        batch.id,
        batch.runId,
        request.sampleKey,
        request.round ?? batch.round,
      );
    return getBatch(db, batch.id) as RunBatch;
  });
}

export function getBatch(db: SqliteDb, id: string): RunBatch | undefined {
  const row = db.get<BatchRow>("SELECT * FROM batches WHERE id = ?", id);
  return row ? rowToBatch(row) : undefined;
}

/** Records the provider's id: the batch is `in_progress`. */
export function recordBatchSubmitted(db: SqliteDb, id: string, providerBatchId: string): boolean {
  return (
    db.run(
      "UPDATE batches SET provider_batch_id = ?, state = 'in_progress' WHERE id = ? AND state = 'submitting'",
      providerBatchId,
      id,
    ).changes > 0
  );
}

export function updateBatch(db: SqliteDb, id: string, patch: BatchPatch): void {
  db.transaction(() => {
    if (patch.state !== undefined) db.run("UPDATE batches SET state = ? WHERE id = ?", patch.state, id);
    if (patch.counts !== undefined)
      db.run("UPDATE batches SET counts = ? WHERE id = ?", JSON.stringify(patch.counts), id);
    if (patch.endedAt !== undefined)
      db.run("UPDATE batches SET ended_at = ? WHERE id = ?", patch.endedAt, id);
    // An abandoned batch never reached the provider: its requests are free to go in another batch.
    if (patch.state === "abandoned")
      db.run("UPDATE batch_requests SET state = 'released' WHERE batch_id = ? AND state = 'submitted'", id);
  });
}

/** A run's batches (or every run's), oldest first. */
export function listBatches(db: SqliteDb, runId?: string): RunBatch[] {
  const rows =
    runId === undefined
      ? db.all<BatchRow>("SELECT * FROM batches ORDER BY created_at, id")
      : db.all<BatchRow>("SELECT * FROM batches WHERE run_id = ? ORDER BY created_at, id", runId);
  return rows.map(rowToBatch);
}

export function batchRequests(db: SqliteDb, batchId: string): BatchRequest[] {
  return db
    .all<BatchRequestRow>("SELECT * FROM batch_requests WHERE batch_id = ? ORDER BY custom_id", batchId)
    .map(rowToRequest);
}

/** A request's result as read from its batch. */
export interface BatchRequestResult {
  customId: string;
  state: Exclude<BatchRequestState, "submitted" | "released">;
  costUsd: number | null;
  /** A succeeded request's reply (JSON), else null. */
  reply: string | null;
}

/** Records requests' results, all in one transaction (one write for a page of results). */
export function settleBatchRequests(db: SqliteDb, results: readonly BatchRequestResult[]): void {
  db.transaction(() => {
    for (const result of results)
      db.run(
        "UPDATE batch_requests SET state = ?, cost_usd = ?, reply = ? WHERE custom_id = ?",
        result.state,
        result.costUsd,
        result.reply,
        result.customId,
      );
  });
}

/**
 * The run's succeeded requests with replies whose samples are not finished yet (by sample, then round):
 * work already paid for that a later round, or the sample's storing after a crash, still needs.
 */
export function succeededRequests(db: SqliteDb, runId: string): BatchRequest[] {
  return db
    .all<BatchRequestRow>(
      `SELECT * FROM batch_requests AS request
       WHERE run_id = ? AND state = 'succeeded' AND reply IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM samples WHERE samples.run_id = request.run_id
           AND samples.key = request.sample_key AND samples.status IN ('complete', 'failed'))
       ORDER BY sample_key, round`,
      runId,
    )
    .map(rowToRequest);
}

/** Sample keys of the run with a request in a batch that is being submitted or in flight. */
export function sampleKeysInFlight(db: SqliteDb, runId: string): string[] {
  return db.column<string>(
    "SELECT DISTINCT sample_key FROM batch_requests WHERE run_id = ? AND state = 'submitted'",
    runId,
  );
}
