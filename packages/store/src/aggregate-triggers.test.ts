import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SampleStatus, Tier, VerdictStatus } from "@aflab/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as maintained from "./aggregates.js";
import * as scanned from "./aggregates-scan.js";
import { applyMigrations, migrations } from "./migrations.js";
import { SqliteDb } from "./sqlite-db.js";
import { openStore } from "./store.js";
import { makeRun, makeSample, makeVerdict, seededRandom } from "./test-fixtures.js";
import type { Store } from "./types.js";
import { openSqlite } from "./sqlite-connection.js";

// The trigger-kept tables against the full-scan SQL they replace, on the same database file.

const classifiers = ["tag-compliance", "af-reasoning", "partial-compliance"];
const tiers: Tier[] = ["free", "paid", "enterprise"];

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "aflab-aggregate-triggers-"));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

/** Random samples and verdicts with overwrites, verdict upserts and a replaced classifier. */
async function fill(store: Store, runId: string, seed: number): Promise<void> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  await store.createRun(makeRun(runId, { total: 300, config: { model: "sim/opus-like", tiers } }));
  const statuses: SampleStatus[] = ["complete", "complete", "complete", "failed", "errored"];
  const verdictStatuses: VerdictStatus[] = ["ok", "ok", "ok", "failed", "not_applicable"];
  for (let step = 0; step < 600; step++) {
    const index = Math.floor(random() * 200);
    const status = pick(statuses);
    if (step < 200 || random() < 0.3) {
      await store.putSample(
        makeSample(runId, index, {
          tier: pick(tiers),
          status,
          failure: status === "complete" ? null : { kind: pick(["no_output", "timeout"]), message: "" },
          refusal: random() < 0.1 ? { kind: "api_refusal", message: "no" } : null,
          scratchpad: random() < 0.3 ? "" : "plan",
          scratchpadSource: random() < 0.5 ? null : "reasoning",
          costUsd: random() < 0.05 ? null : random() / 100,
          usage: {
            inputTokens: Math.floor(random() * 100),
            outputTokens: 3,
            cacheWriteTokens: 0,
            cacheReadTokens: 1,
            ...(random() < 0.5 ? { reasoningTokens: 7 } : {}),
          },
          retries: Math.floor(random() * 2),
        }),
      );
      continue;
    }
    if (!(await store.getSample(runId, `key-${index}`))) continue;
    const verdictStatus = pick(verdictStatuses);
    await store.putVerdict(
      makeVerdict(runId, `key-${index}`, pick(classifiers), {
        status: verdictStatus,
        decision: verdictStatus === "ok" ? pick(["compliant", "refused", "unknown", "yes", null]) : null,
        failure: verdictStatus === "failed" ? { kind: "no_verdict", message: "" } : null,
        costUsd: random() / 1000,
        usage: { inputTokens: 10, outputTokens: 2, cacheWriteTokens: 0, cacheReadTokens: 0 },
      }),
    );
  }
  for (const key of await store.sampleKeys(runId, "complete")) {
    await store.stageVerdict(makeVerdict(runId, key, "af-reasoning", { decision: pick(["yes", "no"]) }));
  }
  expect(await store.replaceVerdicts(runId, "af-reasoning")).toBeGreaterThan(0);
}

