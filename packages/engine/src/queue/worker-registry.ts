import type pg from "pg";

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

/**
 * A heartbeat table beside the queue: each worker upserts its row every few seconds with its count and
 * rate. A row that stops being renewed (a killed worker) stops counting as live after `staleSeconds`.
 */
export class WorkerRegistry {
  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {}

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
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`aflab-workers:${this.schema}`]);
      client.release();
    }
  }

  async beat(worker: { id: string; host: string; pid: number; done: number; rate: number }): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.schema}.aflab_workers (id, host, pid, started_at, heartbeat_at, done, rate)
       VALUES ($1, $2, $3, now(), now(), $4, $5)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), done = excluded.done, rate = excluded.rate`,
      [worker.id, worker.host, worker.pid, worker.done, worker.rate],
    );
  }

  /** Marks a worker gone at once (a clean exit), so it stops counting as live. */
  async leave(id: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${this.schema}.aflab_workers SET heartbeat_at = now() - interval '1 day', rate = 0 WHERE id = $1`,
      [id],
    );
  }

  async status(): Promise<WorkersStatus> {
    const { rows } = await this.pool.query<{ live: string; rate: number | null; done: string | null }>(
      `SELECT COUNT(*) FILTER (WHERE heartbeat_at > now() - $1 * interval '1 second') AS live,
         SUM(rate) FILTER (WHERE heartbeat_at > now() - $1 * interval '1 second') AS rate,
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
}
