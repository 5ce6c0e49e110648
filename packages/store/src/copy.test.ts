import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { copyStore } from "./copy.js";
import { openStore } from "./store.js";
import { collect, makeRun, makeSample, makeVerdict } from "./test-fixtures.js";
import { findTestPostgres } from "./testing/postgres.js";
import type { Store } from "./types.js";

const server = await findTestPostgres();
const directory = mkdtempSync(join(tmpdir(), "aflab-copy-"));
afterAll(async () => {
  await server.cleanUp();
  rmSync(directory, { recursive: true, force: true });
});

/** Two runs of a sweep, with turns, verdicts from two classifiers, a failed and an errored sample. */
async function fill(store: Store): Promise<void> {
  await store.createSweep({
    id: "sweep-1",
    config: { models: ["a", "b"] },
    createdAt: "2026-01-01T00:00:00.000Z",
  });
  await store.putSystemPrompt("prompt-hash-1", "You are a helpful assistant.");
  for (const runId of ["run-a", "run-b"]) {
    await store.createRun(makeRun(runId, { sweepId: "sweep-1", total: 7 }));
    const samples = Array.from({ length: 7 }, (_, index) =>
      index === 5
        ? makeSample(runId, index, {
            status: "failed",
            failure: { kind: "refused_format", message: "no output tag" },
            output: null,
          })
        : index === 6
          ? makeSample(runId, index, {
              status: "errored",
              failure: { kind: "provider_error", message: "overloaded" },
              output: null,
              costUsd: null,
            })
          : makeSample(runId, index, { output: `${runId} answer ${index}`, latencyMs: 100.25 + index }),
    );
    await store.putSamples(samples);
    for (let index = 0; index < 5; index++) {
      await store.putVerdict(
        makeVerdict(runId, `key-${index}`, "tag-compliance", {
          decision: index % 2 ? "refused" : "compliant",
        }),
      );
      await store.putVerdict(
        makeVerdict(runId, `key-${index}`, "af-reasoning", { decision: "no", score: 0.125 * index }),
      );
    }
  }
  await store.updateRun("run-b", { status: "complete" });
}

/** Everything a copy must carry, read through the interface. */
async function snapshot(store: Store) {
  const { runs } = await store.listRuns();
  return {
    runs,
    sweeps: await store.listSweeps(),
    prompt: await store.getSystemPrompt("prompt-hash-1"),
    samples: await Promise.all(runs.map((run) => collect(store.iterateSamples(run.id)))),
    verdicts: await Promise.all(runs.map((run) => collect(store.iterateVerdicts(run.id)))),
    stamps: await Promise.all(runs.map((run) => store.runChangeStamp(run.id))),
  };
}

async function checkBothWays(open: () => Promise<Store>): Promise<void> {
  const laptop = openStore(join(directory, `laptop-${Math.random()}.db`));
  const team = await open();
  try {
    await fill(laptop);
    const source = await snapshot(laptop);
    expect(source.samples[0]).toHaveLength(7);
    expect(source.verdicts[0]).toHaveLength(10);

    const first = await copyStore(laptop, team);
    expect(first).toMatchObject({
      runs: 2,
      runsCreated: 2,
      samplesWritten: 14,
      verdictsWritten: 20,
      sweepsCreated: 1,
    });
    expect(await snapshot(team)).toEqual(source);

    // A second copy finds everything equal and writes nothing: the target does not change at all.
    const progress: number[] = [];
    const second = await copyStore(laptop, team, { onProgress: (step) => progress.push(step.run) });
    expect(second).toMatchObject({
      runsCreated: 0,
      runsUpdated: 0,
      runsUnchanged: 2,
      samplesWritten: 0,
      verdictsWritten: 0,
    });
    expect(progress).toContain(2);
    expect(await snapshot(team)).toEqual(source);

    // A change on the laptop (a sample retried, a verdict redone) goes across, and only that.
    await laptop.putSample(makeSample("run-a", 6, { output: "now complete" }));
    await laptop.putVerdict(makeVerdict("run-a", "key-1", "tag-compliance", { decision: "unknown" }));
    const third = await copyStore(laptop, team);
    expect(third).toMatchObject({ runsUpdated: 1, runsUnchanged: 1, samplesWritten: 1, verdictsWritten: 1 });
    const changed = await snapshot(laptop);
    expect((await snapshot(team)).samples).toEqual(changed.samples);
    expect((await snapshot(team)).verdicts).toEqual(changed.verdicts);

    // And back: the team store into an empty file.
    const back = openStore(join(directory, `back-${Math.random()}.db`));
    try {
      await copyStore(team, back);
      const returned = await snapshot(back);
      const teamNow = await snapshot(team);
      expect(returned.samples).toEqual(teamNow.samples);
      expect(returned.verdicts).toEqual(teamNow.verdicts);
      expect(returned.runs).toEqual(teamNow.runs);
      expect((await copyStore(team, back)).samplesWritten).toBe(0);
    } finally {
      await back.close();
    }
  } finally {
    await laptop.close();
    await team.close();
  }
}

describe("copyStore", () => {
  it("copies SQLite to SQLite idempotently, and back", async () => {
    await checkBothWays(async () => openStore(join(directory, `team-${Math.random()}.db`)));
  });

  it.skipIf(!server.url)("copies SQLite to PostgreSQL idempotently, and back", async () => {
    await checkBothWays(() => server.openStore());
  });
});
