import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type FakeServer, startFakeAnthropicServer } from "@aflab/clients/testing";
import { WorkerRegistry } from "@aflab/engine";
import { openStoreUrl, type Store } from "@aflab/store";
import { findTestPostgres } from "@aflab/store/testing";
import { afterAll, describe, expect, it } from "vitest";
import { cleanEnvironment, cliPath, killHard, runCli, scratchDirectory, writeFile } from "./test-support.js";

const server = await findTestPostgres();
const fakes: FakeServer[] = [];
afterAll(async () => {
  await Promise.all(fakes.map((fake) => fake.close()));
  await server.cleanUp();
});

// 300 distinct questions × 2 tiers = 600 queued samples (the benchmark script drains 3,000).
const items = 300;
const providerLimit = 6;

/** The first user message of a request: it names the sample (question and tier) the call is for. */
function firstUserText(body: unknown): string {
  const messages = (body as { messages?: Array<{ role: string; content: unknown }> }).messages ?? [];
  const content = messages.find((message) => message.role === "user")?.content;
  if (typeof content === "string") return content;
  return Array.isArray(content)
    ? (content as Array<{ text: string }>).map((block) => block.text).join("")
    : "";
}

/** Answers by the question alone, so every process gets the same answer for the same sample. */
function answer(userText: string): string {
  const digest = createHash("sha256").update(userText).digest();
  return (digest[0] ?? 0) % 3 === 0
    ? "<OUTPUT><request_fully_accepted/>Here is how.</OUTPUT>"
    : "<OUTPUT><rejected/></OUTPUT>";
}

let workerCount = 0;

function spawnWorker(
  directory: string,
  db: string,
  fake: FakeServer,
): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [
      cliPath,
      "worker",
      "--db",
      db,
      "--concurrency",
      "4",
      "--provider-limit",
      String(providerLimit),
      "--exit-when-idle",
      "3",
    ],
    {
      cwd: directory,
      env: {
        ...cleanEnvironment(directory),
        ANTHROPIC_API_KEY: fake.apiKey,
        ANTHROPIC_BASE_URL: fake.baseUrl,
      },
      // Each worker's progress lines go to a file of its own, for reading when the test fails.
      stdio: ["ignore", "ignore", fs.openSync(path.join(directory, `worker-${++workerCount}.log`), "w")],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exited };
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function decisionsOf(store: Store, runId: string): Promise<Map<string, string | null>> {
  const decisions = new Map<string, string | null>();
  for await (const verdict of store.iterateVerdicts(runId, "tag-compliance"))
    decisions.set(verdict.sampleKey, verdict.decision);
  return decisions;
}