function expectTablesMatchScans(path: string, runIds: string[]): void {
  const db = new SqliteDb(openSqlite(path, { readonly: true }));
  try {
    for (const runId of runIds) {
      expect(maintained.progress(db, runId)).toEqual(scanned.progress(db, runId));
      expect(maintained.scratchpadSources(db, runId)).toEqual(scanned.scratchpadSources(db, runId));
      expect(maintained.sampleFailureKinds(db, runId)).toEqual(scanned.sampleFailureKinds(db, runId));
      expect(maintained.classifierNames(db, runId)).toEqual(scanned.classifierNames(db, runId));
      const usage = maintained.runUsage(db, runId);
      const usageScanned = scanned.runUsage(db, runId);
      expect({ ...usage, costUsd: 0, judgeCostUsd: 0 }).toEqual({
        ...usageScanned,
        costUsd: 0,
        judgeCostUsd: 0,
      });
      expect(usage.costUsd === null).toBe(usageScanned.costUsd === null);
      expect(usage.costUsd ?? 0).toBeCloseTo(usageScanned.costUsd ?? 0, 9);
      expect(usage.judgeCostUsd ?? 0).toBeCloseTo(usageScanned.judgeCostUsd ?? 0, 9);
      for (const classifier of [...classifiers, "never-ran"]) {
        expect(maintained.tierCounts(db, runId, classifier)).toEqual(
          scanned.tierCounts(db, runId, classifier),
        );
        expect(maintained.decisionCounts(db, runId, classifier)).toEqual(
          scanned.decisionCounts(db, runId, classifier),
        );
        expect(maintained.failureKinds(db, runId, classifier)).toEqual(
          scanned.failureKinds(db, runId, classifier),
        );
      }
      for (const names of [
        classifiers,
        [classifiers[1] as string],
        ["never-ran", classifiers[0] as string],
      ]) {
        expect(maintained.jointOutcomes(db, runId, names)).toEqual(scanned.jointOutcomes(db, runId, names));
      }
      // The backfill and the triggers group samples the same way the scan does, row for row.
      expect(
        db.all(
          "SELECT tier, status, api_refused, outcomes, samples FROM aggregate_outcomes WHERE run_id = ? ORDER BY 1, 2, 3, 4",
          runId,
        ),
      ).toEqual(
        db.all(
          `SELECT tier, status, CASE WHEN refusal_kind = 'api_refusal' THEN 1 ELSE 0 END AS api_refused, outcomes,
             COUNT(*) AS samples FROM samples WHERE run_id = ? GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
          runId,
        ),
      );
    }
  } finally {
    db.connection.close();
  }
}

describe("aggregate tables kept by triggers", () => {
  it("equal the full-scan SQL after random writes, replacements and a deleted run", async () => {
    const path = join(directory, "aflab.db");
    const store = openStore(path);
    await fill(store, "run-a", 1);
    await fill(store, "run-b", 2);
    await fill(store, "gone", 3);
    await store.deleteRun("gone");
    await store.close();
    expectTablesMatchScans(path, ["run-a", "run-b"]);
    const db = openSqlite(path, { readonly: true });
    for (const table of [
      "aggregate_outcomes",
      "aggregate_usage",
      "aggregate_sample_facets",
      "aggregate_verdicts",
    ]) {
      expect(db.prepare(`SELECT COUNT(*) FROM ${table} WHERE run_id = 'gone'`).pluck().get()).toBe(0);
    }
    db.close();
  });

  it("are filled from the stored rows when an older database is upgraded", async () => {
    const current = join(directory, "current.db");
    const store = openStore(current);
    await fill(store, "run-a", 4);
    await fill(store, "run-b", 5);
    await store.close();
    // The same rows in a database written before the aggregate tables existed.
    const older = join(directory, "older.db");
    const db = openSqlite(older);
    const before = migrations.findIndex((step) => step.name === "aggregate tables kept by triggers");
    applyMigrations(db, migrations.slice(0, before));
    db.exec(`ATTACH '${current}' AS current`);
    const sampleColumns = (
      db.prepare("SELECT name FROM pragma_table_info('samples')").pluck().all() as string[]
    )
      .filter((name) => name !== "outcomes")
      .join(", ");
    db.exec(`
      INSERT INTO runs SELECT * FROM current.runs;
      INSERT INTO system_prompts SELECT * FROM current.system_prompts;
      INSERT INTO samples (${sampleColumns}) SELECT ${sampleColumns} FROM current.samples;
      INSERT INTO turns SELECT * FROM current.turns;
      INSERT INTO verdicts SELECT * FROM current.verdicts;
    `);
    db.exec("DETACH current");
    expect(db.prepare("SELECT COUNT(*) FROM verdicts").pluck().get()).toBeGreaterThan(100);
    db.close();
    const upgraded = openStore(older);
    const upgradedCounts = await upgraded.tierCounts("run-a", "tag-compliance");
    await upgraded.close();
    expectTablesMatchScans(older, ["run-a", "run-b"]);
    const reference = openStore(current);
    expect(upgradedCounts).toEqual(await reference.tierCounts("run-a", "tag-compliance"));
    await reference.close();
  });
});
