import type { QueueWorker, WorkersListing } from "@aflab/core";
import pg from "pg";
import { z } from "zod";
import { queueTarget } from "./sample-queue.js";

/** What every worker reports about itself, for progress lines: who is alive and how fast they go. */
export interface WorkersStatus {
  /** Workers that reported within the last `staleSeconds`. */
  live: number;
  /** Samples per second over all live workers (each measures its own over its last minute). */
  samplesPerSecond: number;
  /** Samples finished by all workers that ever reported. */
  done: number;
}

const staleSeconds = 15;
/** Rows a listing returns (the totals count every row): dead workers' rows are kept for their counts. */
const maxListedWorkers = 100;
/** Runs a worker keeps a count for in its row; a long-lived worker forgets its oldest. */
const maxRunsPerWorker = 200;

const listedRowSchema = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  started_at: z.date(),
  heartbeat_at: z.date(),
  live: z.boolean(),
  run_id: z.string().nullable(),
  done: z.number().int().nonnegative(),
  rate: z.number().nonnegative(),
  total_live: z.coerce.number(),
  total_rate: z.coerce.number(),
  total_done: z.coerce.number(),
});

/** A row's worker is live: it has not left and beat within the last `$1` seconds. */
const liveSql = "(left_at IS NULL AND heartbeat_at > now() - $1 * interval '1 second')";

/** PostgreSQL error codes of a table, schema or column that is not there (no worker ever ran, or an older one). */
const undefinedTable = new Set(["42P01", "3F000"]);
const undefinedColumn = "42703";

/**
 * A heartbeat table beside the queue: each worker upserts its row every few seconds with its count and
 * rate, the run it works on and its count per run. A row that stops being renewed (a killed worker) stops
 * counting as live after `staleSeconds`.
 */
