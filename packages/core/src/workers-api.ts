/** One worker of a team's queue, as its heartbeat describes it. */
export interface QueueWorker {
  /** `HOST:PID:RANDOM`, new for each worker process. */
  id: string;
  host: string;
  pid: number;
  startedAt: string;
  heartbeatAt: string;
  /** Reported within the last `staleSeconds` (in a run's listing: and works on that run now). */
  live: boolean;
  /** The run of the latest sample it took; null for a worker that reported none. */
  runId: string | null;
  /** Samples it stored (in a run's listing: of that run). */
  done: number;
  /** Its samples per second over its last minute; 0 once it is no longer live. */
  samplesPerSecond: number;
}

/** The workers of the whole queue, or of one run, with their totals. */
export interface WorkersListing {
  /** The run the listing is about; null for every worker of the queue. */
  runId: string | null;
  /** Seconds without a heartbeat after which a worker no longer counts as live. */
  staleSeconds: number;
  /** Live workers (in a run's listing: working on that run). */
  live: number;
  /** Samples per second of the live workers together. */
  samplesPerSecond: number;
  /** Samples stored by every worker listed, live or not (in a run's listing: of that run). */
  done: number;
  /** Live workers first, then the most recently heard from; the totals count every worker, listed or not. */
  workers: QueueWorker[];
}

/**
 * `GET /api/workers` and `GET /api/runs/:id/workers`. Workers exist only on a PostgreSQL store, where
 * runs are queued; on SQLite (or a server that does not follow the queue) `workers` is null.
 */
export type WorkersReport =
  | ({ backend: "postgres" } & WorkersListing)
  | { backend: "sqlite" | "postgres"; workers: null };
