import { userInfo } from "node:os";
import { InputError } from "@aflab/core";
import pg from "pg";
import PgBoss from "pg-boss";

/**
 * The queue of samples waiting for a worker, on pg-boss in the team's PostgreSQL. pg-boss 10 is the
 * version that runs on Node 20 (11 and later need Node 22); it takes jobs with `FOR UPDATE SKIP LOCKED`,
 * so any number of workers on any number of machines fetch without taking the same job, and a job whose
 * worker dies stays `active` only until its expiry, when pg-boss's maintenance puts it back for a retry.
 * (graphile-worker also runs on Node 20, but holds a dead worker's jobs for a fixed four hours.)
 */

/** One job: one sample of one run. */
export interface SampleJob {
  runId: string;
  key: string;
}

export const sampleQueueName = "aflab-samples";

export interface SampleQueueOptions {
  /** A postgres:// URL (its `?schema=` names the store's schema; the queue lives beside it). */
  url: string;
  /** Start pg-boss's maintenance, which returns expired jobs to the queue (workers do; enqueuers need not). */
  supervise?: boolean;
  /** How often maintenance looks for expired jobs (seconds, at least 1). */
  maintenanceIntervalSeconds?: number;
}

/** The connection string the driver gets (with a user name, as psql would pick) and the queue's schema. */
export function queueTarget(url: string): { connectionString: string; schema: string } {
  const parsed = new URL(url);
  const storeSchema = parsed.searchParams.get("schema");
  parsed.searchParams.delete("schema");
  if (!parsed.username) parsed.username = encodeURIComponent(process.env.PGUSER || userInfo().username);
  return {
    connectionString: parsed.toString(),
    schema: storeSchema ? `${storeSchema}_queue` : "aflab_queue",
  };
}

export class SampleQueue {
  readonly boss: PgBoss;
  /** A small pool of our own for the queue's side tables (worker heartbeats, provider slots). */
  readonly pool: pg.Pool;
  readonly schema: string;

  private constructor(boss: PgBoss, pool: pg.Pool, schema: string) {
    this.boss = boss;
    this.pool = pool;
    this.schema = schema;
  }

  static async open(options: SampleQueueOptions): Promise<SampleQueue> {
    const target = queueTarget(options.url);
    const boss = new PgBoss({
      connectionString: target.connectionString,
      schema: target.schema,
      supervise: options.supervise ?? false,
      schedule: false,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 30,
      max: 4,
    });
    // pg-boss reports background errors as events; without a listener Node would crash the worker.
    boss.on("error", () => undefined);
    try {
      await boss.start();
    } catch (error) {
      throw new InputError(`cannot start the sample queue: ${(error as Error).message.split("\n")[0]}`, {
        field: "db",
      });
    }
    if (!(await boss.getQueue(sampleQueueName))) {
      await boss.createQueue(sampleQueueName).catch(async (error) => {
        // Another process created it in between.
        if (!(await boss.getQueue(sampleQueueName))) throw error;
      });
    }
    const pool = new pg.Pool({
      connectionString: target.connectionString,
      max: 4,
      options: `-c search_path=${target.schema}`,
    });
    pool.on("error", () => undefined);
    return new SampleQueue(boss, pool, target.schema);
  }

  /**
   * Enqueues one job per sample key. `leaseSeconds` is how long a worker may hold a job: a worker that
   * dies leaves it active until then, after which it is retried by another worker.
   */
  async enqueue(runId: string, keys: Iterable<string>, leaseSeconds: number): Promise<number> {
    let batch: PgBoss.JobInsert<SampleJob>[] = [];
    let count = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.boss.insert(batch);
      count += batch.length;
      batch = [];
    };
    for (const key of keys) {
      batch.push({
        name: sampleQueueName,
        data: { runId, key },
        expireInSeconds: leaseSeconds,
        // Expiries (a worker killed mid-sample) come back this many times; a finished sample is never
        // asked again whatever the count, as the worker checks the store first.
        retryLimit: 20,
        retryDelay: 0,
      });
      if (batch.length >= 1000) await flush();
    }
    await flush();
    return count;
  }

  /** Takes up to `count` jobs, or none when the queue is empty. */
  async take(count: number): Promise<PgBoss.Job<SampleJob>[]> {
    return this.boss.fetch<SampleJob>(sampleQueueName, { batchSize: count });
  }

  async complete(id: string): Promise<void> {
    await this.boss.complete(sampleQueueName, id);
  }

  /** Gives a job back for another attempt (its work failed in a way another try may fix). */
  async fail(id: string, message: string): Promise<void> {
    await this.boss.fail(sampleQueueName, id, { message });
  }

  /** Jobs of the queue not finished yet (waiting, retrying or being worked on). */
  async pending(): Promise<number> {
    const { rows } = await this.pool.query<{ count: string }>(
      `SELECT COUNT(*) AS count FROM ${this.schema}.job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
      [sampleQueueName],
    );
    return Number(rows[0]?.count ?? 0);
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, timeout: 1000 }).catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
