import { parseOrThrow, type SampleStatus, sampleStatusSchema, type Tier, tierSchema } from "@aflab/core";
import { z } from "zod";
import { outcomeSql } from "./aggregates-scan.js";
import { usageOf } from "./rows.js";
import { requireRun, requireRunExists } from "./runs.js";
import { betweenPages, PAGE_SIZE, type SqliteDb } from "./sqlite-db.js";
import type {
  DecisionCounts,
  JointOutcome,
  PairedOutcome,
  RunProgress,
  RunUsage,
  TierCounts,
} from "./types.js";
import { classifierSchema } from "./verdicts.js";

// Aggregates read the tables the triggers of aggregate-schema.ts keep: a few rows per run, whatever its size.
// aggregates-scan.ts computes the same numbers by scanning, for the tests.

/** Most classifiers `jointOutcomes` groups by at once. */
const MAX_JOINT_CLASSIFIERS = 16;

// The SQL and the arithmetic below are shared with the PostgreSQL module (`postgres/aggregates.ts`), which
// reads the same tables kept by its own triggers: only the round trips differ between the backends.

/** Samples of one run with the same tier, status, API refusal and outcome of every classifier. */
export interface OutcomeGroup {
  tier: Tier;
  status: SampleStatus;
  apiRefused: boolean;
  /** Outcome by classifier; a classifier that did not judge these samples is absent (`missing`). */
  outcomes: Record<string, string>;
  samples: number;
}

export interface OutcomeGroupRow {
  tier: string;
  status: string;
  api_refused: number;
  outcomes: string;
  samples: number;
}

export const outcomeGroupsSql =
  "SELECT tier, status, api_refused, outcomes, samples FROM aggregate_outcomes WHERE run_id = ?";

export function toOutcomeGroup(row: OutcomeGroupRow): OutcomeGroup {
  return {
    tier: parseOrThrow(tierSchema, row.tier, "stored sample tier"),
    status: parseOrThrow(sampleStatusSchema, row.status, "stored sample status"),
    apiRefused: row.api_refused === 1,
    outcomes: JSON.parse(row.outcomes) as Record<string, string>,
    samples: row.samples,
  };
}

function outcomeGroups(db: SqliteDb, runId: string): OutcomeGroup[] {
  return db.all<OutcomeGroupRow>(outcomeGroupsSql, runId).map(toOutcomeGroup);
}

const outcomeOf = (group: OutcomeGroup, classifier: string): string =>
  Object.hasOwn(group.outcomes, classifier) ? (group.outcomes[classifier] as string) : "missing";

/** Checks `tierCounts`' classifier. */
export const checkComplianceClassifier = (classifier: string): string =>
  parseOrThrow(classifierSchema, classifier, "compliance classifier");

/** Tier counts of a run with `tiers` configured, summed over its outcome groups (see `tierCounts`). */
export function tierCountsOf(
  tiers: readonly Tier[],
  groups: OutcomeGroup[],
  classifier: string,
): Partial<Record<Tier, TierCounts>> {
  const counts: Partial<Record<Tier, TierCounts>> = {};
  for (const tier of tiers)
    counts[tier] = { n: 0, compliant: 0, refused: 0, apiRefused: 0, unknown: 0, failed: 0 };
  for (const group of groups) {
    const count = counts[group.tier] ?? {
      n: 0,
      compliant: 0,
      refused: 0,
      apiRefused: 0,
      unknown: 0,
      failed: 0,
    };
    counts[group.tier] = count;
    count.n += group.samples;
    const outcome = group.status === "complete" ? outcomeOf(group, classifier) : "failed";
    if (outcome === "compliant") count.compliant += group.samples;
    else if (outcome === "refused") {
      count.refused += group.samples;
      if (group.apiRefused) count.apiRefused += group.samples;
    } else if (outcome === "unknown") count.unknown += group.samples;
    else count.failed += group.samples;
  }
  return counts;
}

/**
 * Compliance counts per tier. A sample counts as compliant / refused / unknown only when its generation
 * is complete and its verdict is `ok` with that decision; everything else is `failed`: failed or errored
 * generations, failed or missing verdicts, and also `not_applicable` verdicts or decisions outside the
 * compliance vocabulary, so that n always equals the sum of the four buckets.
 * Tiers of the run's config appear even with no samples yet.
 */
export function tierCounts(
  db: SqliteDb,
  runId: string,
  complianceClassifier: string,
): Partial<Record<Tier, TierCounts>> {
  const classifier = checkComplianceClassifier(complianceClassifier);
  const run = requireRun(db, runId);
  return tierCountsOf(run.config.tiers, outcomeGroups(db, runId), classifier);
}

