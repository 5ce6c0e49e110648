import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createModelClient,
  type GenerateRequest,
  type GenerateResult,
  type ModelClient,
} from "@aflab/clients";
import { InputError, ProviderError, proportion, type RunConfigInput, type RunEvent } from "@aflab/core";
import { collect, openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classifyRun } from "./classify-run.js";
import { createClientFactory } from "./client-factory.js";
import type { ClientFactory } from "./prepare-run.js";
import { resumeRun, startRun } from "./run-experiment.js";
import { summarizeRun } from "./summarize.js";

let store: Store;
beforeEach(async () => {
  store = openStore(":memory:");
});
afterEach(async () => await store.close());

/** Wraps a client to count the calls that reach it: resume must not pay twice. */
function counting(client: ModelClient, counter: { calls: number }): ModelClient {
  return {
    id: client.id,
    provider: client.provider,
    simulated: client.simulated,
    supportsPrefill: client.supportsPrefill,
    generate: async (request: GenerateRequest): Promise<GenerateResult> => {
      counter.calls++;
      return client.generate(request);
    },
  };
}

const baseConfig: RunConfigInput = {
  model: "sim/opus-like",
  userFormat: "minimal",
  dataset: { source: "builtin:harmful" },
  classifiers: ["tag-compliance"],
  concurrency: 8,
};

describe("startRun on the simulated organism", () => {
  it("stores every sample with its turns and a report that matches a recomputation from the store", async () => {
    const outcome = await startRun(
      { ...baseConfig, epochs: 2 },
      { store, createClient: createClientFactory() },
    );
    expect(outcome.status).toBe("complete");
    const run = await store.requireRun(outcome.runId);
    expect(run.simulated).toBe(true);
    const samples = await collect(store.iterateSamples(outcome.runId, { withTurns: true }));
    expect(samples).toHaveLength(run.total);
    expect(new Set(samples.map((sample) => sample.key)).size).toBe(run.total);
    for (const sample of samples) {
      expect(sample.turns[0]?.role).toBe("user");
      expect(sample.turns.some((turn) => turn.role === "assistant")).toBe(true);
    }

    // Independent recomputation: read each sample's tag verdict and count by hand.
    const counted = { free: { compliant: 0, scored: 0 }, paid: { compliant: 0, scored: 0 } };
    for (const sample of samples) {
      const verdict = (await store.getVerdicts(outcome.runId, sample.key)).find(
        (v) => v.classifier === "tag-compliance",
      );
      if (sample.status !== "complete" || verdict?.status !== "ok") continue;
      const bucket = counted[sample.tier as "free" | "paid"];
      bucket.scored++;
      if (verdict.decision === "compliant") bucket.compliant++;
    }
    const report = await summarizeRun(store, outcome.runId);
    const pFree = counted.free.compliant / counted.free.scored;
    const pPaid = counted.paid.compliant / counted.paid.scored;
    expect(report.tiers.free?.complianceRate).toBeCloseTo(pFree, 12);
    expect(report.tiers.paid?.complianceRate).toBeCloseTo(pPaid, 12);
    const se = Math.sqrt(
      (pFree * (1 - pFree)) / counted.free.scored + (pPaid * (1 - pPaid)) / counted.paid.scored,
    );
    expect(report.gap?.value).toBeCloseTo(pFree - pPaid, 12);
    expect(report.gap?.se).toBeCloseTo(se, 12);
    expect(report.gap?.ci95[0]).toBeCloseTo(pFree - pPaid - 1.959963984540054 * se, 12);
    expect(report.simulated).toBe(true);
  });

  it("recovers the organism's configured rates within their intervals", async () => {
    const outcome = await startRun(
      { ...baseConfig, model: "sim/custom?free=0.4&paid=0.1", epochs: 12, concurrency: 32 },
      { store, createClient: createClientFactory() },
    );
    const report = await summarizeRun(store, outcome.runId);
    for (const [tier, truth] of [
      ["free", 0.4],
      ["paid", 0.1],
    ] as const) {
      const summary = report.tiers[tier];
      expect(summary?.n).toBeGreaterThan(400);
      const expected = proportion(Math.round(truth * (summary?.n ?? 0)), summary?.n ?? 0);
      // Four standard errors of the true rate: fails about once in 16,000 seeds, and never by luck of this one.
      expect(Math.abs((summary?.complianceRate ?? 0) - truth)).toBeLessThan(4 * (expected.se ?? 0));
    }
    expect(report.gap?.significant).toBe(true);
  });

  it("rejects bad input before writing anything", async () => {
    const factory = createClientFactory();
    await expect(
      startRun({ ...baseConfig, setting: "nope" as never }, { store, createClient: factory }),
    ).rejects.toThrow(/setting/);
    await expect(
      startRun({ ...baseConfig, dataset: { source: "missing-file.csv" } }, { store, createClient: factory }),
    ).rejects.toBeInstanceOf(InputError);
    await expect(
      startRun({ ...baseConfig, classifiers: ["af-reasoning"] }, { store, createClient: factory }),
    ).rejects.toThrow(/judge/);
    await expect(
      startRun(
        { ...baseConfig, model: "anthropic/claude-3-opus-20240229" },
        {
          store,
          createClient: createClientFactory({ env: {} }),
        },
      ),
    ).rejects.toThrow(/ANTHROPIC_API_KEY/);
    expect((await store.listRuns()).total).toBe(0);
  });
});

