import { InputError, parseOrThrow } from "@aflab/core";
import { rowToSweep, type Sweep, type SweepRow, sweepSchema } from "./rows.js";
import type { SqliteDb } from "./sqlite-db.js";
import type { CreateSweepInput } from "./types.js";

export function createSweep(db: SqliteDb, sweep: CreateSweepInput): Sweep {
  const parsed = parseOrThrow(
    sweepSchema,
    { id: sweep?.id, config: sweep?.config, createdAt: sweep?.createdAt ?? new Date().toISOString() },
    "sweep",
  );
  return db.transaction(() => {
    if (db.get("SELECT 1 FROM sweeps WHERE id = ?", parsed.id)) {
      throw new InputError(`sweep ${parsed.id} already exists`, { field: "id" });
    }
    db.run(
      "INSERT INTO sweeps (id, config, created_at) VALUES (?, ?, ?)",
      parsed.id,
      JSON.stringify(parsed.config),
      parsed.createdAt,
    );
    return parsed;
  });
}

export function getSweep(db: SqliteDb, id: string): Sweep | undefined {
  const row = db.get<SweepRow>("SELECT * FROM sweeps WHERE id = ?", id);
  return row ? rowToSweep(row) : undefined;
}

export function listSweeps(db: SqliteDb): Sweep[] {
  return db.all<SweepRow>("SELECT * FROM sweeps ORDER BY created_at DESC, rowid DESC").map(rowToSweep);
}
