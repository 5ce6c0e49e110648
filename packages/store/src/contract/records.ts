import { InputError, NotFoundError, runSchema, sampleSchema, verdictSchema } from "@aflab/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collect, makeRun, makeSample, makeVerdict } from "../test-fixtures.js";
import type { Store } from "../types.js";
import type { StoreFactory } from "./factory.js";

/** Round trips, replacement rules and errors of runs, samples, verdicts, staged verdicts and sweeps. */
export function recordsContract(open: StoreFactory): void {
  let store: Store;

  beforeEach(async () => {
    store = await open();
    await store.createRun(makeRun("run-1"));
  });

  afterEach(async () => {
    await store.close();
  });

  describe("runs", () => {
    it("round-trips a run, refuses a duplicate and names a missing one", async () => {
      expect(await store.getRun("run-1")).toEqual(runSchema.parse(makeRun("run-1")));
      await expect(store.createRun(makeRun("run-1"))).rejects.toThrow(InputError);
      await expect(store.requireRun("ghost")).rejects.toThrow(new NotFoundError("run ghost not found"));
      expect(await store.getRun("ghost")).toBeUndefined();
      expect(store.readOnly).toBe(false);
    });

    it("updates, lists and deletes runs with everything under them", async () => {
      const updated = await store.updateRun("run-1", { status: "complete", total: 9 });
      expect(updated.status).toBe("complete");
      expect((await store.listRuns()).runs.map((run) => run.id)).toEqual(["run-1"]);
      await store.putSample(makeSample("run-1", 0));
      await store.putVerdict(makeVerdict("run-1", "key-0", "tag-compliance"));
      expect(await store.deleteRun("run-1")).toBe(true);
      expect(await store.deleteRun("run-1")).toBe(false);
      expect(await store.getSample("run-1", "key-0")).toBeUndefined();
      expect((await store.listRuns()).total).toBe(0);
    });
  });

  describe("samples", () => {
    it("round-trips samples, alone and in an all-or-nothing batch", async () => {
      const stored = await store.putSample(makeSample("run-1", 0));
      expect(stored).toEqual(sampleSchema.parse(makeSample("run-1", 0)));
      expect(await store.getSample("run-1", "key-0")).toEqual(stored);
      await expect(store.putSamples([makeSample("run-1", 1), makeSample("ghost", 2)])).rejects.toThrow(
        "run ghost not found",
      );
      expect(await store.sampleKeys("run-1")).toEqual(["key-0"]);
      await store.putSamples([makeSample("run-1", 2), makeSample("run-1", 1)]);
      expect(await store.sampleKeys("run-1")).toEqual(["key-0", "key-1", "key-2"]);
    });

    it("replaces a sample with its key, dropping the verdicts that judged the old one", async () => {
      await store.putSample(makeSample("run-1", 0, { output: "first" }));
      await store.putVerdict(makeVerdict("run-1", "key-0", "tag-compliance"));
      await store.putSample(makeSample("run-1", 0, { output: "second" }));
      expect((await store.getSample("run-1", "key-0"))?.output).toBe("second");
      expect(await store.getVerdicts("run-1", "key-0")).toEqual([]);
    });

    it("stores a sample unless a finished one has its key, and says which is stored", async () => {
      const first = await store.putSampleUnlessFinished(makeSample("run-1", 0, { output: "first" }));
      expect(first.stored).toBe(true);
      const second = await store.putSampleUnlessFinished(makeSample("run-1", 0, { output: "second" }));
      expect(second).toEqual({ stored: false, sample: first.sample });
      const errored = makeSample("run-1", 1, {
        status: "errored",
        failure: { kind: "provider_error", message: "overloaded" },
        output: null,
      });
      expect((await store.putSampleUnlessFinished(errored)).stored).toBe(true);
      expect(await store.finishedSample("run-1", "key-1")).toBeUndefined();
      expect((await store.putSampleUnlessFinished(makeSample("run-1", 1))).stored).toBe(true);
      expect(await store.finishedSampleKeys("run-1")).toEqual(new Set(["key-0", "key-1"]));
    });

    it("stores a group of samples unless finished in one all-or-nothing step, answering for each", async () => {
      const first = await store.putSampleUnlessFinished(makeSample("run-1", 0, { output: "first" }));
      const errored = makeSample("run-1", 1, {
        status: "errored",
        failure: { kind: "provider_error", message: "overloaded" },
        output: null,
      });
      await store.putSample(errored);
      const group = await store.putSamplesUnlessFinished([
        makeSample("run-1", 2),
        makeSample("run-1", 0, { output: "second" }),
        makeSample("run-1", 1),
      ]);
      // In the order asked: a new sample stored, a finished one kept, an errored one replaced.
      expect(group).toEqual([
        { stored: true, sample: sampleSchema.parse(makeSample("run-1", 2)) },
        { stored: false, sample: first.sample },
        { stored: true, sample: sampleSchema.parse(makeSample("run-1", 1)) },
      ]);
      expect((await store.getSample("run-1", "key-1"))?.status).toBe("complete");
      expect(await store.finishedSampleKeys("run-1")).toEqual(new Set(["key-0", "key-1", "key-2"]));
      // One bad sample rejects the group, and none of it is stored.
      await expect(
        store.putSamplesUnlessFinished([makeSample("run-1", 3), makeSample("ghost", 4)]),
      ).rejects.toThrow("run ghost not found");
      expect(await store.getSample("run-1", "key-3")).toBeUndefined();
      expect(await store.putSamplesUnlessFinished([])).toEqual([]);
    });

    it("streams samples in index order and lets the caller write between items", async () => {
      await store.putSamples([3, 1, 2, 0].map((index) => makeSample("run-1", index)));
      const seen: string[] = [];
      for await (const sample of store.iterateSamples("run-1", { withTurns: false })) {
        seen.push(sample.key);
        expect(sample.turns).toEqual([]);
        await store.putVerdict(makeVerdict("run-1", sample.key, "tag-compliance"));
      }
      expect(seen).toEqual(["key-0", "key-1", "key-2", "key-3"]);
      const verdicts = await collect(store.iterateVerdicts("run-1", "tag-compliance"));
      expect(verdicts.map((verdict) => verdict.sampleKey)).toEqual(seen);
      await expect(collect(store.iterateSamples("run-1", { status: "bogus" as never }))).rejects.toThrow(
        InputError,
      );
    });
  });

  describe("verdicts", () => {
    it("upserts by (run, sample, classifier), alone and in a batch, and refuses unknown samples", async () => {
      await store.putSample(makeSample("run-1", 0));
      await store.putVerdict(makeVerdict("run-1", "key-0", "tag-compliance", { decision: "refused" }));
      const [replaced] = await store.putVerdicts([
        makeVerdict("run-1", "key-0", "tag-compliance", { decision: "compliant" }),
      ]);
      expect(await store.getVerdicts("run-1", "key-0")).toEqual([replaced]);
      expect(replaced).toEqual(
        verdictSchema.parse(makeVerdict("run-1", "key-0", "tag-compliance", { decision: "compliant" })),
      );
      await expect(store.putVerdict(makeVerdict("run-1", "nope", "tag-compliance"))).rejects.toThrow(
        NotFoundError,
      );
      await expect(
        store.putVerdicts([
          makeVerdict("run-1", "key-0", "af-reasoning"),
          makeVerdict("run-1", "nope", "af-reasoning"),
        ]),
      ).rejects.toThrow(NotFoundError);
      expect(await store.classifierNames("run-1")).toEqual(["tag-compliance"]);
    });

    it("swaps a classifier's staged verdicts in only once every complete sample has one", async () => {
      await store.putSamples([makeSample("run-1", 0), makeSample("run-1", 1)]);
      await store.putVerdict(makeVerdict("run-1", "key-0", "af-reasoning", { promptVersion: "old" }));
      await store.stageVerdict(makeVerdict("run-1", "key-0", "af-reasoning", { promptVersion: "new" }));
      expect(await store.stagedClassifiers("run-1")).toEqual(["af-reasoning"]);
      expect(await store.replaceVerdicts("run-1", "af-reasoning")).toBeUndefined();
      expect((await store.getVerdicts("run-1", "key-0"))[0]?.promptVersion).toBe("old");
      await store.stageVerdict(makeVerdict("run-1", "key-1", "af-reasoning", { promptVersion: "new" }));
      expect(await store.stagedVerdictKeys("run-1", "af-reasoning")).toEqual(new Set(["key-0", "key-1"]));
      expect(await store.replaceVerdicts("run-1", "af-reasoning")).toBe(2);
      const versions = (await collect(store.iterateVerdicts("run-1"))).map(
        (verdict) => verdict.promptVersion,
      );
      expect(versions).toEqual(["new", "new"]);
      expect(await store.stagedClassifiers("run-1")).toEqual([]);
    });
  });

  describe("sweeps and system prompts", () => {
    it("round-trip", async () => {
      const sweep = await store.createSweep({
        id: "s",
        config: { cells: 2 },
        createdAt: "2026-01-01T00:00:00.000Z",
      });
      expect(await store.getSweep("s")).toEqual(sweep);
      expect(await store.listSweeps()).toEqual([sweep]);
      await store.putSystemPrompt("h", "text");
      expect(await store.getSystemPrompt("h")).toBe("text");
      await expect(store.putSystemPrompt("h", "other")).rejects.toThrow(InputError);
    });
  });
}
