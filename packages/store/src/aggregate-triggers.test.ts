import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import * as maintained from "./aggregates.js";
import * as scanned from "./aggregates-scan.js";
import { applyMigrations, migrations } from "./migrations.js";
import { openSqlite } from "./sqlite-connection.js";
import { SqliteDb } from "./sqlite-db.js";
import { openStore } from "./store.js";
import { randomClassifiers as classifiers, fillRandomRun } from "./test-fixtures.js";

// The trigger-kept tables against the full-scan SQL they replace, on the same database file.

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "aflab-aggregate-triggers-"));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

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
    await fillRandomRun(store, "run-a", 1);
    await fillRandomRun(store, "run-b", 2);
    await fillRandomRun(store, "gone", 3);
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
    await fillRandomRun(store, "run-a", 4);
    await fillRandomRun(store, "run-b", 5);
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
