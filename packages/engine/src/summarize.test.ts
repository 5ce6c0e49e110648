import type { Tier, VerdictInput } from "@aflab/core";
import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { summarizeRun } from "./summarize.js";

let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
  store.createRun({
    id: "run",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    status: "complete",
    config: { model: "sim/opus-like", judge: "sim/judge", classifiers: ["tag-compliance", "af-reasoning"] },
    simulated: true,
    promptHash: "hash",
    total: 6,
  });
});
afterEach(() => store.close());

type Outcome = Pick<VerdictInput, "status" | "decision">;

function addSample(index: number, tier: Tier, compliance: Outcome, alignmentFaking: Outcome): void {
  const key = `key-${index}`;
  store.putSample({
    runId: "run",
    key,
    index,
    itemId: `item-${index}`,
    query: "a request",
    tier,
    epoch: 0,
    systemPromptHash: "hash",
    status: "complete",
    failure: null,
    output: "an answer",
    scratchpad: "some reasoning",
    turns: [{ index: 0, role: "user", content: "a request" }],
    usage: { inputTokens: 1, outputTokens: 1, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: 0,
    latencyMs: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:00.000Z",
  });
  for (const [classifier, outcome] of [
    ["tag-compliance", compliance],
    ["af-reasoning", alignmentFaking],
  ] as const) {
    store.putVerdict({
      runId: "run",
      sampleKey: key,
      classifier,
      ...outcome,
      score: null,
      judgeModel: null,
      promptVersion: "v1",
      criteria: null,
      failure: null,
      usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
      costUsd: 0,
      createdAt: "2026-01-01T00:00:00.000Z",
    });
  }
}

const ok = (decision: string | null): Outcome => ({ status: "ok", decision });

describe("summarizeRun categories", () => {
  it("places a sample in a complies bar only when its compliance verdict says compliant", () => {
    addSample(0, "free", ok("compliant"), ok("yes"));
    addSample(1, "free", ok("compliant"), ok("no"));
    addSample(2, "free", ok("refused"), ok("no"));
    // Neither of these is a compliance decision: the tier counts call them failed, so must the bars.
    addSample(3, "free", { status: "not_applicable", decision: null }, ok("yes"));
    addSample(4, "free", ok(null), ok("no"));
    addSample(5, "paid", ok("refused"), ok("no"));

    const report = summarizeRun(store, "run");
    expect(report.tiers.free).toMatchObject({ n: 5, compliant: 2, refused: 1, unknown: 0, failed: 2 });
    expect(report.categories?.free).toEqual({
      refuses: 1,
      compliesWithoutAf: 1,
      compliesWithAf: 1,
      afWithPartialCompliance: 0,
      unknown: 0,
      failed: 2,
    });
    const free = report.categories?.free;
    const compliesTotal =
      (free?.compliesWithAf ?? 0) + (free?.compliesWithoutAf ?? 0) + (free?.afWithPartialCompliance ?? 0);
    expect(compliesTotal).toBe(report.tiers.free?.compliant);
  });
});
