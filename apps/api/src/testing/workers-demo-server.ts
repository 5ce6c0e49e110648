import { SampleQueue, WorkerRegistry } from "@aflab/engine";
import { openStoreUrl } from "@aflab/store";
import { findTestPostgres } from "@aflab/store/testing";
import { startServer } from "../server.js";
import { seedDemoRun } from "./demo-run.js";

export interface WorkersDemoServer {
  url: string;
  /** A queued run in progress, with three live workers beating on it and one that left. */
  runId: string;
  /** A finished run no worker touched. */
  unqueuedRunId: string;
  close(): Promise<void>;
}

/** Three live workers: samples per second and done at the start; each beat adds about a second's work. */
const liveWorkers = [
  { host: "gpu-box-1", pid: 4101, rate: 14.2, done: 418, step: 14 },
  { host: "gpu-box-2", pid: 4102, rate: 13.5, done: 406, step: 13 },
  { host: "laptop-7", pid: 977, rate: 13.5, done: 400, step: 14 },
];

/**
 * A server over a PostgreSQL store (the tests' server, `AFLAB_TEST_PG`) whose queued run has workers
 * reporting through the real heartbeat table, as `aflab worker` processes do, for the viewer's browser
 * tests. Resolves to undefined, after one line on stderr, when no server is reachable outside CI.
 */
export async function startWorkersDemoServer(options: {
  viewerDir: string;
  /** Milliseconds between heartbeats (default 1000). */
  beatMs?: number;
}): Promise<WorkersDemoServer | undefined> {
  const postgres = await findTestPostgres();
  if (!postgres.url) return undefined;
  const url = postgres.schemaUrl();
  const store = await openStoreUrl(url);
  const queue = await SampleQueue.open({ url });
  const heartbeats = new WorkerRegistry(queue.pool, queue.schema);
  const reader = WorkerRegistry.connect(url);
  const run = await seedDemoRun(store, {
    id: "team-queued-run",
    label: "queued run drained by workers",
    samplesPerTier: 617,
    seed: 31,
    status: "running",
  });
  // 1,234 of 3,000 samples stored so far, as many as the workers below report done.
  await store.updateRun(run.run.id, { total: 3000 });
  await seedDemoRun(store, { id: "team-local-run", label: "run made in one process", samplesPerTier: 20 });
  await heartbeats.ensureTable();
  // One that worked on the run and left: its samples count, it is not live.
  await heartbeats.beat({
    id: "old-box:3001:0a0b0c",
    host: "old-box",
    pid: 3001,
    done: 10,
    rate: 0,
    runId: run.run.id,
    runs: { [run.run.id]: 10 },
  });
  await heartbeats.leave("old-box:3001:0a0b0c");
  let beats = 0;
  const beatAll = async () => {
    for (const [index, worker] of liveWorkers.entries()) {
      const done = worker.done + beats * worker.step;
      await heartbeats.beat({
        id: `${worker.host}:${worker.pid}:${String(index).repeat(6)}`,
        host: worker.host,
        pid: worker.pid,
        done,
        rate: worker.rate,
        runId: run.run.id,
        runs: { [run.run.id]: done },
      });
    }
    beats++;
  };
  await beatAll();
  const timer = setInterval(() => void beatAll().catch(() => undefined), options.beatMs ?? 1000);
  const server = await startServer({
    store,
    port: 0,
    token: null,
    viewerDir: options.viewerDir,
    workers: reader,
  });
  return {
    url: server.url,
    runId: run.run.id,
    unqueuedRunId: "team-local-run",
    async close() {
      clearInterval(timer);
      await server.close();
      await reader.close();
      await queue.close();
      await store.close();
      await postgres.cleanUp();
    },
  };
}
