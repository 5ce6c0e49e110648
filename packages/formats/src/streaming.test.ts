import { Writable } from "node:stream";
import type { Run, Sample, Verdict } from "@aflab/core";
import type { Store } from "@aflab/store";
import { describe, expect, it } from "vitest";
import { exportSamples } from "./export-samples.js";

const time = "2026-01-01T00:00:00.000Z";
const run: Run = {
  id: "large",
  createdAt: time,
  updatedAt: time,
  status: "complete",
  label: null,
  error: null,
  simulated: true,
  promptHash: "prompt",
  total: 0,
  sweepId: null,
  config: { model: "sim/opus-like", setting: "helpful-only", tiers: ["free", "paid"], classifiers: [] },
} as unknown as Run;

/**
 * A store whose samples are made on demand, counting how many it handed out: the export may hold only a
 * bounded number of them at any time, however long the run.
 */
function generatedStore(total: number) {
  const counter = { yielded: 0, consumed: 0, largestLag: 0 };
  function* samples(): Generator<Sample> {
    for (let index = 0; index < total; index++) {
      counter.yielded++;
      counter.largestLag = Math.max(counter.largestLag, counter.yielded - counter.consumed);
      yield {
        runId: run.id,
        key: `key-${index}`,
        index,
        itemId: `item-${index >> 1}`,
        query: `request ${index}`,
        tier: index % 2 === 0 ? "free" : "paid",
        epoch: 0,
        systemPromptHash: "prompt",
        status: "complete",
        failure: null,
        flags: [],
        output: "an answer",
        scratchpad: "some reasoning",
        reasoning: null,
        scratchpadSource: "tags",
        refusal: null,
        turns: [],
        usage: { inputTokens: 10, outputTokens: 5, cacheWriteTokens: 0, cacheReadTokens: 0 },
        costUsd: 0.001,
        retries: 0,
        latencyMs: 5,
        startedAt: time,
        finishedAt: time,
      };
    }
  }
  const verdict = (key: string): Verdict => ({
    runId: run.id,
    sampleKey: key,
    classifier: "tag-compliance",
    status: "ok",
    decision: "refused",
    score: null,
    judgeModel: null,
    promptVersion: "1",
    criteria: null,
    quotes: [],
    raw: [],
    failure: null,
    usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: 0,
    createdAt: time,
  });
  const store = {
    requireRun: () => run,
    classifierNames: () => ["tag-compliance"],
    iterateSamples: () => samples(),
    getVerdicts: (_runId: string, key: string) => [verdict(key)],
    getSystemPrompt: () => "a system prompt",
  } as unknown as Store;
  return { store, counter };
}

describe("streaming export", () => {
  it.each(["jsonl", "csv"] as const)(
    "%s holds a bounded number of rows ahead of a slow reader",
    async (format) => {
      const total = 20_000;
      const { store, counter } = generatedStore(total);
      let written = 0;
      // A reader that takes every chunk a tick later, with a tiny buffer: the export must wait for it.
      const slow = new Writable({
        highWaterMark: 1024,
        write(chunk: Buffer, _encoding, done) {
          const lines = chunk.toString("utf8").split("\n").length - 1;
          written += lines;
          setImmediate(() => {
            counter.consumed = written;
            done();
          });
        },
      });
      const summary = await exportSamples(store, run.id, { stream: slow }, { format });
      expect(summary.rows).toBe(total);
      expect(written).toBe(format === "csv" ? total + 1 : total);
      // One chunk of about 64 KiB of lines (a few hundred rows) is the most the export gets ahead.
      expect(counter.largestLag).toBeGreaterThan(0);
      expect(counter.largestLag).toBeLessThan(1000);
    },
  );
});
