import { parseOrThrow, sampleStatusSchema, type Tier, tierSchema } from "@aflab/core";
import { z } from "zod";
import { usageOf } from "./rows.js";
import { requireRun, requireRunExists } from "./runs.js";
import { PAGE_SIZE, type SqliteDb } from "./sqlite-db.js";
import type {
  DecisionCounts,
  JointOutcome,
  PairedOutcome,
  RunProgress,
  RunUsage,
  TierCounts,
} from "./types.js";
import { classifierSchema } from "./verdicts.js";

// Aggregates are SQL only: a run is never loaded into memory.

/** Most classifiers `jointOutcomes` joins at once (one LEFT JOIN each). */
const MAX_JOINT_CLASSIFIERS = 16;

// The outcome of one classifier for one sample, from a LEFT JOIN on verdicts aliased `alias`.
function outcomeSql(alias: string): string {
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
    after = [last.page_index, last.page_id, last.page_pair];
  }
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
