import { parseOrThrow, type Tier, tierSchema } from "@aflab/core";
import {
  changeStampOf,
  checkComplianceClassifier,
  checkJointClassifiers,
  classifierNamesSql,
  decisionCountsOf,
  emptyUsageRow,
  facetCountsOf,
  facetCountsSql,
  failureKindsOf,
  failureKindsSql,
  jointOutcomesOf,
  type OutcomeGroup,
  type OutcomeGroupRow,
  outcomeGroupsSql,
  progressOf,
  progressSql,
  runChangeStampSql,
  runUsageOf,
  tierCountsOf,
  toOutcomeGroup,
  type UsageRow,
  usageRowSql,
} from "../aggregates.js";
import { PAGE_SIZE } from "../sqlite-db.js";
import type {
  DecisionCounts,
  JointOutcome,
  PairedOutcome,
  RunProgress,
  RunUsage,
  TierCounts,
} from "../types.js";
import { classifierSchema } from "../verdicts.js";
import type { PgDb } from "./pg-db.js";
import { requireRun, requireRunExists } from "./runs.js";

// Aggregates read the tables the triggers of migration 8 keep (`aggregate-schema.ts`): a few rows per run,
// whatever its size. The SQL and the arithmetic are the SQLite module's (`../aggregates.ts`); the contract
// suite holds both to a recomputation by scanning.

function outcomeSql(alias: string): string {
  return `CASE WHEN ${alias}.status IS NULL THEN 'missing' WHEN ${alias}.status = 'failed' THEN 'failed' WHEN ${alias}.status = 'not_applicable' THEN 'not_applicable' ELSE COALESCE(${alias}.decision, 'no_decision') END`;
}

async function outcomeGroups(db: PgDb, runId: string): Promise<OutcomeGroup[]> {
  return (await db.all<OutcomeGroupRow>(outcomeGroupsSql, runId)).map(toOutcomeGroup);
}

export async function tierCounts(
  db: PgDb,
  runId: string,
  complianceClassifier: string,
): Promise<Partial<Record<Tier, TierCounts>>> {
  const classifier = checkComplianceClassifier(complianceClassifier);
  const run = await requireRun(db, runId);
  return tierCountsOf(run.config.tiers, await outcomeGroups(db, runId), classifier);
}

async function facetCounts(db: PgDb, runId: string, facet: string): Promise<Record<string, number>> {
  return facetCountsOf(await db.all<{ value: string; samples: number }>(facetCountsSql, runId, facet));
}

export async function scratchpadSources(db: PgDb, runId: string): Promise<Record<string, number>> {
  await requireRunExists(db, runId);
  return facetCounts(db, runId, "scratchpad_source");
}

/** Failed or errored samples by failure kind. */
export async function sampleFailureKinds(db: PgDb, runId: string): Promise<Record<string, number>> {
  return facetCounts(db, runId, "failure_kind");
}

export async function decisionCounts(db: PgDb, runId: string, classifier: string): Promise<DecisionCounts> {
  const checked = parseOrThrow(classifierSchema, classifier, "classifier");
  await requireRunExists(db, runId);
  return decisionCountsOf(await outcomeGroups(db, runId), checked);
}

export async function jointOutcomes(db: PgDb, runId: string, classifiers: string[]): Promise<JointOutcome[]> {
  const names = checkJointClassifiers(classifiers);
  await requireRunExists(db, runId);
  return jointOutcomesOf(await outcomeGroups(db, runId), names);
}

export async function classifierNames(db: PgDb, runId: string): Promise<string[]> {
  return db.column<string>(classifierNamesSql, runId);
}

/** Failed verdicts of one classifier by failure kind. */
export async function failureKinds(
  db: PgDb,
  runId: string,
  classifier: string,
): Promise<Record<string, number>> {
  return failureKindsOf(await db.all<{ kind: string; count: number }>(failureKindsSql, runId, classifier));
}

async function usageRow(db: PgDb, runId: string, source: "samples" | "verdicts"): Promise<UsageRow> {
  return (await db.get<UsageRow>(usageRowSql, runId, source)) ?? emptyUsageRow;
}

export async function runUsage(db: PgDb, runId: string): Promise<RunUsage> {
  await requireRunExists(db, runId);
  return runUsageOf(await usageRow(db, runId, "samples"), await usageRow(db, runId, "verdicts"));
}

export async function progress(db: PgDb, runId: string): Promise<RunProgress> {
  const total = await db.get<{ total: number }>("SELECT total FROM runs WHERE id = ?", runId);
  if (!total) await requireRunExists(db, runId);
  return progressOf(total?.total ?? 0, await db.all<{ status: string; count: number }>(progressSql, runId));
}

/** What `runChangeStamp` of the SQLite store reads (the run row, the write counters, staged verdicts). */
export async function runChangeStamp(db: PgDb, runId: string): Promise<string> {
  const row = await db.get<Record<string, string | number | null>>(runChangeStampSql, runId, runId, runId);
  return changeStampOf(row as Record<string, string | number | null>);
}

export async function* pairedOutcomes(
  db: PgDb,
  runA: string,
  runB: string,
  classifier: string,
): AsyncGenerator<PairedOutcome> {
  const checked = parseOrThrow(classifierSchema, classifier, "classifier");
  await requireRunExists(db, runA);
  await requireRunExists(db, runB);
  const outcome = (sample: string, verdict: string) =>
    `CASE WHEN ${sample}.status <> 'complete' THEN 'failed' ELSE ${outcomeSql(verdict)} END`;
  const sql = `SELECT a.tier AS tier, a.item_id AS item_id, a.epoch AS epoch, a.query AS query,
      a.key AS key_a, b.key AS key_b, ${outcome("a", "va")} AS decision_a, ${outcome("b", "vb")} AS decision_b,
      a.sample_index AS page_index, a.id AS page_id, b.id AS page_pair
    FROM samples a
    JOIN samples b ON b.run_id = ? AND b.item_id = a.item_id AND b.tier = a.tier AND b.epoch = a.epoch
    LEFT JOIN verdicts va ON va.run_id = a.run_id AND va.sample_key = a.key AND va.classifier = ?
    LEFT JOIN verdicts vb ON vb.run_id = b.run_id AND vb.sample_key = b.key AND vb.classifier = ?
    WHERE a.run_id = ? AND (a.sample_index, a.id, b.id) > (?, ?, ?)
    ORDER BY a.sample_index, a.id, b.id LIMIT ${PAGE_SIZE}`;
  let after: [number, number, number] = [-1, -1, -1];
  for (;;) {
    const rows = await db.all<{
      tier: string;
      item_id: string;
      epoch: number;
      query: string;
      key_a: string;
      key_b: string;
      decision_a: string;
      decision_b: string;
      page_index: number;
      page_id: number;
      page_pair: number;
    }>(sql, runB, checked, checked, runA, ...after);
    if (rows.length === 0) return;
    yield* rows.map((row) => ({
      tier: parseOrThrow(tierSchema, row.tier, "stored sample tier"),
      itemId: row.item_id,
      epoch: row.epoch,
      query: row.query,
      keyA: row.key_a,
      keyB: row.key_b,
      decisionA: row.decision_a,
      decisionB: row.decision_b,
    }));
    const last = rows[rows.length - 1];
    if (!last || rows.length < PAGE_SIZE) return;
    after = [last.page_index, last.page_id, last.page_pair];
  }
}
