import { SampleQueue, WorkerRegistry } from "@aflab/engine";
import { openStore, openStoreUrl, parsePostgresUrl, type Store } from "@aflab/store";
import { findTestPostgres } from "@aflab/store/testing";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { seedDemoRun } from "../testing/demo-run.js";

const server = await findTestPostgres();
afterAll(async () => {
  await server.cleanUp();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
async function json(response: Response): Promise<any> {
  return response.json();
}

interface HeartbeatRow {
  id: string;
  done: number;
  rate: number;
  run_id: string | null;
  runs: Record<string, number>;
  heartbeat_at: Date;
  live: boolean;
}

/** The heartbeat rows as the table holds them, read over a connection of the test's own. */
async function heartbeatRows(url: string, schema: string): Promise<HeartbeatRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<HeartbeatRow>(
      `SELECT id, done, rate, run_id, runs, heartbeat_at,
         left_at IS NULL AND heartbeat_at > now() - interval '15 seconds' AS live
       FROM ${schema}.aflab_workers`,
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** What the driver connects with: no `?schema=`, a user name as psql would pick. */
function plainUrl(url: string): string {
  return parsePostgresUrl(url).connectionString;
}

describe("worker routes on SQLite", () => {
  it("say that workers do not apply, for the queue and for a run, and 404 an unknown run", async () => {
    const store: Store = openStore(":memory:");
    try {
      await seedDemoRun(store, { id: "local-run", samplesPerTier: 2 });
      const app = createApp({ store });
      const all = await app.request("/api/workers");
      expect(all.status).toBe(200);
      expect(await json(all)).toEqual({ backend: "sqlite", workers: null });
      expect(await json(await app.request("/api/runs/local-run/workers"))).toEqual({
        backend: "sqlite",
        workers: null,
      });
      const missing = await app.request("/api/runs/no-such-run/workers");
      expect(missing.status).toBe(404);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!server.url)("worker routes on PostgreSQL", () => {
  it("report the heartbeats' workers, rates and counts, per queue and per run, as the rows say", async () => {
    // A password the server's trust authentication ignores: it must never reach a response.
    const withPassword = new URL(server.schemaUrl());
    withPassword.password = "hunter2-never-shown";
    const url = withPassword.toString();
    const schema = withPassword.searchParams.get("schema") ?? "";
    const store = await openStoreUrl(url);
    // The queue makes its schema, as `aflab run --queue` does before any worker starts.
    const queue = await SampleQueue.open({ url });
    const registry = WorkerRegistry.connect(url);
    try {
      await seedDemoRun(store, { id: "run-a", samplesPerTier: 2, status: "running" });
      await seedDemoRun(store, { id: "run-b", samplesPerTier: 2, status: "running" });
      await seedDemoRun(store, { id: "run-idle", samplesPerTier: 2 });
      const app = createApp({ store, workers: registry });
      // Before any worker made its table: nobody, not an error.
      expect(await json(await app.request("/api/runs/run-a/workers"))).toMatchObject({
        backend: "postgres",
        live: 0,
        done: 0,
        workers: [],
      });

      const workerRegistry = new WorkerRegistry(queue.pool, queue.schema);
      await workerRegistry.ensureTable();
      await workerRegistry.beat({
        id: "host-1:101:aaaaaa",
        host: "host-1",
        pid: 101,
        done: 9,
        rate: 3.25,
        runId: "run-a",
        runs: { "run-b": 2, "run-a": 7 },
      });
      await workerRegistry.beat({
        id: "host-2:202:bbbbbb",
        host: "host-2",
        pid: 202,
        done: 11,
        rate: 1.5,
        runId: "run-b",
        runs: { "run-a": 4, "run-b": 7 },
      });
      // A third that finished and left: its counts stay, it is no longer live.
      await workerRegistry.beat({
        id: "host-3:303:cccccc",
        host: "host-3",
        pid: 303,
        done: 5,
        rate: 2,
        runId: "run-a",
        runs: { "run-a": 5 },
      });
      await workerRegistry.leave("host-3:303:cccccc");

      const rows = await heartbeatRows(plainUrl(server.url as string), `${schema}_queue`);
      expect(rows).toHaveLength(3);
      const live = rows.filter((row) => row.live);
      expect(live.map((row) => row.id).sort()).toEqual(["host-1:101:aaaaaa", "host-2:202:bbbbbb"]);

      const allResponse = await app.request("/api/workers");
      const allText = await allResponse.text();
      expect(allResponse.status).toBe(200);
      expect(allText).not.toContain("hunter2");
      const all = JSON.parse(allText);
      expect(all.backend).toBe("postgres");
      expect(all.runId).toBeNull();
      expect(all.live).toBe(live.length);
      expect(all.samplesPerSecond).toBeCloseTo(
        live.reduce((sum, row) => sum + row.rate, 0),
        9,
      );
      expect(all.done).toBe(rows.reduce((sum, row) => sum + row.done, 0));
      expect(all.workers.map((worker: { id: string }) => worker.id)).toEqual([
        // Live first, most recent heartbeat first.
        "host-2:202:bbbbbb",
        "host-1:101:aaaaaa",
        "host-3:303:cccccc",
      ]);
      expect(all.workers[2]).toMatchObject({ host: "host-3", pid: 303, live: false, samplesPerSecond: 0 });
      // The worker that left keeps the time it last reported.
      const left = rows.find((row) => row.id === "host-3:303:cccccc");
      expect(all.workers[2].heartbeatAt).toBe(left?.heartbeat_at.toISOString());
      expect(Date.now() - Date.parse(all.workers[2].heartbeatAt)).toBeLessThan(60_000);

      for (const runId of ["run-a", "run-b"]) {
        const body = await json(await app.request(`/api/runs/${runId}/workers`));
        const onRun = rows.filter((row) => row.live && row.run_id === runId);
        const touched = rows.filter((row) => row.run_id === runId || row.runs[runId] !== undefined);
        expect(body.runId).toBe(runId);
        expect(body.live).toBe(onRun.length);
        expect(body.samplesPerSecond).toBeCloseTo(
          onRun.reduce((sum, row) => sum + row.rate, 0),
          9,
        );
        expect(body.done).toBe(touched.reduce((sum, row) => sum + (row.runs[runId] ?? 0), 0));
        expect(body.workers).toHaveLength(touched.length);
        for (const worker of body.workers) {
          const row = rows.find((candidate) => candidate.id === worker.id);
          expect(worker.done).toBe(row?.runs[runId] ?? 0);
          expect(worker.live).toBe(row?.live === true && row.run_id === runId);
          expect(Date.parse(worker.heartbeatAt)).not.toBeNaN();
        }
      }
      // Spelled out once, for a reader: run-a has host-1 live on it, 7 + 4 + 5 samples done.
      expect(await json(await app.request("/api/runs/run-a/workers"))).toMatchObject({
        live: 1,
        samplesPerSecond: 3.25,
        done: 16,
      });
      // A run no worker touched lists nobody.
      expect(await json(await app.request("/api/runs/run-idle/workers"))).toMatchObject({
        backend: "postgres",
        live: 0,
        done: 0,
        workers: [],
      });
    } finally {
      await registry.close();
      await queue.close();
      await store.close();
    }
  });

  it("reads a heartbeat table an older worker made, adding the newer columns", async () => {
    const url = server.schemaUrl();
    const schema = new URL(url).searchParams.get("schema") ?? "";
    const client = new pg.Client({ connectionString: plainUrl(url) });
    await client.connect();
    try {
      // The table as workers made it before they named their run.
      await client.query(`CREATE SCHEMA ${schema}_queue`);
      await client.query(
        `CREATE TABLE ${schema}_queue.aflab_workers (
           id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started_at TIMESTAMPTZ NOT NULL,
           heartbeat_at TIMESTAMPTZ NOT NULL, done INTEGER NOT NULL, rate DOUBLE PRECISION NOT NULL)`,
      );
      await client.query(
        `INSERT INTO ${schema}_queue.aflab_workers VALUES ('old:1:abc', 'old', 1, now(), now(), 12, 0.5)`,
      );
    } finally {
      await client.end();
    }
    const store = await openStoreUrl(url);
    const registry = WorkerRegistry.connect(url);
    try {
      const app = createApp({ store, workers: registry });
      const body = await json(await app.request("/api/workers"));
      expect(body).toMatchObject({ backend: "postgres", live: 1, samplesPerSecond: 0.5, done: 12 });
      expect(body.workers).toEqual([expect.objectContaining({ id: "old:1:abc", runId: null, done: 12 })]);
    } finally {
      await registry.close();
      await store.close();
    }
  });
});
