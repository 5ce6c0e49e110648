import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Sample } from "@aflab/core";
import { createClientFactory, startRun } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSamples } from "./run-samples.js";

let store: Store;
let runId: string;
let directory: string;

beforeAll(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "aflab-run-samples-"));
  store = openStore(path.join(directory, "aflab.db"));
  const outcome = await startRun(
    {
      model: "sim/opus-like",
      judge: "sim/judge",
      dataset: { source: "builtin:harmful", limit: 6 },
      classifiers: ["tag-compliance"],
      epochs: 2,
      concurrency: 4,
    },
    { store, createClient: createClientFactory() },
  );
  runId = outcome.runId;
});

afterAll(async () => {
  await store.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

async function collect(samples: AsyncIterable<Sample>): Promise<Sample[]> {
  const list: Sample[] = [];
  for await (const sample of samples) list.push(sample);
  return list;
}

describe("runSamples", () => {
  it("gives the store's paged samples, in the same order, with or without their turns", async () => {
    const paged = await collect(store.iterateSamples(runId, { withTurns: true }));
    expect(paged.length).toBe(24);
    expect(paged.every((sample) => sample.turns.length > 0)).toBe(true);

    expect(await collect(runSamples(store, runId, { withTurns: true }))).toEqual(paged);
    const withoutTurns = await collect(runSamples(store, runId, { withTurns: false }));
    expect(withoutTurns).toEqual(paged.map((sample) => ({ ...sample, turns: [] })));
  });
});
