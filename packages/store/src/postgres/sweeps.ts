import { InputError, parseOrThrow } from "@aflab/core";
import { rowToSweep, type Sweep, type SweepRow, sweepSchema } from "../rows.js";
import type { CreateSweepInput } from "../types.js";
import type { PgDb } from "./pg-db.js";

export async function createSweep(db: PgDb, sweep: CreateSweepInput): Promise<Sweep> {
  const parsed = parseOrThrow(
    sweepSchema,
    { id: sweep?.id, config: sweep?.config, createdAt: sweep?.createdAt ?? new Date().toISOString() },
    "sweep",
  );
  const inserted = await db.run(
    "INSERT INTO sweeps (id, config, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
    parsed.id,
    JSON.stringify(parsed.config),
    parsed.createdAt,
  );
  if (inserted === 0) throw new InputError(`sweep ${parsed.id} already exists`, { field: "id" });
  return parsed;
}

export async function getSweep(db: PgDb, id: string): Promise<Sweep | undefined> {
  const row = await db.get<SweepRow>("SELECT id, config, created_at FROM sweeps WHERE id = ?", id);
  return row ? rowToSweep(row) : undefined;
}

export async function listSweeps(db: PgDb): Promise<Sweep[]> {
  const rows = await db.all<SweepRow>(
    "SELECT id, config, created_at FROM sweeps ORDER BY created_at DESC, seq DESC",
  );
  return rows.map(rowToSweep);
}
