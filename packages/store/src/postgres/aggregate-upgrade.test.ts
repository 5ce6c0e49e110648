import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { fillRandomRun, randomClassifiers } from "../test-fixtures.js";
import { findTestPostgres } from "../testing/postgres.js";
import type { Store } from "../types.js";
import { parsePostgresUrl } from "./connection.js";
import { applyPostgresMigrations, postgresMigrations } from "./migrations.js";
import { openPostgresStore } from "./store.js";

const server = await findTestPostgres();
afterAll(() => server.cleanUp());

/** Everything the aggregate tables answer for a run, with costs rounded (sums kept by adding and subtracting). */
async function aggregatesOf(store: Store, runId: string) {
  const usage = await store.runUsage(runId);
  const round = (cost: number | null) => (cost === null ? null : Math.round(cost * 1e9));
  return {
    progress: await store.progress(runId),
    tiers: await store.tierCounts(runId, "tag-compliance"),
    decisions: await Promise.all(randomClassifiers.map((name) => store.decisionCounts(runId, name))),
    joint: await store.jointOutcomes(runId, [...randomClassifiers, "never-ran"]),
    usage: { ...usage, costUsd: round(usage.costUsd), judgeCostUsd: round(usage.judgeCostUsd) },
    scratchpad: await store.scratchpadSources(runId),
    sampleFailures: await store.sampleFailureKinds(runId),
    verdictFailures: await Promise.all(randomClassifiers.map((name) => store.failureKinds(runId, name))),
    classifiers: await store.classifierNames(runId),
  };
}

describe.skipIf(!server.url)("PostgreSQL aggregate tables", () => {
  it("are filled from the stored rows when an older schema is upgraded", async () => {
    const url = server.url ?? "";
    const currentSchema = server.newSchema();
    const current = await openPostgresStore(url, { schema: currentSchema });
    await fillRandomRun(current, "run-a", 4);
    await fillRandomRun(current, "run-b", 5);

    // The same rows in a schema written before the aggregate tables existed.
    const olderSchema = server.newSchema();
    const before = postgresMigrations.findIndex((step) => step.name === "aggregate tables kept by triggers");
    const client = new pg.Client({
      connectionString: parsePostgresUrl(url).connectionString,
      options: `-c search_path=${olderSchema}`,
    });
    await client.connect();
    try {
      await applyPostgresMigrations(
        client as unknown as pg.PoolClient,
        "older",
        olderSchema,
        postgresMigrations.slice(0, before),
      );
      const columns = await client.query<{ name: string }>(
        "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'samples' ORDER BY ordinal_position",
        [olderSchema],
      );
      const sampleColumns = columns.rows.map((row) => row.name).join(", ");
      for (const table of ["runs", "system_prompts", "turns", "verdicts"]) {
        const copy =
          table === "turns"
            ? `INSERT INTO samples (${sampleColumns}) SELECT ${sampleColumns} FROM ${currentSchema}.samples; `
            : "";
        await client.query(`${copy}INSERT INTO ${table} SELECT * FROM ${currentSchema}.${table}`);
      }
      const verdicts = await client.query<{ count: string }>("SELECT COUNT(*) AS count FROM verdicts");
      expect(Number(verdicts.rows[0]?.count)).toBeGreaterThan(100);
    } finally {
      await client.end();
    }

    const upgraded = await openPostgresStore(url, { schema: olderSchema });
    try {
      for (const runId of ["run-a", "run-b"]) {
        expect(await aggregatesOf(upgraded, runId)).toEqual(await aggregatesOf(current, runId));
      }
    } finally {
      await upgraded.close();
      await current.close();
    }
  });
});
