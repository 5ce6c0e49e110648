import { parseOrThrow, sampleStatusSchema, type Tier, tierSchema } from "@aflab/core";
import { z } from "zod";
import { usageOf } from "../rows.js";
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

// Aggregates are SQL only, each one pass over the run's samples through the (run_id, ...) indexes, with
// verdicts joined by their primary key: a run is never loaded into memory. Definitions follow the SQLite
// module (`../aggregates.ts`) word for word; the contract suite holds both to the same answers.

const MAX_JOINT_CLASSIFIERS = 16;

function outcomeSql(alias: string): string {
  return `CASE WHEN ${alias}.status IS NULL THEN 'missing' WHEN ${alias}.status = 'failed' THEN 'failed' WHEN ${alias}.status = 'not_applicable' THEN 'not_applicable' ELSE COALESCE(${alias}.decision, 'no_decision') END`;
}

export async function tierCounts(
  db: PgDb,
  runId: string,
  complianceClassifier: string,
): Promise<Partial<Record<Tier, TierCounts>>> {
  const classifier = parseOrThrow(classifierSchema, complianceClassifier, "compliance classifier");
  const run = await requireRun(db, runId);
  const usable = "s.status = 'complete' AND v.status = 'ok' AND v.decision";
  const rows = await db.all<TierCounts & { tier: Tier }>(
    `SELECT tier, n, compliant, refused, api_refused AS "apiRefused", unknown,
       n - compliant - refused - unknown AS failed FROM (
       SELECT s.tier AS tier, COUNT(*) AS n,
         COUNT(*) FILTER (WHERE ${usable} = 'compliant') AS compliant,
         COUNT(*) FILTER (WHERE ${usable} = 'refused') AS refused,
         COUNT(*) FILTER (WHERE ${usable} = 'refused' AND s.refusal_kind = 'api_refusal') AS api_refused,
         COUNT(*) FILTER (WHERE ${usable} = 'unknown') AS unknown
       FROM samples s
       LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ?
       WHERE s.run_id = ? GROUP BY s.tier) per_tier`,
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

export async function scratchpadSources(db: PgDb, runId: string): Promise<Record<string, number>> {
  await requireRunExists(db, runId);
  const rows = await db.all<{ source: string; count: number }>(
    `SELECT COALESCE(scratchpad_source,
         CASE WHEN TRIM(COALESCE(scratchpad, '')) <> '' THEN 'tags' ELSE 'none' END) AS source,
       COUNT(*) AS count
     FROM samples WHERE run_id = ? AND status = 'complete' GROUP BY 1 ORDER BY 1`,
    runId,
  );
  return Object.fromEntries(rows.map((row) => [row.source, row.count]));
}

export async function decisionCounts(db: PgDb, runId: string, classifier: string): Promise<DecisionCounts> {
  const checked = parseOrThrow(classifierSchema, classifier, "classifier");
  await requireRunExists(db, runId);
  const rows = await db.all<{ tier: string; outcome: string; count: number }>(
    `SELECT s.tier AS tier, ${outcomeSql("v")} AS outcome, COUNT(*) AS count
     FROM samples s
     LEFT JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = ?
     WHERE s.run_id = ? GROUP BY 1, 2`,
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

export async function jointOutcomes(db: PgDb, runId: string, classifiers: string[]): Promise<JointOutcome[]> {
  const names = parseOrThrow(
    z
      .array(classifierSchema)
      .min(1, "expected at least one classifier")
      .max(MAX_JOINT_CLASSIFIERS, `expected at most ${MAX_JOINT_CLASSIFIERS} classifiers`),
    classifiers,
    "classifiers",
  );
  await requireRunExists(db, runId);
  const joins = names
    .map(
      (_, position) =>
        `LEFT JOIN verdicts v${position} ON v${position}.run_id = s.run_id AND v${position}.sample_key = s.key AND v${position}.classifier = ?`,
    )
    .join("\n");
  const outcomes = names.map((_, position) => `${outcomeSql(`v${position}`)} AS o${position}`).join(", ");
  const groups = names.map((_, position) => String(position + 3)).join(", ");
  const rows = await db.all<Record<string, string | number>>(
    `SELECT s.tier AS sample_tier, s.status AS sample_status, ${outcomes}, COUNT(*) AS count
     FROM samples s ${joins}
     WHERE s.run_id = ? GROUP BY 1, 2, ${groups}
     ORDER BY 1, 2, ${groups}`,
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

interface UsageTotals {
  row_count: number;
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number | null;
  cost: number;
  unpriced: number;
  retries: number;
}

async function usageTotals(db: PgDb, table: "samples" | "verdicts", runId: string): Promise<UsageTotals> {
  const row = await db.get<UsageTotals>(
    `SELECT COUNT(*) AS row_count,
       COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens,
       COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens, COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens,
       SUM(reasoning_tokens) AS reasoning_tokens,
       COALESCE(SUM(cost_usd), 0) AS cost,
       COUNT(*) FILTER (WHERE cost_usd IS NULL
         AND input_tokens + output_tokens + cache_write_tokens + cache_read_tokens > 0) AS unpriced,
       ${table === "samples" ? "COALESCE(SUM(retries), 0)" : "0"} AS retries
     FROM ${table} WHERE run_id = ?`,
    runId,
  );
  return row as UsageTotals;
}

export async function runUsage(db: PgDb, runId: string): Promise<RunUsage> {
  await requireRunExists(db, runId);
  const samples = await usageTotals(db, "samples", runId);
  const verdicts = await usageTotals(db, "verdicts", runId);
  return {
    usage: usageOf(samples),
    costUsd: samples.unpriced > 0 ? null : samples.cost,
    unpricedSamples: samples.unpriced,
    retries: samples.retries,
    samples: samples.row_count,
    judgeUsage: usageOf(verdicts),
    judgeCostUsd: verdicts.unpriced > 0 ? null : verdicts.cost,
    unpricedVerdicts: verdicts.unpriced,
    verdicts: verdicts.row_count,
  };
}

export async function progress(db: PgDb, runId: string): Promise<RunProgress> {
  const total = await db.get<{ total: number }>("SELECT total FROM runs WHERE id = ?", runId);
  if (!total) await requireRunExists(db, runId);
  const rows = await db.all<{ status: string; count: number }>(
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
