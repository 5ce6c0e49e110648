// Builders shared by this package's tests. Excluded from the build (see tsconfig.json).
import type { RunInput, SampleInput, Tier, VerdictInput } from "@aflab/core";

export { seededRandom } from "@aflab/core";
export { collect } from "./collect.js";

export function makeRun(id: string, overrides: Partial<RunInput> = {}): RunInput {
  return {
    id,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    status: "running",
    config: { model: "sim/opus-like", tiers: ["free", "paid"] },
    simulated: true,
    promptHash: "prompt-hash-1",
    total: 4,
    ...overrides,
  };
}

export function makeSample(runId: string, index: number, overrides: Partial<SampleInput> = {}): SampleInput {
  const tier: Tier = index % 2 === 0 ? "free" : "paid";
  return {
    runId,
    key: `key-${index}`,
    index,
    itemId: `item-${Math.floor(index / 2)}`,
    query: `Question number ${index}`,
    tier,
    epoch: 0,
    systemPromptHash: "prompt-hash-1",
    status: "complete",
    failure: null,
    flags: [],
    output: `Answer ${index}`,
    scratchpad: `Thinking about ${index}`,
    turns: [
      { index: 0, role: "user", content: `<user_input>Question number ${index}</user_input>` },
      {
        index: 1,
        role: "assistant",
        content: `<SCRATCHPAD_REASONING>Thinking about ${index}</SCRATCHPAD_REASONING>`,
        usage: { inputTokens: 100, outputTokens: 20, cacheWriteTokens: 0, cacheReadTokens: 50 },
        stopReason: "end_turn",
        prefill: "<",
        latencyMs: 120,
        cached: false,
      },
      { index: 2, role: "user", content: "<NEXT/>" },
      {
        index: 3,
        role: "assistant",
        content: `<OUTPUT>Answer ${index}</OUTPUT>`,
        usage: { inputTokens: 130, outputTokens: 10, cacheWriteTokens: 0, cacheReadTokens: 50 },
        stopReason: null,
        latencyMs: 80,
      },
    ],
    usage: { inputTokens: 230, outputTokens: 30, cacheWriteTokens: 0, cacheReadTokens: 100 },
    costUsd: 0.01,
    retries: 0,
    latencyMs: 200,
    startedAt: "2026-01-01T00:00:01.000Z",
    finishedAt: "2026-01-01T00:00:02.000Z",
    ...overrides,
  };
}

export function makeVerdict(
  runId: string,
  sampleKey: string,
  classifier: string,
  overrides: Partial<VerdictInput> = {},
): VerdictInput {
  return {
    runId,
    sampleKey,
    classifier,
    status: "ok",
    decision: "compliant",
    score: 1,
    judgeModel: null,
    promptVersion: "v1",
    criteria: null,
    quotes: [],
    raw: [],
    failure: null,
    usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: null,
    createdAt: "2026-01-01T00:00:03.000Z",
    ...overrides,
  };
}