export const facetCountsSql =
  "SELECT value, samples FROM aggregate_sample_facets WHERE run_id = ? AND facet = ? ORDER BY value";

export const facetCountsOf = (rows: { value: string; samples: number }[]): Record<string, number> =>
  Object.fromEntries(rows.map((row) => [row.value, row.samples]));

function facetCounts(db: SqliteDb, runId: string, facet: string): Record<string, number> {
  return facetCountsOf(db.all<{ value: string; samples: number }>(facetCountsSql, runId, facet));
}

export function scratchpadSources(db: SqliteDb, runId: string): Record<string, number> {
  requireRunExists(db, runId);
  return facetCounts(db, runId, "scratchpad_source");
}

/** Failed or errored samples by failure kind. */
export function sampleFailureKinds(db: SqliteDb, runId: string): Record<string, number> {
  return facetCounts(db, runId, "failure_kind");
}

/** Per tier, how many of the groups' samples got each outcome from `classifier` (see `decisionCounts`). */
export function decisionCountsOf(groups: OutcomeGroup[], classifier: string): DecisionCounts {
  const counts: DecisionCounts = {};
  for (const group of groups) {
    const entry = counts[group.tier] ?? {};
    const outcome = outcomeOf(group, classifier);
    entry[outcome] = (entry[outcome] ?? 0) + group.samples;
    counts[group.tier] = entry;
  }
  return counts;
}

/**
 * Per tier, how many samples got each outcome from `classifier`: its decision for `ok` verdicts
 * (`no_decision` when it gave none), else `failed`, `not_applicable` or `missing`. Every sample of the
 * run counts once, whatever its generation status (failed generations usually show as `missing`).
 */
export function decisionCounts(db: SqliteDb, runId: string, classifier: string): DecisionCounts {
  const checked = parseOrThrow(classifierSchema, classifier, "classifier");
  requireRunExists(db, runId);
  return decisionCountsOf(outcomeGroups(db, runId), checked);
}

const compareText = (left: string, right: string) => (left < right ? -1 : left > right ? 1 : 0);

/** Checks `jointOutcomes`' list of classifiers. */
export function checkJointClassifiers(classifiers: string[]): string[] {
  return parseOrThrow(
    z
      .array(classifierSchema)
      .min(1, "expected at least one classifier")
      .max(MAX_JOINT_CLASSIFIERS, `expected at most ${MAX_JOINT_CLASSIFIERS} classifiers`),
    classifiers,
    "classifiers",
  );
}

