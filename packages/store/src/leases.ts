import type { SqliteConnection } from "./sqlite-connection.js";

/** Who holds a run: one process at a time executes it. */
export interface RunLease {
  runId: string;
  /** A token unique to the holding process and invocation. */
  owner: string;
  pid: number;
  host: string;
  /** When the holder took the lease (ISO time). */
  acquiredAt: string;
  /** When it last renewed it (ISO time). */
  renewedAt: string;
  /** Epoch milliseconds after which another process may take it over. */
  expiresAt: number;
}

export interface LeaseClaim {
  owner: string;
  pid: number;
  host: string;
  /** How long the lease lasts without renewal. */
  ttlMs: number;
  /** Epoch milliseconds (a parameter so tests need no clock). */
  now: number;
}

interface LeaseRow {
  run_id: string;
  owner: string;
  pid: number;
  host: string;
  acquired_at: string;
  renewed_at: string;
  expires_at: number;
}

function rowToLease(row: LeaseRow): RunLease {
  return {
    runId: row.run_id,
    owner: row.owner,
    pid: row.pid,
    host: row.host,
    acquiredAt: row.acquired_at,
    renewedAt: row.renewed_at,
    expiresAt: row.expires_at,
  };
}

export function readLease(db: SqliteConnection, runId: string): RunLease | undefined {
  const row = db.prepare("SELECT * FROM run_leases WHERE run_id = ?").get(runId) as LeaseRow | undefined;
  return row ? rowToLease(row) : undefined;
}

/**
 * Takes the run's lease when nobody holds it, its holder's lease expired, or `claim.owner` holds it
 * already. Checked and written under one write lock, so two processes never both win.
 * Returns `{ acquired: true }` or the live lease of the other holder.
 */
export function acquireLease(
  db: SqliteConnection,
  runId: string,
  claim: LeaseClaim,
): { acquired: true; lease: RunLease } | { acquired: false; holder: RunLease } {
  const take = db.transaction(() => {
    const held = readLease(db, runId);
    if (held && held.owner !== claim.owner && held.expiresAt > claim.now) {
      return { acquired: false as const, holder: held };
    }
    const at = new Date(claim.now).toISOString();
    db.prepare(
      `INSERT INTO run_leases (run_id, owner, pid, host, acquired_at, renewed_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
         acquired_at = CASE WHEN run_leases.owner = excluded.owner THEN run_leases.acquired_at ELSE excluded.acquired_at END,
         renewed_at = excluded.renewed_at, expires_at = excluded.expires_at`,
    ).run(runId, claim.owner, claim.pid, claim.host, at, at, claim.now + claim.ttlMs);
    return { acquired: true as const, lease: readLease(db, runId) as RunLease };
  });
  return take.immediate();
}

/** Extends the lease of `owner`; false when another process holds it now (it expired and was taken). */
export function renewLease(
  db: SqliteConnection,
  runId: string,
  owner: string,
  ttlMs: number,
  now: number,
): boolean {
  const result = db
    .prepare("UPDATE run_leases SET renewed_at = ?, expires_at = ? WHERE run_id = ? AND owner = ?")
    .run(new Date(now).toISOString(), now + ttlMs, runId, owner);
  return result.changes === 1;
}

/** Gives the lease up (only when `owner` still holds it). */
export function releaseLease(db: SqliteConnection, runId: string, owner: string): void {
  db.prepare("DELETE FROM run_leases WHERE run_id = ? AND owner = ?").run(runId, owner);
}