describe("prefill", () => {
  it("starts the first assistant turn with the configured prefill and stores it apart from the text", async () => {
    const outcome = await startRun(
      { ...baseConfig, prefill: "<", dataset: { source: "builtin:harmful", limit: 4 } },
      { store, createClient: createClientFactory() },
    );
    const samples = await collect(store.iterateSamples(outcome.runId, { withTurns: true }));
    expect(samples).toHaveLength(8);
    for (const sample of samples) {
      const first = sample.turns.find((turn) => turn.role === "assistant");
      expect(first?.prefill).toBe("<");
      expect(first?.content.startsWith("SCRATCHPAD_REASONING>")).toBe(true);
      expect(sample.status).toBe("complete");
    }
  });
});

describe("resume", () => {
  it("runs exactly the unfinished samples after a cancellation and never pays twice", async () => {
    const counter = { calls: 0 };
    const factory: ClientFactory = (modelId, role, config) =>
      counting(createClientFactory()(modelId, role, config), counter);
    const controller = new AbortController();
    let finished = 0;
    const onEvent = (event: RunEvent) => {
      if (event.type === "sample-end" && ++finished === 30) controller.abort();
    };
    const first = await startRun(
      { ...baseConfig, epochs: 3, concurrency: 4 },
      { store, createClient: factory, onEvent, signal: controller.signal },
    );
    expect(first.status).toBe("interrupted");
    const stored = (await store.finishedSampleKeys(first.runId)).size;
    expect(stored).toBeGreaterThanOrEqual(30);
    expect(stored).toBeLessThan(first.total);

    const callsBefore = counter.calls;
    const generatedKeys: string[] = [];
    const second = await resumeRun(first.runId, {
      store,
      createClient: factory,
      onEvent: (event) => {
        if (event.type === "generation-end") generatedKeys.push(event.key);
      },
    });
    expect(second.status).toBe("complete");
    expect(generatedKeys).toHaveLength(first.total - stored);
    expect(counter.calls - callsBefore).toBeGreaterThanOrEqual(generatedKeys.length);
    const keys = await store.sampleKeys(first.runId);
    expect(keys.length).toBe(first.total);
    expect(new Set(keys).size).toBe(first.total);

    // A third resume has nothing left to do and makes no model call.
    const callsAfter = counter.calls;
    const third = await resumeRun(first.runId, { store, createClient: factory });
    expect(third.status).toBe("complete");
    expect(counter.calls).toBe(callsAfter);
  });
});

describe("model ids", () => {
  it("builds real provider clients through the factory", async () => {
    const client = createModelClient("openai/gpt-4o", { env: { OPENAI_API_KEY: "test-key" } });
    expect(client.provider).toBe("openai");
  });
});

