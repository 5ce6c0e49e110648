import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createModelClient,
  type GenerateRequest,
  type GenerateResult,
  type ModelClient,
} from "@aflab/clients";
import { InputError, proportion, type RunConfigInput, type RunEvent } from "@aflab/core";
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
  it("refuses the second while the first holds the run, and with waitForLease queues it behind", async () => {
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

      // The first resume's provider holds its first answer until the test lets it go, so the run is live.
      const counting = (calls: { count: number }, gate?: Promise<void>): ClientFactory => {
        return (modelId, role, config) => {
          const inner = createClientFactory()(modelId, role, config);
          return {
            ...inner,
            generate: async (request) => {
              calls.count++;
              if (gate) await gate;
              return inner.generate(request);
            },
          };
        };
      };
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const holderCalls = { count: 0 };
      const holder = resumeRun(run.runId, { store: first, createClient: counting(holderCalls, gate) });
      await waitUntil(() => holderCalls.count > 0);

      const refusedCalls = { count: 0 };
      const refused = await resumeRun(run.runId, {
        store: second,
        createClient: counting(refusedCalls),
      }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(InputError);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `^run ${run.runId} is being run by pid ${process.pid}@\\S+ since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: pass --wait to queue behind it, or stop that process$`,
        ),
      );
      expect(refusedCalls.count).toBe(0);

      const waitingCalls = { count: 0 };
      const waiting = resumeRun(run.runId, {
        store: second,
        createClient: counting(waitingCalls),
        waitForLease: true,
      });
      release();
      const [holderOutcome, waitingOutcome] = await Promise.all([holder, waiting]);
      expect(holderOutcome.status).toBe("complete");
      // The queued resume found every sample finished: it asked the model nothing.
      expect(waitingOutcome).toMatchObject({ status: "complete", done: 12, total: 12 });
      expect(waitingCalls.count).toBe(0);
      expect(await first.progress(run.runId)).toEqual({ total: 12, complete: 12, failed: 0, errored: 0 });
      // Both released the run when they ended.
      expect(await first.getRunLease(run.runId)).toBeUndefined();
    } finally {
      await first.close();
      await second.close();
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 10_000) throw new Error("condition not met within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
