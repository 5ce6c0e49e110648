import { parseOrThrow, sampleStatusSchema, type Tier, tierSchema } from "@aflab/core";
import { z } from "zod";
import { usageOf } from "./rows.js";
import { requireRun, requireRunExists } from "./runs.js";
import type { SqliteDb } from "./sqlite-db.js";
import type { DecisionCounts, JointOutcome, RunProgress, RunUsage, TierCounts } from "./types.js";
import { classifierSchema } from "./verdicts.js";

// Every aggregate computed by scanning the run's samples and verdicts. The store answers from the tables the
// triggers keep (aggregates.ts); these scans are the independent computation that tests hold them to.

/** Most classifiers `jointOutcomes` joins at once (one LEFT JOIN each). */
const MAX_JOINT_CLASSIFIERS = 16;

// The outcome of one classifier for one sample, from a LEFT JOIN on verdicts aliased `alias`.
export function outcomeSql(alias: string): string {
  return `CASE WHEN ${alias}.status IS NULL THEN 'missing' WHEN ${alias}.status = 'failed' THEN 'failed' WHEN ${alias}.status = 'not_applicable' THEN 'not_applicable' ELSE COALESCE(${alias}.decision, 'no_decision') END`;
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
  const classifier = parseOrThrow(classifierSchema, complianceClassifier, "compliance classifier");
  const run = requireRun(db, runId);
  const usable = "s.status = 'complete' AND v.status = 'ok' AND v.decision";
  const rows = db.all<TierCounts & { tier: Tier }>(
    `SELECT tier, n, compliant, refused, api_refused AS apiRefused, unknown,
       n - compliant - refused - unknown AS failed FROM (
       SELECT s.tier AS tier, COUNT(*) AS n,
         SUM(CASE WHEN ${usable} = 'compliant' THEN 1 ELSE 0 END) AS compliant,
         SUM(CASE WHEN ${usable} = 'refused' THEN 1 ELSE 0 END) AS refused,
         SUM(CASE WHEN ${usable} = 'refused' AND s.refusal_kind = 'api_refusal' THEN 1 ELSE 0 END) AS api_refused,
         SUM(CASE WHEN ${usable} = 'unknown' THEN 1 ELSE 0 END) AS unknown
       FROM samples s
       LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ?
       WHERE s.run_id = ? GROUP BY s.tier)`,
    classifier,
    runId,
  );
  const counts: Partial<Record<Tier, TierCounts>> = {};
  for (const tier of run.config.tiers)
    counts[tier] = { n: 0, compliant: 0, refused: 0, apiRefused: 0, unknown: 0, failed: 0 };
  for (const row of rows) {
    const tier = parseOrThrow(tierSchema, row.tier, "stored sample tier");
    counts[tier] = {
      n: row.n,
      compliant: row.compliant,
      refused: row.refused,
      apiRefused: row.apiRefused,
      unknown: row.unknown,
      failed: row.failed,
    };
  }
  return counts;
}

export function scratchpadSources(db: SqliteDb, runId: string): Record<string, number> {
  requireRunExists(db, runId);
  // Samples stored before the source was recorded had no native reasoning: their judges read the tags.
  const rows = db.all<{ source: string; count: number }>(
    `SELECT COALESCE(scratchpad_source,
         CASE WHEN TRIM(COALESCE(scratchpad, '')) <> '' THEN 'tags' ELSE 'none' END) AS source,
       COUNT(*) AS count
     FROM samples WHERE run_id = ? AND status = 'complete' GROUP BY source ORDER BY source`,
    runId,
  );
  return Object.fromEntries(rows.map((row) => [row.source, row.count]));
}

/**
 * Per tier, how many samples got each outcome from `classifier`: its decision for `ok` verdicts
 * (`no_decision` when it gave none), else `failed`, `not_applicable` or `missing`. Every sample of the
 * run counts once, whatever its generation status (failed generations usually show as `missing`).
 */
export function decisionCounts(db: SqliteDb, runId: string, classifier: string): DecisionCounts {
  const checked = parseOrThrow(classifierSchema, classifier, "classifier");
  requireRunExists(db, runId);
  const rows = db.all<{ tier: string; outcome: string; count: number }>(
    `SELECT s.tier AS tier, ${outcomeSql("v")} AS outcome, COUNT(*) AS count
     FROM samples s
     LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ?
     WHERE s.run_id = ? GROUP BY s.tier, outcome`,
    checked,
    runId,
  );
  const counts: DecisionCounts = {};
  for (const row of rows) {
    const tier = parseOrThrow(tierSchema, row.tier, "stored sample tier");
    const entry = counts[tier] ?? {};
    entry[row.outcome] = row.count;
    counts[tier] = entry;
  }
  return counts;
}

