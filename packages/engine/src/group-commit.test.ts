import type { SampleInput, VerdictInput } from "@aflab/core";
import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.js";

let store: Store;
/** The store's group writes, as they reached it: the sizes of the groups. */
let groups: { samples: number[]; verdicts: number[] };
let counted: Pick<Store, "putSamplesUnlessFinished" | "putVerdicts">;

beforeEach(async () => {
  store = openStore(":memory:");
  await store.createRun({
    id: "run-1",
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    status: "running",
    config: { model: "sim/opus-like" },
    simulated: true,
    promptHash: "hash",
    total: 200,
  });
  groups = { samples: [], verdicts: [] };
  counted = {
    putSamplesUnlessFinished: (list) => {
      groups.samples.push(list.length);
      return store.putSamplesUnlessFinished(list);
    },
    putVerdicts: (list) => {
      groups.verdicts.push(list.length);
      return store.putVerdicts(list);
    },
  };
});
afterEach(async () => await store.close());

function sample(index: number, runId = "run-1"): SampleInput {
  return {
    runId,
    key: `key-${index}`,
    index,
    itemId: `item-${index}`,
    query: `query ${index}`,
    tier: "free",
    epoch: 0,
    systemPromptHash: "hash",
    status: "complete",
    failure: null,
    flags: [],
    output: `answer ${index}`,
    scratchpad: null,
    turns: [{ index: 0, role: "user", content: `query ${index}` }],
    usage: { inputTokens: 1, outputTokens: 1, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: 0,
    retries: 0,
    latencyMs: 1,
    startedAt: "2026-01-01T00:00:01.000Z",
    finishedAt: "2026-01-01T00:00:02.000Z",
  };
}

function verdict(index: number): VerdictInput {
  return {
    runId: "run-1",
    sampleKey: `key-${index}`,
    classifier: "tag-compliance",
    status: "ok",
    decision: "refused",
    score: 0,
    judgeModel: null,
    promptVersion: "v1",
    criteria: null,
    quotes: [],
    raw: [],
    failure: null,
    usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: null,
    createdAt: "2026-01-01T00:00:03.000Z",
  };
}

describe("group commit", () => {
  it("commits many writes in few groups, each write settling only once it is stored", async () => {
    const commits = new GroupCommit(counted, { maxDelayMs: 5, maxWrites: 64 });
    const seenStored: boolean[] = [];
    const writes = Array.from({ length: 150 }, (_, index) =>
      commits.putSampleUnlessFinished(sample(index)).then(async (outcome) => {
        // Settled means committed: the store has it, as a reader would see it.
        seenStored.push((await store.getSample("run-1", `key-${index}`)) !== undefined);
        return outcome.stored;
      }),
    );
    expect(await Promise.all(writes)).toEqual(Array.from({ length: 150 }, () => true));
    expect(seenStored.every(Boolean)).toBe(true);
    // Two full groups at once, the rest after the delay: 150 = 64 + 64 + 22.
    expect(groups.samples).toEqual([64, 64, 22]);

    const verdicts = await Promise.all(
      Array.from({ length: 10 }, (_, index) => commits.putVerdict(verdict(index))),
    );
    expect(verdicts.map((stored) => stored.sampleKey)).toEqual(
      Array.from({ length: 10 }, (_, index) => `key-${index}`),
    );
    expect(groups.verdicts).toEqual([10]);
    expect((await store.getVerdicts("run-1", "key-3")).map((stored) => stored.decision)).toEqual(["refused"]);
  });

  it("keeps a finished sample and tells its writer so", async () => {
    const commits = new GroupCommit(counted);
    await store.putSample({ ...sample(0), output: "theirs" });
    const outcome = await commits.putSampleUnlessFinished({ ...sample(0), output: "mine" });
    expect(outcome.stored).toBe(false);
    expect(outcome.sample.output).toBe("theirs");
    expect((await store.getSample("run-1", "key-0"))?.output).toBe("theirs");
  });

  it("rejects only the write at fault when the store refuses a group", async () => {
    const commits = new GroupCommit(counted, { maxDelayMs: 1_000, maxWrites: 3 });
    const outcomes = await Promise.allSettled([
      commits.putSampleUnlessFinished(sample(0)),
      commits.putSampleUnlessFinished(sample(1, "ghost")),
      commits.putSampleUnlessFinished(sample(2)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain("run ghost not found");
    expect(await store.sampleKeys("run-1")).toEqual(["key-0", "key-2"]);
    // The group, then each of its writes alone.
    expect(groups.samples).toEqual([3, 1, 1, 1]);
  });

  it("commits what waits on flush without waiting for the delay", async () => {
    const commits = new GroupCommit(counted, { maxDelayMs: 60_000, maxWrites: 64 });
    const write = commits.putSampleUnlessFinished(sample(0));
    const started = performance.now();
    await commits.flush();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect((await write).stored).toBe(true);
    expect(groups.samples).toEqual([1]);
  });
});
