import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SampleInput } from "@aflab/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "./store.js";
import { makeRun, makeSample, makeVerdict } from "./test-fixtures.js";
import type { Store } from "./types.js";

const SAMPLES = 20_000;
let directory: string;
let store: Store;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "aflab-store-iterate-"));
  store = openStore(join(directory, "aflab.db"));
  await store.createRun(makeRun("big", { total: SAMPLES }));
  const template = makeSample("big", 0);
  // Inserted in reverse so that iteration order has to come from the index, not insertion order.
  const batch: SampleInput[] = [];
  for (let index = SAMPLES - 1; index >= 0; index--) {
    const sample: SampleInput = {
      ...template,
      key: `key-${index}`,
      index,
      status: index % 10 === 0 ? "errored" : "complete",
      failure: index % 10 === 0 ? { kind: "provider_error", message: "" } : null,
      turns: index % 3 === 0 ? template.turns : template.turns.slice(0, 2),
    };
    batch.push(sample);
  }
  await store.putSamples(batch);
});

afterAll(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

describe("iterateSamples", () => {
  it("streams 20,000 samples in index order without collecting them", async () => {
    let count = 0;
    let indexSum = 0;
    let turnSum = 0;
    let previous = -1;
    let ordered = true;
    for await (const sample of store.iterateSamples("big")) {
      count++;
      indexSum += sample.index;
      turnSum += sample.turns.length;
      if (sample.index <= previous) ordered = false;
      previous = sample.index;
    }
    expect(count).toBe(SAMPLES);
    expect(ordered).toBe(true);
    expect(indexSum).toBe((SAMPLES * (SAMPLES - 1)) / 2);
    // Every third sample (index divisible by 3) has 4 turns, the others 2.
    const withFour = Math.ceil(SAMPLES / 3);
    expect(turnSum).toBe(withFour * 4 + (SAMPLES - withFour) * 2);
  });

  it("filters by status and can skip turns", async () => {
    let errored = 0;
    let allMatch = true;
    for await (const sample of store.iterateSamples("big", { status: "errored", withTurns: false })) {
      errored++;
      if (sample.status !== "errored" || sample.index % 10 !== 0 || sample.turns.length !== 0)
        allMatch = false;
    }
    expect(errored).toBe(SAMPLES / 10);
    expect(allMatch).toBe(true);
  });

  it("is lazy, stops cleanly, and lets the caller write between items", async () => {
    const iterator = store.iterateSamples("big");
    const first = await iterator.next();
    expect(first.done).toBe(false);
    expect((first.value as { key: string }).key).toBe("key-0");
    // A write while the iteration is open: an open SQLite cursor on this connection would refuse it.
    await store.putVerdict(makeVerdict("big", "key-0", "tag-compliance"));
    let seen = 1;
    for await (const sample of iterator) {
      await store.putVerdict(makeVerdict("big", sample.key, "tag-compliance"));
      if (++seen === 1200) break;
    }
    expect(await store.classifierNames("big")).toEqual(["tag-compliance"]);
    let verdicts = 0;
    for await (const _verdict of store.iterateVerdicts("big", "tag-compliance")) verdicts++;
    expect(verdicts).toBe(1200);
    expect((await store.tierCounts("big", "tag-compliance")).free?.compliant).toBe(
      // All samples share the template's tier (free); of the first 1200, every tenth one errored.
      Array.from({ length: 1200 }, (_, index) => index).filter((index) => index % 10 !== 0).length,
    );
  });
});
