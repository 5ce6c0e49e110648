import {
  type HumanLabel,
  type HumanLabelFields,
  type HumanLabelFieldsInput,
  humanLabelFieldsSchema,
  labellerSchema,
  parseOrThrow,
} from "@aflab/core";
import { type LabelRow, rowToLabel } from "../labels.js";
import type { PgDb } from "./pg-db.js";
import { requireSample } from "./verdicts.js";

// The PostgreSQL twin of `../labels.ts`: same validation and row mapping; the sample listing's `label`
// filter is the shared `labelFilter` over this table.

export async function putLabel(
  db: PgDb,
  runId: string,
  sampleKey: string,
  fields: HumanLabelFieldsInput,
  now: string = new Date().toISOString(),
): Promise<HumanLabel> {
  const label: HumanLabelFields = parseOrThrow(humanLabelFieldsSchema, fields, "label");
  return db.transaction(async (tx) => {
    await requireSample(tx, runId, sampleKey);
    const row = await tx.get<LabelRow>(
      `INSERT INTO labels (run_id, sample_key, labeller, af, eval_aware, note, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, sample_key, labeller) DO UPDATE SET
         af = excluded.af, eval_aware = excluded.eval_aware, note = excluded.note, updated_at = excluded.updated_at
       RETURNING *`,
      runId,
      sampleKey,
      label.labeller,
      label.af,
      label.evalAware,
      label.note,
      now,
      now,
    );
    return rowToLabel(row as LabelRow);
  });
}

export async function getLabels(db: PgDb, runId: string, sampleKey: string): Promise<HumanLabel[]> {
  const rows = await db.all<LabelRow>(
    "SELECT * FROM labels WHERE run_id = ? AND sample_key = ? ORDER BY created_at, labeller",
    runId,
    sampleKey,
  );
  return rows.map(rowToLabel);
}

export async function listLabels(db: PgDb, runId: string): Promise<HumanLabel[]> {
  const rows = await db.all<LabelRow>(
    `SELECT l.* FROM labels l JOIN samples s ON s.run_id = l.run_id AND s.key = l.sample_key
     WHERE l.run_id = ? ORDER BY s.sample_index, s.id, l.created_at, l.labeller`,
    runId,
  );
  return rows.map(rowToLabel);
}

export async function deleteLabel(
  db: PgDb,
  runId: string,
  sampleKey: string,
  labeller: string,
): Promise<boolean> {
  const name = parseOrThrow(labellerSchema, labeller, "labeller");
  return (
    (await db.run(
      "DELETE FROM labels WHERE run_id = ? AND sample_key = ? AND labeller = ?",
      runId,
      sampleKey,
      name,
    )) === 1
  );
}