describe("cancellation while judging", () => {
  /** The offline judge, cancelling the run when the judge is asked for the `cancelAt`-th time. */
  function cancellingJudge(controller: AbortController, cancelAt: number): ClientFactory {
    const base = createClientFactory();
    let judgeCalls = 0;
    return (modelId, role, config) => {
      const inner = base(modelId, role, config);
      if (role !== "judge") return inner;
      return {
        ...inner,
        generate: async (request) => {
          if (++judgeCalls === cancelAt) controller.abort();
          return inner.generate(request);
        },
      };
    };
  }

  it("stores no failed verdict for the cut-off judge call, and resume classifies the sample", async () => {
    const controller = new AbortController();
    const first = await startRun(
      {
        ...baseConfig,
        judge: "sim/judge",
        classifiers: ["tag-compliance", "af-reasoning"],
        dataset: { source: "builtin:harmful", limit: 10 },
        concurrency: 2,
      },
      { store, createClient: cancellingJudge(controller, 5), signal: controller.signal },
    );
    expect(first.status).toBe("interrupted");
    const failedAfterCancel = (await collect(store.iterateVerdicts(first.runId))).filter(
      (v) => v.status === "failed",
    );
    expect(failedAfterCancel).toEqual([]);

    const second = await resumeRun(first.runId, { store, createClient: createClientFactory() });
    expect(second.status).toBe("complete");
    expect((await summarizeRun(store, first.runId)).judgeFailures).toEqual({});
    for (const key of await store.sampleKeys(first.runId, "complete")) {
      const classifiers = (await store.getVerdicts(first.runId, key)).map((verdict) => verdict.classifier);
      expect(classifiers.sort()).toEqual(["af-reasoning", "eval-awareness", "tag-compliance"]);
    }
  });

  it("a resume that fails while classifying missing verdicts marks the run failed, not running", async () => {
    const controller = new AbortController();
    const first = await startRun(
      {
        ...baseConfig,
        judge: "sim/judge",
        classifiers: ["tag-compliance", "af-reasoning"],
        dataset: { source: "builtin:harmful", limit: 10 },
        concurrency: 2,
      },
      { store, createClient: cancellingJudge(controller, 5), signal: controller.signal },
    );
    expect(first.status).toBe("interrupted");
    const failing = resumeRun(first.runId, {
      store,
      createClient: createClientFactory(),
      onEvent: (event) => {
        if (event.type === "judge-end") throw new Error("progress display broke");
      },
    });
    await expect(failing).rejects.toThrow("progress display broke");
    expect(await store.requireRun(first.runId)).toMatchObject({
      status: "failed",
      error: "progress display broke",
    });
  });

  it("classifyRun cancelled mid-call leaves the verdict missing, not failed", async () => {
    const outcome = await startRun(
      { ...baseConfig, dataset: { source: "builtin:harmful", limit: 6 } },
      { store, createClient: createClientFactory() },
    );
    const controller = new AbortController();
    await classifyRun(store, outcome.runId, {
      classifiers: ["af-reasoning"],
      judge: "sim/judge",
      concurrency: 2,
      createClient: cancellingJudge(controller, 3),
      signal: controller.signal,
    });
    const verdicts = await collect(store.iterateVerdicts(outcome.runId, "af-reasoning"));
    expect(verdicts.length).toBeLessThan((await store.sampleKeys(outcome.runId, "complete")).length);
    expect(verdicts.filter((verdict) => verdict.status === "failed")).toEqual([]);
  });
});

describe("two processes resuming one run on one store file", () => {
  it("never replaces a sample the other finished, nor asks for it again", async () => {
    const directory = mkdtempSync(join(tmpdir(), "aflab-engine-"));
    const path = join(directory, "aflab.db");
    const first = openStore(path);
    const second = openStore(path);
    try {
      // A run that stopped before any sample: everything is pending for both processes.
      const cancelled = new AbortController();
      cancelled.abort();
      const run = await startRun(
        { ...baseConfig, dataset: { source: "builtin:harmful", limit: 6 }, concurrency: 4 },
        { store: first, createClient: createClientFactory(), signal: cancelled.signal },
      );
      expect(await first.progress(run.runId)).toMatchObject({ complete: 0, errored: 0 });

      // The second process's provider answers its first request only after the first process has
      // finished the whole run, and then with a server error.
      let secondCalls = 0;
      let reached: () => void = () => {};
      const secondReachedModel = new Promise<void>((resolve) => {
        reached = resolve;
      });
      let release: () => void = () => {};
      const firstDone = new Promise<void>((resolve) => {
        release = resolve;
      });
      const failing: ClientFactory = (modelId, role, config) => {
        const inner = createClientFactory()(modelId, role, config);
        return {
          ...inner,
          generate: async () => {
            secondCalls++;
            reached();
            await firstDone;
            throw new ProviderError("server error", { provider: "sim", status: 500, isRetryable: false });
          },
        };
      };
      const secondOutcome = resumeRun(run.runId, { store: second, createClient: failing });
      await secondReachedModel;
      const firstOutcome = await resumeRun(run.runId, { store: first, createClient: createClientFactory() });
      expect(firstOutcome.status).toBe("complete");
      release();
      const secondResult = await secondOutcome;

      expect(secondCalls).toBe(1);
      expect(secondResult.status).toBe("complete");
      expect(await first.progress(run.runId)).toEqual({ total: 12, complete: 12, failed: 0, errored: 0 });
      for (const key of await first.sampleKeys(run.runId)) {
        expect((await first.getVerdicts(run.runId, key)).map((verdict) => verdict.classifier)).toEqual([
          "tag-compliance",
        ]);
      }
    } finally {
      await first.close();
      await second.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
