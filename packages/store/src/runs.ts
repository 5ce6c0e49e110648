import { InputError, NotFoundError, parseOrThrow, type Run, type RunInput, runSchema } from "@aflab/core";
import { z } from "zod";
import { type RunRow, rowToRun, runToRow } from "./rows.js";
import { escapeLike } from "./sample-query.js";
import type { SqliteDb } from "./sqlite-db.js";
import { type ListRunsOptions, listRunsOptionsSchema, type RunPatch, runPatchSchema } from "./types.js";

export const idSchema = z.string().min(1, "expected a non-empty id");

export function createRun(db: SqliteDb, run: RunInput): Run {
  const parsed = parseOrThrow(runSchema, run, "run");
  return db.transaction(() => {
    if (db.get("SELECT 1 FROM runs WHERE id = ?", parsed.id)) {
      throw new InputError(`run ${parsed.id} already exists`, { field: "id" });
    }
    if (parsed.sweepId !== null && !db.get("SELECT 1 FROM sweeps WHERE id = ?", parsed.sweepId)) {
      throw new NotFoundError(`sweep ${parsed.sweepId} not found`);
    }
    db.run(
      `INSERT INTO runs (id, created_at, updated_at, status, config, model, setting, label, simulated, prompt_hash, total, sweep_id, error)
       VALUES (@id, @created_at, @updated_at, @status, @config, @model, @setting, @label, @simulated, @prompt_hash, @total, @sweep_id, @error)`,
      runToRow(parsed),
    );
    return parsed;
  });
}

export function getRun(db: SqliteDb, id: string): Run | undefined {
  const row = db.get<RunRow>("SELECT * FROM runs WHERE id = ?", parseOrThrow(idSchema, id, "run id"));
  return row ? rowToRun(row) : undefined;
}

export function requireRun(db: SqliteDb, id: string): Run {
  const run = getRun(db, id);
  if (!run) throw new NotFoundError(`run ${id} not found`);
  return run;
}

/** Throws like `requireRun` without parsing the run's row: for aggregates that only need it to exist. */
export function requireRunExists(db: SqliteDb, id: string): void {
  if (!db.get("SELECT 1 FROM runs WHERE id = ?", parseOrThrow(idSchema, id, "run id"))) {
    throw new NotFoundError(`run ${id} not found`);
  }
}

export function listRuns(db: SqliteDb, options: ListRunsOptions = {}): { runs: Run[]; total: number } {
  const query = parseOrThrow(listRunsOptionsSchema, options, "run listing options");
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (query.status) {
    clauses.push("status = ?");
    params.push(query.status);
  }
  if (query.model) {
    clauses.push("model = ?");
    params.push(query.model);
  }
  if (query.setting) {
    clauses.push("setting = ?");
    params.push(query.setting);
  }
  if (query.sweepId) {
    clauses.push("sweep_id = ?");
    params.push(query.sweepId);
  }
  if (query.simulated !== undefined) {
    clauses.push("simulated = ?");
    params.push(query.simulated ? 1 : 0);
  }
  if (query.search) {
    const pattern = `%${escapeLike(query.search)}%`;
    clauses.push("(id LIKE ? ESCAPE '\\' OR label LIKE ? ESCAPE '\\' OR model LIKE ? ESCAPE '\\')");
    params.push(pattern, pattern, pattern);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
  const total =
    db.get<{ total: number }>(`SELECT COUNT(*) AS total FROM runs ${where}`, ...params)?.total ?? 0;
  const rows = db.all<RunRow>(
    `SELECT * FROM runs ${where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`,
    ...params,
    query.limit,
    query.offset,
  );
  return { runs: rows.map(rowToRun), total };
}

export function updateRun(db: SqliteDb, id: string, patch: RunPatch): Run {
  const changes = parseOrThrow(runPatchSchema, patch, "run update");
  return db.transaction(() => {
    const current = requireRun(db, id);
    const next = parseOrThrow(
      runSchema,
      {
        ...current,
        ...(changes.status !== undefined ? { status: changes.status } : {}),
        ...(changes.error !== undefined ? { error: changes.error } : {}),
        ...(changes.total !== undefined ? { total: changes.total } : {}),
        ...(changes.config !== undefined ? { config: changes.config } : {}),
        updatedAt: new Date().toISOString(),
      },
      "run update",
    );
    const row = runToRow(next);
    db.run(
      `UPDATE runs SET status = @status, error = @error, total = @total, updated_at = @updated_at,
         config = @config, model = @model, setting = @setting, label = @label WHERE id = @id`,
      {
        id: row.id,
        status: row.status,
        error: row.error,
        total: row.total,
        updated_at: row.updated_at,
        config: row.config,
        model: row.model,
        setting: row.setting,
        label: row.label,
      },
    );
    return next;
  });
}

export function deleteRun(db: SqliteDb, id: string): boolean {
  return db.run("DELETE FROM runs WHERE id = ?", parseOrThrow(idSchema, id, "run id")).changes > 0;
}

// ---- system prompts: stored once per hash, shared by runs ------------------------------------------

export function putSystemPrompt(db: SqliteDb, hash: string, text: string): void {
  const checkedHash = parseOrThrow(
    z.string().min(1, "expected a non-empty hash"),
    hash,
    "system prompt hash",
  );
  const checkedText = parseOrThrow(z.string(), text, "system prompt text");
  const existing = getSystemPrompt(db, checkedHash);
  if (existing === undefined) {
    db.run(
      "INSERT INTO system_prompts (hash, text, created_at) VALUES (?, ?, ?) ON CONFLICT(hash) DO NOTHING",
      checkedHash,
      checkedText,
      new Date().toISOString(),
    );
  } else if (existing !== checkedText) {
    // The hash is derived from the text: a different text under the same hash is a bug upstream.
    throw new InputError(`system prompt ${checkedHash} is already stored with a different text`, {
      field: "hash",
    });
  }
}

export function getSystemPrompt(db: SqliteDb, hash: string): string | undefined {
  return db.get<{ text: string }>("SELECT text FROM system_prompts WHERE hash = ?", hash)?.text;
}
