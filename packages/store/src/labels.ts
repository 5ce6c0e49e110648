import {
  afLabelClassifiers,
  evalAwareLabelClassifiers,
  type HumanLabel,
  type HumanLabelFields,
  type HumanLabelFieldsInput,
  humanLabelFieldsSchema,
  labellerSchema,
  parseOrThrow,
} from "@aflab/core";
import type { SqlFragment } from "./sample-query.js";
import type { SqliteDb } from "./sqlite-db.js";
import { requireSample } from "./verdicts.js";

/** A row of `labels`, as both backends read it. */
export interface LabelRow {
  run_id: string;
  sample_key: string;
  labeller: string;
  af: HumanLabel["af"];
  eval_aware: HumanLabel["evalAware"];
  note: string;
  created_at: string;
  updated_at: string;
}

export function rowToLabel(row: LabelRow): HumanLabel {
  return {
    runId: row.run_id,
    sampleKey: row.sample_key,
    labeller: row.labeller,
    af: row.af,
    evalAware: row.eval_aware,
    note: row.note,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Writes `fields` as `labeller`'s label of the sample, replacing their earlier one (which keeps its
 * `createdAt`). `now` is a parameter so tests need no clock.
 * @throws InputError naming the field for a bad label; NotFoundError for a sample that is not stored
 */
export function putLabel(
  db: SqliteDb,
  runId: string,
  sampleKey: string,
  fields: HumanLabelFieldsInput,
  now: string = new Date().toISOString(),
): HumanLabel {
  const label: HumanLabelFields = parseOrThrow(humanLabelFieldsSchema, fields, "label");
  return db.transaction(() => {
    requireSample(db, runId, sampleKey);
    db.run(
      `INSERT INTO labels (run_id, sample_key, labeller, af, eval_aware, note, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, sample_key, labeller) DO UPDATE SET
         af = excluded.af, eval_aware = excluded.eval_aware, note = excluded.note, updated_at = excluded.updated_at`,
      runId,
      sampleKey,
      label.labeller,
      label.af,
      label.evalAware,
      label.note,
      now,
      now,
    );
    return rowToLabel(
      db.get<LabelRow>(
        "SELECT * FROM labels WHERE run_id = ? AND sample_key = ? AND labeller = ?",
        runId,
        sampleKey,
        label.labeller,
      ) as LabelRow,
    );
  });
}

/** The sample's labels, oldest first. */
export function getLabels(db: SqliteDb, runId: string, sampleKey: string): HumanLabel[] {
  return db
    .all<LabelRow>(
      "SELECT * FROM labels WHERE run_id = ? AND sample_key = ? ORDER BY created_at, labeller",
      runId,
      sampleKey,
    )
    .map(rowToLabel);
}

/** Every label of the run, in sample order (labels are written by hand, so a run holds few). */
export function listLabels(db: SqliteDb, runId: string): HumanLabel[] {
  return db
    .all<LabelRow>(
      `SELECT l.* FROM labels l JOIN samples s ON s.run_id = l.run_id AND s.key = l.sample_key
       WHERE l.run_id = ? ORDER BY s.sample_index, s.id, l.created_at, l.labeller`,
      runId,
    )
    .map(rowToLabel);
}

/** Removes `labeller`'s label of the sample; false when there was none. */
export function deleteLabel(db: SqliteDb, runId: string, sampleKey: string, labeller: string): boolean {
  const name = parseOrThrow(labellerSchema, labeller, "labeller");
  return (
    db.run("DELETE FROM labels WHERE run_id = ? AND sample_key = ? AND labeller = ?", runId, sampleKey, name)
      .changes === 1
  );
}

/**
 * The sample-table filter over `samples s`: `labelled` keeps samples with any label; `disagreement` keeps
 * those where some labeller's plain yes/no differs from an ok yes/no verdict of a classifier that answers
 * the same question (see `labelTarget` in @aflab/core).
 */
export function labelFilter(kind: "labelled" | "disagreement"): SqlFragment {
  if (kind === "labelled") {
    return {
      sql: "EXISTS (SELECT 1 FROM labels l WHERE l.run_id = s.run_id AND l.sample_key = s.key)",
      params: [],
    };
  }
  const marks = (list: readonly string[]) => list.map(() => "?").join(", ");
  return {
    sql: `EXISTS (SELECT 1 FROM labels l JOIN verdicts v ON v.run_id = l.run_id AND v.sample_key = l.sample_key
      WHERE l.run_id = s.run_id AND l.sample_key = s.key AND v.status = 'ok' AND v.decision IN ('yes', 'no') AND (
        (v.classifier IN (${marks(afLabelClassifiers)}) AND l.af IN ('yes', 'no') AND l.af <> v.decision)
        OR (v.classifier IN (${marks(evalAwareLabelClassifiers)}) AND l.eval_aware IN ('yes', 'no') AND l.eval_aware <> v.decision)))`,
    params: [...afLabelClassifiers, ...evalAwareLabelClassifiers],
  };
}