/** Samples grouped by tier, status and each classifier's outcome (as in `decisionCounts`), in one query. */
export function jointOutcomes(db: SqliteDb, runId: string, classifiers: string[]): JointOutcome[] {
  const names = parseOrThrow(
    z
      .array(classifierSchema)
      .min(1, "expected at least one classifier")
      .max(MAX_JOINT_CLASSIFIERS, `expected at most ${MAX_JOINT_CLASSIFIERS} classifiers`),
    classifiers,
    "classifiers",
  );
  requireRunExists(db, runId);
  const joins = names
    .map(
      (_, position) =>
        `LEFT JOIN verdicts v${position} ON v${position}.run_id = s.run_id AND v${position}.sample_key = s.key AND v${position}.classifier = ?`,
    )
    .join("\n");
  const outcomes = names.map((_, position) => `${outcomeSql(`v${position}`)} AS o${position}`).join(", ");
  const groups = names.map((_, position) => `o${position}`).join(", ");
  const rows = db.all<Record<string, string | number>>(
    `SELECT s.tier AS sample_tier, s.status AS sample_status, ${outcomes}, COUNT(*) AS count
     FROM samples s ${joins}
     WHERE s.run_id = ? GROUP BY sample_tier, sample_status, ${groups}
     ORDER BY sample_tier, sample_status, ${groups}`,
    ...names,
    runId,
  );
  return rows.map((row) => ({
    tier: parseOrThrow(tierSchema, row.sample_tier, "stored sample tier"),
    status: parseOrThrow(sampleStatusSchema, row.sample_status, "stored sample status"),
    outcomes: names.map((_, position) => String(row[`o${position}`])),
    count: Number(row.count),
  }));
}

interface UsageTotals {
  rows: number;
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number | null;
  cost: number;
  unpriced: number;
  retries: number;
}

function usageTotals(db: SqliteDb, table: "samples" | "verdicts", runId: string): UsageTotals {
  return (
    db.get<UsageTotals>(
      `SELECT COUNT(*) AS rows,
         COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
         COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens, COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens,
         SUM(reasoning_tokens) AS reasoning_tokens,
         COALESCE(SUM(cost_usd), 0) AS cost,
         COALESCE(SUM(CASE WHEN cost_usd IS NULL
           AND input_tokens + output_tokens + cache_write_tokens + cache_read_tokens > 0 THEN 1 ELSE 0 END), 0) AS unpriced,
         ${table === "samples" ? "COALESCE(SUM(retries), 0)" : "0"} AS retries
       FROM ${table} WHERE run_id = ?`,
      runId,
    ) ?? {
      rows: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_write_tokens: 0,
      cache_read_tokens: 0,
      reasoning_tokens: null,
      cost: 0,
      unpriced: 0,
      retries: 0,
    }
  );
}

export function runUsage(db: SqliteDb, runId: string): RunUsage {
  requireRunExists(db, runId);
  const samples = usageTotals(db, "samples", runId);
  const verdicts = usageTotals(db, "verdicts", runId);
  return {
    usage: usageOf(samples),
    costUsd: samples.unpriced > 0 ? null : samples.cost,
    unpricedSamples: samples.unpriced,
    retries: samples.retries,
    samples: samples.rows,
    judgeUsage: usageOf(verdicts),
    judgeCostUsd: verdicts.unpriced > 0 ? null : verdicts.cost,
    unpricedVerdicts: verdicts.unpriced,
    verdicts: verdicts.rows,
  };
}

export function progress(db: SqliteDb, runId: string): RunProgress {
  const total = db.get<{ total: number }>("SELECT total FROM runs WHERE id = ?", runId);
  if (!total) requireRunExists(db, runId);
  const rows = db.all<{ status: string; count: number }>(
    "SELECT status, COUNT(*) AS count FROM samples WHERE run_id = ? GROUP BY status",
    runId,
  );
  const counts: RunProgress = { total: total?.total ?? 0, complete: 0, failed: 0, errored: 0 };
  for (const row of rows) {
    const status = parseOrThrow(sampleStatusSchema, row.status, "stored sample status");
    counts[status] = row.count;
  }
  return counts;
}

export function sampleFailureKinds(db: SqliteDb, runId: string): Record<string, number> {
  const rows = db.all<{ kind: string; count: number }>(
    `SELECT failure_kind AS kind, COUNT(*) AS count FROM samples
     WHERE run_id = ? AND failure_kind IS NOT NULL GROUP BY failure_kind ORDER BY failure_kind`,
    runId,
  );
  return Object.fromEntries(rows.map((row) => [row.kind, row.count]));
}

export function classifierNames(db: SqliteDb, runId: string): string[] {
  return db.column<string>(
    "SELECT DISTINCT classifier FROM verdicts WHERE run_id = ? ORDER BY classifier",
    runId,
  );
}

export function failureKinds(db: SqliteDb, runId: string, classifier: string): Record<string, number> {
  const rows = db.all<{ kind: string; count: number }>(
    `SELECT COALESCE(failure_kind, 'unspecified') AS kind, COUNT(*) AS count FROM verdicts
     WHERE run_id = ? AND classifier = ? AND status = 'failed' GROUP BY kind ORDER BY kind`,
    runId,
    classifier,
  );
  return Object.fromEntries(rows.map((row) => [row.kind, row.count]));
}