describe.skipIf(!server.url)("queued runs drained by worker processes", () => {
  it("stores every sample once when a worker is killed mid-run, asks nothing finished again and judges like one process", async () => {
    const directory = scratchDirectory("aflab-queue-");
    const fake = await startFakeAnthropicServer({
      latencyMs: 40,
      respond: (request) => answer(firstUserText(request.body)),
    });
    fakes.push(fake);
    const lines = Array.from({ length: items }, (_, index) =>
      JSON.stringify({ prompt: `Question ${index}: how?` }),
    );
    const dataset = writeFile(directory, "items.jsonl", `${lines.join("\n")}\n`);
    const runArgs = [
      "run",
      "--model",
      "anthropic/claude-sonnet-4-6",
      "--user-format",
      "minimal",
      "--protocol",
      "single-call",
      "--dataset",
      dataset,
      "--classifiers",
      "tag-compliance",
      "--concurrency",
      "4",
      "--quiet",
    ];
    const environment = { ANTHROPIC_API_KEY: fake.apiKey, ANTHROPIC_BASE_URL: fake.baseUrl };
    const db = server.schemaUrl();

    const queued = await runCli(
      [...runArgs, "--db", db, "--queue", "--lease", "5"],
      directory,
      60_000,
      environment,
    );
    expect(queued.code, queued.stderr).toBe(0);
    const runId = /^run (\S+) queued: (\d+) samples/m.exec(queued.stdout)?.[1] ?? "";
    expect(queued.stdout).toContain(`queued: ${items * 2} samples`);
    expect(fake.requests).toHaveLength(0);

    const store = await openStoreUrl(db);
    try {
      const workers = [1, 2, 3].map(() => spawnWorker(directory, db, fake));
      const storedAtKill = await until(async () => {
        const progress = await store.progress(runId);
        const stored = progress.complete + progress.failed;
        return stored >= 120 ? stored : undefined;
      }, "120 stored samples");
      const victim = workers[0];
      expect(await killHard(victim?.child as ChildProcess)).toBe("SIGKILL");
      expect(storedAtKill).toBeLessThan(items * 2);
      const late = spawnWorker(directory, db, fake);
      const codes = await Promise.all([workers[1], workers[2], late].map((worker) => worker?.exited));
      expect(codes).toEqual([0, 0, 0]);

      const run = await store.requireRun(runId);
      expect(run.status).toBe("complete");
      const keys = await store.sampleKeys(runId);
      expect(keys).toHaveLength(items * 2);
      expect(new Set(keys).size).toBe(items * 2);
      expect((await store.progress(runId)).complete).toBe(items * 2);
      // The shared limit held across the four processes.
      expect(fake.maxInFlight).toBeLessThanOrEqual(providerLimit);

      // No sample was asked after it was stored: every request for a sample arrived before its finish.
      const finishedAtByUserText = new Map<string, number>();
      for await (const sample of store.iterateSamples(runId)) {
        finishedAtByUserText.set(sample.turns[0]?.content ?? "", Date.parse(sample.finishedAt));
      }
      expect(finishedAtByUserText.size).toBe(items * 2);
      const late_requests = fake.requests.filter((request) => {
        const finishedAt = finishedAtByUserText.get(firstUserText(request.body));
        return finishedAt === undefined || request.receivedAt > finishedAt;
      });
      expect(late_requests).toEqual([]);
      // Only the samples the killed worker had in flight were asked twice.
      expect(fake.requests.length).toBeLessThanOrEqual(items * 2 + 4);

      // The same run in one process gives the same verdicts.
      const single = path.join(directory, "single.db");
      const reference = await runCli([...runArgs, "--db", single], directory, 120_000, environment);
      expect(reference.code, reference.stderr).toBe(0);
      const referenceId = /^run (\S+)/m.exec(reference.stdout)?.[1] ?? "";
      const referenceStore = await openStoreUrl(single);
      try {
        const queuedDecisions = await decisionsOf(store, runId);
        expect(queuedDecisions.size).toBe(items * 2);
        expect(queuedDecisions).toEqual(await decisionsOf(referenceStore, referenceId));
      } finally {
        await referenceStore.close();
      }
    } finally {
      await store.close();
    }
  }, 240_000);

  it("queues a whole sweep; one worker drains every cell's run to its own report", async () => {
    const directory = scratchDirectory("aflab-queue-sweep-");
    const db = server.schemaUrl();
    const queued = await runCli(
      [
        "sweep",
        "--db",
        db,
        "--queue",
        "--models",
        "sim/opus-like",
        "--settings",
        "helpful-only",
        "--variants",
        "none;cut-examples",
        "--dataset",
        "builtin:harmful",
        "--limit",
        "5",
        "--epochs",
        "1",
        "--classifiers",
        "tag-compliance",
      ],
      directory,
    );
    expect(queued.code, queued.stderr).toBe(0);
    const sweepId = /^sweep (\S+) queued: 2 runs, 20 samples/m.exec(queued.stdout)?.[1] ?? "";
    expect(sweepId).not.toBe("");
    const worker = await runCli(["worker", "--db", db, "--exit-when-idle", "1", "--quiet"], directory);
    expect(worker.code, worker.stderr).toBe(0);
    expect(worker.stdout).toContain("worker done: 20 samples");
    const store = await openStoreUrl(db);
    try {
      const { runs } = await store.listRuns({ sweepId });
      expect(runs.map((run) => run.status)).toEqual(["complete", "complete"]);
      for (const run of runs) expect((await store.progress(run.id)).complete).toBe(10);
      // The worker's heartbeat counted each run's samples apart, for the run pages; it left when done.
      const registry = WorkerRegistry.connect(db);
      try {
        for (const run of runs) {
          const listing = await registry.list(run.id);
          expect(listing).toMatchObject({ live: 0, samplesPerSecond: 0, done: 10 });
          expect(listing.workers).toHaveLength(1);
        }
      } finally {
        await registry.close();
      }
    } finally {
      await store.close();
    }
  });
});