export class WorkerRegistry {
  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly ownsPool = false,
  ) {}

  /**
   * A registry on a pool of its own for the store at `url` (a postgres:// URL, `?schema=` as the store's),
   * for readers such as the API server. The URL goes to the driver only.
   */
  static connect(url: string): WorkerRegistry {
    const target = queueTarget(url);
    const pool = new pg.Pool({ connectionString: target.connectionString, max: 2 });
    // An idle connection the server drops must not crash the reader's process.
    pool.on("error", () => undefined);
    return new WorkerRegistry(pool, target.schema, true);
  }

  async ensureTable(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Serialised: concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog.
      await client.query("SELECT pg_advisory_lock(hashtext($1))", [`aflab-workers:${this.schema}`]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.schema}.aflab_workers (
           id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started_at TIMESTAMPTZ NOT NULL,
           heartbeat_at TIMESTAMPTZ NOT NULL, done INTEGER NOT NULL, rate DOUBLE PRECISION NOT NULL)`,
      );
      // Added later: a table made by an older worker gains them, and older workers' rows leave them empty.
      await client.query(
        `ALTER TABLE ${this.schema}.aflab_workers
           ADD COLUMN IF NOT EXISTS run_id TEXT,
           ADD COLUMN IF NOT EXISTS runs JSONB NOT NULL DEFAULT '{}'::jsonb,
           ADD COLUMN IF NOT EXISTS left_at TIMESTAMPTZ`,
      );
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`aflab-workers:${this.schema}`]);
      client.release();
    }
  }

  /**
   * `runId` is the run of the latest sample the worker took, `runs` how many samples it stored of each
   * run (kept to its latest `maxRunsPerWorker` runs).
   */
  async beat(worker: {
    id: string;
    host: string;
    pid: number;
    done: number;
    rate: number;
    runId?: string | null;
    runs?: Record<string, number>;
  }): Promise<void> {
    const runs = Object.entries(worker.runs ?? {}).slice(-maxRunsPerWorker);
    await this.pool.query(
      `INSERT INTO ${this.schema}.aflab_workers (id, host, pid, started_at, heartbeat_at, done, rate, run_id, runs)
       VALUES ($1, $2, $3, now(), now(), $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), done = excluded.done, rate = excluded.rate,
         run_id = excluded.run_id, runs = excluded.runs`,
      [
        worker.id,
        worker.host,
        worker.pid,
        worker.done,
        worker.rate,
        worker.runId ?? null,
        JSON.stringify(Object.fromEntries(runs)),
      ],
    );
  }

  /** Marks a worker gone at once (a clean exit), so it stops counting as live; its last heartbeat stays. */
  async leave(id: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.schema}.aflab_workers SET left_at = now(), rate = 0 WHERE id = $1`, [
      id,
    ]);
  }

  async status(): Promise<WorkersStatus> {
    const { rows } = await this.pool.query<{ live: string; rate: number | null; done: string | null }>(
      `SELECT COUNT(*) FILTER (WHERE ${liveSql}) AS live,
         SUM(rate) FILTER (WHERE ${liveSql}) AS rate,
         SUM(done) AS done
       FROM ${this.schema}.aflab_workers`,
      [staleSeconds],
    );
    const row = rows[0];
    return {
      live: Number(row?.live ?? 0),
      samplesPerSecond: Number(row?.rate ?? 0),
      done: Number(row?.done ?? 0),
    };
  }

  /**
   * Every worker with its totals, or with `runId` the workers that stored samples of that run or work on
   * it now: live means working on that run now, done counts that run's samples only. One query; the
   * totals count every matching row, the list keeps the first `maxListedWorkers`. Before any worker made
   * the table, the listing is empty.
   */
  async list(runId?: string): Promise<WorkersListing> {
    try {
      return await this.listRows(runId ?? null);
    } catch (error) {
      const code = (error as { code?: string }).code ?? "";
      if (undefinedTable.has(code)) return emptyListing(runId ?? null);
      if (code !== undefinedColumn) throw error;
      // A table an older worker made: give it the newer columns, then read again.
      await this.ensureTable();
      return this.listRows(runId ?? null);
    }
  }

  private async listRows(runId: string | null): Promise<WorkersListing> {
    const { rows } = await this.pool.query(
      `WITH matching AS (
         SELECT id, host, pid, started_at, heartbeat_at, run_id,
           ${liveSql} AND ($2::text IS NULL OR run_id = $2) AS live,
           CASE WHEN $2::text IS NULL THEN done ELSE COALESCE((runs ->> $2)::integer, 0) END AS done,
           rate
         FROM ${this.schema}.aflab_workers
         WHERE $2::text IS NULL OR run_id = $2 OR runs ? $2)
       SELECT id, host, pid, started_at, heartbeat_at, run_id, live, done,
         CASE WHEN live THEN rate ELSE 0 END AS rate,
         COUNT(*) FILTER (WHERE live) OVER () AS total_live,
         COALESCE(SUM(rate) FILTER (WHERE live) OVER (), 0) AS total_rate,
         COALESCE(SUM(done) OVER (), 0) AS total_done
       FROM matching
       ORDER BY live DESC, heartbeat_at DESC, id
       LIMIT ${maxListedWorkers}`,
      [staleSeconds, runId],
    );
    const parsed = rows.map((row) => listedRowSchema.parse(row));
    const first = parsed[0];
    if (!first) return emptyListing(runId);
    return {
      runId,
      staleSeconds,
      live: first.total_live,
      samplesPerSecond: first.total_rate,
      done: first.total_done,
      workers: parsed.map(
        (row): QueueWorker => ({
          id: row.id,
          host: row.host,
          pid: row.pid,
          startedAt: row.started_at.toISOString(),
          heartbeatAt: row.heartbeat_at.toISOString(),
          live: row.live,
          runId: row.run_id,
          done: row.done,
          samplesPerSecond: row.rate,
        }),
      ),
    };
  }

  /** Ends the pool when `connect` made it. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end().catch(() => undefined);
  }
}

function emptyListing(runId: string | null): WorkersListing {
  return { runId, staleSeconds, live: 0, samplesPerSecond: 0, done: 0, workers: [] };
}
