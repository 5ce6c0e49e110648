import { InputError, NotFoundError, parseOrThrow, type Run, type RunInput, runSchema } from "@aflab/core";
import { z } from "zod";
import { type RunRow, rowToRun, runToRow } from "../rows.js";
import { idSchema } from "../runs.js";
import { escapeLike } from "../sample-query.js";
import { type ListRunsOptions, listRunsOptionsSchema, type RunPatch, runPatchSchema } from "../types.js";
import type { PgDb } from "./pg-db.js";

const runColumns = [
  "id",
  "created_at",
  "updated_at",
  "status",
  "config",
  "model",
  "setting",
  "label",
  "simulated",
  "prompt_hash",
  "total",
  "sweep_id",
  "error",
] as const;

export async function createRun(db: PgDb, run: RunInput): Promise<Run> {
  const parsed = parseOrThrow(runSchema, run, "run");
  return db.transaction(async (tx) => {
    if (parsed.sweepId !== null && !(await tx.get("SELECT 1 FROM sweeps WHERE id = ?", parsed.sweepId))) {
      throw new NotFoundError(`sweep ${parsed.sweepId} not found`);
    }
    const row = runToRow(parsed);
    const inserted = await tx.run(
      `INSERT INTO runs (${runColumns.join(", ")}) VALUES (${runColumns.map(() => "?").join(", ")})
       ON CONFLICT (id) DO NOTHING`,
      ...runColumns.map((column) => row[column]),
    );
    if (inserted === 0) throw new InputError(`run ${parsed.id} already exists`, { field: "id" });
    return parsed;
  });
}

export async function getRun(db: PgDb, id: string): Promise<Run | undefined> {
  const row = await db.get<RunRow & { seq: number }>(
    "SELECT * FROM runs WHERE id = ?",
    parseOrThrow(idSchema, id, "run id"),
  );
  return row ? rowToRun(row) : undefined;
}

export async function requireRun(db: PgDb, id: string): Promise<Run> {
  const run = await getRun(db, id);
  if (!run) throw new NotFoundError(`run ${id} not found`);
  return run;
}

export async function requireRunExists(db: PgDb, id: string): Promise<void> {
  if (!(await db.get("SELECT 1 FROM runs WHERE id = ?", parseOrThrow(idSchema, id, "run id")))) {
    throw new NotFoundError(`run ${id} not found`);
  }
}

export async function listRuns(
  db: PgDb,
  options: ListRunsOptions = {},
): Promise<{ runs: Run[]; total: number }> {
  const query = parseOrThrow(listRunsOptionsSchema, options, "run listing options");
  const clauses: string[] = [];
  const params: unknown[] = [];
  const filters: [string, unknown][] = [
    ["status", query.status],
    ["model", query.model],
    ["setting", query.setting],
    ["sweep_id", query.sweepId],
    ["simulated", query.simulated === undefined ? undefined : query.simulated ? 1 : 0],
  ];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    clauses.push(`${column} = ?`);
    params.push(value);
  }
  if (query.search) {
    const pattern = `%${escapeLike(query.search)}%`;
    clauses.push("(id ILIKE ? ESCAPE '\\' OR label ILIKE ? ESCAPE '\\' OR model ILIKE ? ESCAPE '\\')");
    params.push(pattern, pattern, pattern);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : "";
  const total = (await db.get<{ total: number }>(`SELECT COUNT(*) AS total FROM runs ${where}`, ...params))
    ?.total;
  const rows = await db.all<RunRow>(
    `SELECT * FROM runs ${where} ORDER BY created_at DESC, seq DESC LIMIT ? OFFSET ?`,
    ...params,
    query.limit,
    query.offset,
  );
  return { runs: rows.map(rowToRun), total: total ?? 0 };
}

export async function updateRun(db: PgDb, id: string, patch: RunPatch): Promise<Run> {
  const changes = parseOrThrow(runPatchSchema, patch, "run update");
  return db.transaction(async (tx) => {
    const row = await tx.get<RunRow>(
      "SELECT * FROM runs WHERE id = ? FOR UPDATE",
      parseOrThrow(idSchema, id, "run id"),
    );
    if (!row) throw new NotFoundError(`run ${id} not found`);
    const current = rowToRun(row);
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
    const updated = runToRow(next);
    await tx.run(
      `UPDATE runs SET status = ?, error = ?, total = ?, updated_at = ?, config = ?, model = ?, setting = ?,
         label = ? WHERE id = ?`,
      updated.status,
      updated.error,
      updated.total,
      updated.updated_at,
      updated.config,
      updated.model,
      updated.setting,
      updated.label,
      updated.id,
    );
    return next;
  });
}

export async function deleteRun(db: PgDb, id: string): Promise<boolean> {
  return (await db.run("DELETE FROM runs WHERE id = ?", parseOrThrow(idSchema, id, "run id"))) > 0;
}

export async function putSystemPrompt(db: PgDb, hash: string, text: string): Promise<void> {
  const checkedHash = parseOrThrow(
    z.string().min(1, "expected a non-empty hash"),
    hash,
    "system prompt hash",
  );
  const checkedText = parseOrThrow(z.string(), text, "system prompt text");
  await db.run(
    "INSERT INTO system_prompts (hash, text, created_at) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING",
    checkedHash,
    checkedText,
    new Date().toISOString(),
  );
  const stored = await getSystemPrompt(db, checkedHash);
  if (stored !== checkedText) {
    // The hash is derived from the text: a different text under the same hash is a bug upstream.
    throw new InputError(`system prompt ${checkedHash} is already stored with a different text`, {
      field: "hash",
    });
  }
}

export async function getSystemPrompt(db: PgDb, hash: string): Promise<string | undefined> {
  return (await db.get<{ text: string }>("SELECT text FROM system_prompts WHERE hash = ?", hash))?.text;
}
