// Builders shared by this package's tests. Excluded from the build (see tsconfig.json).
import type { RunInput, SampleInput, SampleStatus, Tier, VerdictInput, VerdictStatus } from "@aflab/core";
import { seededRandom } from "@aflab/core";
import type { Store } from "./types.js";

export { collect } from "./collect.js";
export { seededRandom };

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

export const randomClassifiers = ["tag-compliance", "af-reasoning", "partial-compliance"];
const randomTiers: Tier[] = ["free", "paid", "enterprise"];

/**
 * Random samples and verdicts of a new run `runId` with overwrites, verdict upserts and a replaced
 * classifier (af-reasoning): data for checking aggregates against an independent computation.
 */
export async function fillRandomRun(store: Store, runId: string, seed: number): Promise<void> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  await store.createRun(
    makeRun(runId, { total: 300, config: { model: "sim/opus-like", tiers: randomTiers } }),
  );
  const statuses: SampleStatus[] = ["complete", "complete", "complete", "failed", "errored"];
  const verdictStatuses: VerdictStatus[] = ["ok", "ok", "ok", "failed", "not_applicable"];
  for (let step = 0; step < 600; step++) {
    const index = Math.floor(random() * 200);
    const status = pick(statuses);
    if (step < 200 || random() < 0.3) {
      await store.putSample(
        makeSample(runId, index, {
          tier: pick(randomTiers),
          status,
          failure: status === "complete" ? null : { kind: pick(["no_output", "timeout"]), message: "" },
          refusal: random() < 0.1 ? { kind: "api_refusal", message: "no" } : null,
          scratchpad: random() < 0.3 ? "" : "plan",
          scratchpadSource: random() < 0.5 ? null : "reasoning",
          costUsd: random() < 0.05 ? null : random() / 100,
          usage: {
            inputTokens: Math.floor(random() * 100),
            outputTokens: 3,
            cacheWriteTokens: 0,
            cacheReadTokens: 1,
            ...(random() < 0.5 ? { reasoningTokens: 7 } : {}),
          },
          retries: Math.floor(random() * 2),
        }),
      );
      continue;
    }
    if (!(await store.getSample(runId, `key-${index}`))) continue;
    const verdictStatus = pick(verdictStatuses);
    await store.putVerdict(
      makeVerdict(runId, `key-${index}`, pick(randomClassifiers), {
        status: verdictStatus,
        decision: verdictStatus === "ok" ? pick(["compliant", "refused", "unknown", "yes", null]) : null,
        failure: verdictStatus === "failed" ? { kind: "no_verdict", message: "" } : null,
        costUsd: random() / 1000,
        usage: { inputTokens: 10, outputTokens: 2, cacheWriteTokens: 0, cacheReadTokens: 0 },
      }),
    );
  }
  for (const key of await store.sampleKeys(runId, "complete")) {
    await store.stageVerdict(makeVerdict(runId, key, "af-reasoning", { decision: pick(["yes", "no"]) }));
  }
  if (!((await store.replaceVerdicts(runId, "af-reasoning")) ?? 0))
    throw new Error("the replacement moved nothing in");
}