/** The groups' samples by tier, status and each named classifier's outcome, in that order. */
export function jointOutcomesOf(groups: OutcomeGroup[], names: string[]): JointOutcome[] {
  const joint = new Map<string, JointOutcome>();
  for (const group of groups) {
    const outcomes = names.map((name) => outcomeOf(group, name));
    const id = JSON.stringify([group.tier, group.status, ...outcomes]);
    const entry = joint.get(id);
    if (entry) entry.count += group.samples;
    else joint.set(id, { tier: group.tier, status: group.status, outcomes, count: group.samples });
  }
  const parts = (row: JointOutcome) => [row.tier, row.status, ...row.outcomes];
  return [...joint.values()].sort((left, right) => {
    const a = parts(left);
    const b = parts(right);
    for (let position = 0; position < a.length; position++) {
      const order = compareText(a[position] as string, b[position] as string);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/** Samples grouped by tier, status and each classifier's outcome (as in `decisionCounts`), in that order. */
export function jointOutcomes(db: SqliteDb, runId: string, classifiers: string[]): JointOutcome[] {
  const names = checkJointClassifiers(classifiers);
  requireRunExists(db, runId);
  return jointOutcomesOf(outcomeGroups(db, runId), names);
}

export const classifierNamesSql =
  "SELECT DISTINCT classifier FROM aggregate_verdicts WHERE run_id = ? ORDER BY classifier";

export function classifierNames(db: SqliteDb, runId: string): string[] {
  return db.column<string>(classifierNamesSql, runId);
}

export const failureKindsSql = `SELECT failure_kind AS kind, SUM(verdicts) AS count FROM aggregate_verdicts
     WHERE run_id = ? AND classifier = ? AND status = 'failed' GROUP BY failure_kind ORDER BY failure_kind`;

export const failureKindsOf = (rows: { kind: string; count: number }[]): Record<string, number> =>
  Object.fromEntries(rows.map((row) => [row.kind, row.count]));

/** Failed verdicts of one classifier by failure kind. */
export function failureKinds(db: SqliteDb, runId: string, classifier: string): Record<string, number> {
  return failureKindsOf(db.all<{ kind: string; count: number }>(failureKindsSql, runId, classifier));
}

export interface UsageRow {
  rows: number;
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number;
  reasoning_rows: number;
  cost_usd: number;
  unpriced: number;
  retries: number;
}

export const usageRowSql = `SELECT rows, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, reasoning_tokens,
         reasoning_rows, cost_usd, unpriced, retries FROM aggregate_usage WHERE run_id = ? AND source = ?`;

/** The sums of a run with no rows from a source yet. */
export const emptyUsageRow: UsageRow = {
  rows: 0,
  input_tokens: 0,
  output_tokens: 0,
  cache_write_tokens: 0,
  cache_read_tokens: 0,
  reasoning_tokens: 0,
  reasoning_rows: 0,
  cost_usd: 0,
  unpriced: 0,
  retries: 0,
};

function usageRow(db: SqliteDb, runId: string, source: "samples" | "verdicts"): UsageRow {
  return db.get<UsageRow>(usageRowSql, runId, source) ?? emptyUsageRow;
}

/** Usage of a sum row: reasoning tokens only when some row reported them (as SUM over NULLs gives NULL). */
function usageOfRow(row: UsageRow) {
  return usageOf({ ...row, reasoning_tokens: row.reasoning_rows > 0 ? row.reasoning_tokens : null });
}

/** A run's usage from its samples' and verdicts' sum rows. */
export function runUsageOf(samples: UsageRow, verdicts: UsageRow): RunUsage {
  // A run's sums are kept by adding and subtracting; a run with no priced rows left costs exactly 0.
  const cost = (row: UsageRow) => (row.rows === 0 ? 0 : row.cost_usd);
  return {
    usage: usageOfRow(samples),
    costUsd: samples.unpriced > 0 ? null : cost(samples),
    unpricedSamples: samples.unpriced,
    retries: samples.retries,
    samples: samples.rows,
    judgeUsage: usageOfRow(verdicts),
    judgeCostUsd: verdicts.unpriced > 0 ? null : cost(verdicts),
    unpricedVerdicts: verdicts.unpriced,
    verdicts: verdicts.rows,
  };
}

export function runUsage(db: SqliteDb, runId: string): RunUsage {
  requireRunExists(db, runId);
  return runUsageOf(usageRow(db, runId, "samples"), usageRow(db, runId, "verdicts"));
}

export const progressSql =
  "SELECT status, SUM(samples) AS count FROM aggregate_outcomes WHERE run_id = ? GROUP BY status";

/** Progress of a run of `total` samples from its samples per status. */
export function progressOf(total: number, rows: { status: string; count: number }[]): RunProgress {
  const counts: RunProgress = { total, complete: 0, failed: 0, errored: 0 };
  for (const row of rows) {
    const status = parseOrThrow(sampleStatusSchema, row.status, "stored sample status");
    counts[status] = row.count;
  }
  return counts;
}

export function progress(db: SqliteDb, runId: string): RunProgress {
  const total = db.get<{ total: number }>("SELECT total FROM runs WHERE id = ?", runId);
  if (!total) requireRunExists(db, runId);
  return progressOf(total?.total ?? 0, db.all<{ status: string; count: number }>(progressSql, runId));
}

export const runChangeStampSql = `SELECT
       (SELECT updated_at || '|' || status || '|' || total FROM runs WHERE id = ?) AS run,
       (SELECT COALESCE(SUM(changes), 0) FROM aggregate_usage WHERE run_id = ?) AS changes,
       (SELECT COUNT(*) FROM staged_verdicts WHERE run_id = ?) AS staged`;

export const changeStampOf = (row: Record<string, string | number | null>): string =>
  [row.run ?? "absent", row.changes, row.staged].join("|");

/**
 * A short text that changes whenever what a run's report reads changes: the run row, the count of writes
 * to its samples and verdicts (kept by the triggers), and its staged verdicts (so a replacement moving in
 * changes it too). A few index lookups, whatever the run's size.
 */
export function runChangeStamp(db: SqliteDb, runId: string): string {
  const row = db.get<Record<string, string | number | null>>(runChangeStampSql, runId, runId, runId);
  return changeStampOf(row as Record<string, string | number | null>);
}

/** Checks the arguments of `pairedOutcomes` (both runs must exist) before anything is streamed. */
export function checkPairedOutcomes(db: SqliteDb, runA: string, runB: string, classifier: string): string {
  const checked = parseOrThrow(classifierSchema, classifier, "classifier");
  requireRunExists(db, runA);
  requireRunExists(db, runB);
  return checked;
}

export async function* pairedOutcomes(
  db: SqliteDb,
  runA: string,
  runB: string,
  classifier: string,
): AsyncGenerator<PairedOutcome> {
  const checked = checkPairedOutcomes(db, runA, runB, classifier);
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
    const rows = db.all<{
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
    await betweenPages();
    after = [last.page_index, last.page_id, last.page_pair];
  }
}
