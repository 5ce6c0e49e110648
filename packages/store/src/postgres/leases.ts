import type { LeaseClaim, RunLease } from "../leases.js";
import type { PgDb } from "./pg-db.js";

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

export async function readLease(db: PgDb, runId: string): Promise<RunLease | undefined> {
  const row = await db.get<LeaseRow>("SELECT * FROM run_leases WHERE run_id = ?", runId);
  return row ? rowToLease(row) : undefined;
}

/**
 * Takes the lease when it is free, expired or already `claim.owner`'s: one upsert whose update only
 * applies under those conditions, so two processes never both win, on any number of machines.
 */
export async function acquireLease(
  db: PgDb,
  runId: string,
  claim: LeaseClaim,
): Promise<{ acquired: true; lease: RunLease } | { acquired: false; holder: RunLease }> {
  const at = new Date(claim.now).toISOString();
  const row = await db.get<LeaseRow>(
    `INSERT INTO run_leases (run_id, owner, pid, host, acquired_at, renewed_at, expires_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,
       acquired_at = CASE WHEN run_leases.owner = excluded.owner THEN run_leases.acquired_at ELSE excluded.acquired_at END,
       renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
     WHERE run_leases.owner = excluded.owner OR run_leases.expires_at <= ?
     RETURNING *`,
    runId,
    claim.owner,
    claim.pid,
    claim.host,
    at,
    at,
    claim.now + claim.ttlMs,
    claim.now,
  );
  if (row) return { acquired: true, lease: rowToLease(row) };
  const holder = await readLease(db, runId);
  if (!holder) return acquireLease(db, runId, claim);
  return { acquired: false, holder };
}

export async function renewLease(
  db: PgDb,
  runId: string,
  owner: string,
  ttlMs: number,
  now: number,
): Promise<boolean> {
  const changed = await db.run(
    "UPDATE run_leases SET renewed_at = ?, expires_at = ? WHERE run_id = ? AND owner = ?",
    new Date(now).toISOString(),
    now + ttlMs,
    runId,
    owner,
  );
  return changed === 1;
}

export async function releaseLease(db: PgDb, runId: string, owner: string): Promise<void> {
  await db.run("DELETE FROM run_leases WHERE run_id = ? AND owner = ?", runId, owner);
}
